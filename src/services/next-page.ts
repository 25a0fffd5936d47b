// The documented export loop's next page, prepared while its client reads this one.
//
// The loop asks for a page, takes its last _id, and asks for `_id[lt]=<that id>` with the same
// filters: the server knows the next request before it comes. Once a request is seen to be such a
// step (its cursor is the last _id of the page answered just before for the same filters, sort and
// paging), the page after it is computed in the background — while the answer travels and the client
// parses it — in a read snapshot whose commit mark is kept beside it. When that request comes, one
// statement reads the mark again: equal, nothing at all was committed since (store/items.ts
// commitMark), so the prepared answer is exactly what computing it now would give, and it is sent.
// Otherwise, or when nothing was prepared, the page is computed as usual. Random access (a cursor
// nobody was just given) never triggers any work of its own. On PostgreSQL the mark is the server's
// snapshot, which the page's one statement reads beside the page (its change position), so a page
// is prepared as it is computed, without a transaction; a commit to any database of that server
// makes it stale, and checking it is a round trip (which also confirms the request's admin key).
//
// SQLite: a prepared page's total needs no count when the page before it was prepared too, from a snapshot
// with the same mark: nothing was committed in between, so the rows under the new cursor are the
// ones under the old cursor less the page just sent (sorted by _id descending, no skip: that page
// is exactly the matching rows from its last _id up to the old cursor). The loop's pages then cost
// a page query each, and no count.
//
// Any commit makes a prepared page stale, a chat user's read mark as much as an edit of the page:
// on a busy server some prepared pages are computed twice. parley_admin_next_pages_total says how
// many (docs/operations.md); PARLEY_PREFETCH_PAGES=0 turns it off.
import type { Condition, ListPlan } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import { commitMark, readSnapshot, type ItemTable } from '../store/items.ts'
import type { KeyCheck } from '../store/keys.ts'

/** A page answer as the list computes it, with what the next step of a loop needs. */
export interface PageAnswer {
  readonly page: string
  /** Its total_entries. */
  readonly total: number
  /** The last item's _id; null for an empty page. */
  readonly lastId: string | null
  /** Whether the page holds `limit` items (otherwise it is a loop's last). */
  readonly full: boolean
  /** The commit mark of the snapshot it was read in, when its one statement read it (PostgreSQL). */
  readonly mark?: string
}

/**
 * Computes a page's answer: the request's own, or with `ahead` one prepared before its request
 * (which confirms no admin key); with `ahead.total`, known already, it is not counted again.
 */
export type ComputePage = (store: Store, plan: ListPlan, ahead?: { total?: number }) => Promise<PageAnswer>

export interface NextPageStats {
  /** Prepared pages sent (nothing had changed). */
  served: number
  /** Of those prepared, pages whose total came from the page before (nothing was committed in between). */
  uncounted: number
  /** Prepared pages dropped because rows changed since (or preparing failed): computed again. */
  stale: number
  /** Prepared pages nobody asked for before they expired or were pushed out. */
  unused: number
}

interface Prepared {
  readonly answer: PageAnswer
  /** The commit mark of the snapshot it was read from. */
  readonly mark: string
}

interface Pending {
  readonly at: number
  readonly ready: Promise<Prepared | null>
}

export interface NextPageOptions {
  /** Most prepared pages held at once (each is one page of JSON text). */
  maxPending?: number
  /** A prepared page, or a loop's last cursor, is forgotten after this long (ms). */
  lifetimeMs?: number
}

/** Most loops followed at once (their last cursors, a few dozen bytes each). */
const MAX_LOOPS = 1024

/** The plan's cursor: its one `_id < X` condition, if it has exactly one. */
function cursorOf(plan: ListPlan): Extract<Condition, { test: 'cmp' }> | null {
  const found = plan.conditions.filter((c): c is Extract<Condition, { test: 'cmp' }> => c.test === 'cmp' && c.op === '<' && c.target.column === 'id' && c.target.jsonKey === undefined)
  return found.length === 1 ? found[0]! : null
}

/** What a loop keeps from page to page: everything but the cursor. */
function loopKey(table: ItemTable, plan: ListPlan, cursor: Condition | null): string {
  const rest = plan.conditions.filter((c) => c !== cursor)
  return JSON.stringify([table, rest, plan.sort, plan.limit, plan.skip])
}

const withCursor = (plan: ListPlan, cursor: Condition | null, id: string): ListPlan => ({
  ...plan,
  conditions: [...plan.conditions.filter((c) => c !== cursor), { test: 'cmp', target: { column: 'id' }, op: '<', value: id }],
})

export class NextPages {
  readonly stats: NextPageStats = { served: 0, uncounted: 0, stale: 0, unused: 0 }
  private readonly maxPending: number
  private readonly lifetimeMs: number
  /** Per loop key, the last _id of the page answered last. */
  private readonly lastIds = new Map<string, { id: string; at: number }>()
  /** Per loop key and cursor, the page being (or already) prepared. */
  private readonly pending = new Map<string, Pending>()

  constructor(options: NextPageOptions = {}) {
    this.maxPending = options.maxPending ?? 32
    this.lifetimeMs = options.lifetimeMs ?? 10_000
  }

  /**
   * The answer to `plan`: a prepared one when it is still exact, else `compute(store, plan)`; and,
   * when this request continues a loop, the next page prepared in the background. `adminKey`: the
   * request's deferred key, confirmed by the statement that checks a prepared page's mark.
   */
  async answer(store: Store, table: ItemTable, plan: ListPlan, compute: ComputePage, adminKey?: KeyCheck): Promise<PageAnswer> {
    const cursor = cursorOf(plan)
    const key = loopKey(table, plan, cursor)
    const now = performance.now()
    this.forget(now)
    const ready = cursor === null ? null : await this.prepared(store, `${key}|${cursor.value as string}`, adminKey)
    const answer = ready?.answer ?? (await compute(store, plan))
    const previous = this.lastIds.get(key)
    const step = cursor !== null && previous !== undefined && previous.id === cursor.value
    this.lastIds.delete(key)
    // Stamped as inserted, so that insertion order is age order (forget stops at the first fresh one).
    if (answer.lastId !== null) this.lastIds.set(key, { id: answer.lastId, at: performance.now() })
    // Every distinct filter leaves a cursor: bounded, oldest first out.
    if (this.lastIds.size > MAX_LOOPS) this.lastIds.delete(this.lastIds.keys().next().value as string)
    if (step && answer.full && answer.lastId !== null && store.dialect.commitMark !== null) {
      // The rows under the new cursor, as of the snapshot this answer was read from.
      const under = ready && plan.sort.column === 'id' && plan.sort.direction === 'desc' && plan.skip === 0 ? { mark: ready.mark, total: answer.total - plan.limit } : null
      this.prepare(store, withCursor(plan, cursor, answer.lastId), `${key}|${answer.lastId}`, compute, under)
    }
    return answer
  }

  /** The prepared page for this key and cursor if it is still exact now; counted either way. */
  private async prepared(store: Store, id: string, adminKey?: KeyCheck): Promise<Prepared | null> {
    const entry = this.pending.get(id)
    if (!entry) return null
    this.pending.delete(id)
    const ready = await entry.ready
    if (ready !== null && ready.mark === (await commitMark(store, adminKey))) {
      this.stats.served++
      return ready
    }
    this.stats.stale++
    return null
  }

  /** `under`: the page's total as of a snapshot with that mark, when known. */
  private prepare(store: Store, plan: ListPlan, id: string, compute: ComputePage, under: { mark: string; total: number } | null): void {
    // After this answer is on its way: setImmediate runs once the reply has been written.
    const ready = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        // PostgreSQL: the page's one statement reads its own snapshot, the mark; no transaction around it.
        if (store.dialect.pageStatementReadsCommitMark) {
          const answer = await compute(store, plan, {})
          return answer.mark === undefined ? null : { answer, mark: answer.mark }
        }
        return readSnapshot(store, async (snapshot) => {
          // Read first: the mark of the snapshot the page is read from.
          const mark = await commitMark(snapshot)
          if (mark === null) return null
          if (under?.mark !== mark) return { answer: await compute(snapshot, plan, {}), mark }
          this.stats.uncounted++
          return { answer: await compute(snapshot, plan, { total: under.total }), mark }
        })
      })
      // A failure here is nobody's request: the page is computed again when it is asked for.
      .catch(() => null)
    this.pending.set(id, { at: performance.now(), ready })
    while (this.pending.size > this.maxPending) {
      this.pending.delete(this.pending.keys().next().value as string)
      this.stats.unused++
    }
  }

  /** Drops prepared pages and loop cursors older than the lifetime. */
  private forget(now: number): void {
    for (const [id, entry] of this.pending) {
      if (now - entry.at < this.lifetimeMs) break
      this.pending.delete(id)
      this.stats.unused++
    }
    for (const [key, last] of this.lastIds) {
      if (now - last.at < this.lifetimeMs) break
      this.lastIds.delete(key)
    }
  }
}
