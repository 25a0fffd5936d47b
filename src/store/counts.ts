// Exact counts that stay cheap (docs/performance.md). A count of "filters F, _id in I" is kept in
// memory with the change position it was read at. A later count of F over an id range I' is then
// derived from a kept one (F, I, c, position) instead of counted again:
//
//   count(F ∧ I') = c + now − then − Σ count(F ∧ J\\I' pieces) + Σ count(F ∧ I'\\J pieces)
//
// where now/then bring c up to date: among the ids in I changed since the position (the change log,
// kept by triggers), `now` counts the current rows that match F and `then` the first logged
// pre-images that did (the row as it was when c was read). The pieces are id ranges: in the
// documented export loop, the page just served. So a loop pays one full COUNT(*), then O(page +
// changes) per page. Every figure is read in the snapshot of the request's read transaction.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'
import { whereOf } from '../query/apply.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES } from '../query/catalogue.ts'
import type { Condition } from '../query/plan.ts'
import type { Store } from './connect.ts'
import type { Dialect } from './dialect.ts'

export type CountTable = 'dialogs' | 'messages'

const LOG: Record<CountTable, string> = { messages: 'message_changes', dialogs: 'dialog_changes' }
const TABLES = Object.keys(LOG) as CountTable[]

/** The columns with an ordering index of their own; hidden from a delta count's index choice. */
const ORDERING: Record<CountTable, string[]> = {
  messages: ADMIN_MESSAGES.sortable.map((f) => ADMIN_MESSAGES.fields[f]!.column),
  dialogs: ADMIN_DIALOGS.sortable.map((f) => ADMIN_DIALOGS.fields[f]!.column),
}
/** Every filterable column. */
const COLUMNS: Record<CountTable, string[]> = {
  messages: Object.values(ADMIN_MESSAGES.fields).map((f) => f.column),
  dialogs: Object.values(ADMIN_DIALOGS.fields).map((f) => f.column),
}

// ---------------------------------------------------------------------------------------------
// Id ranges

export interface Bound {
  readonly value: string
  readonly inclusive: boolean
}

/** An interval of ids; a null end is unbounded. */
export interface IdRange {
  readonly lower: Bound | null
  readonly upper: Bound | null
}

export const ALL_IDS: IdRange = { lower: null, upper: null }

function higherLower(a: Bound | null, b: Bound | null): Bound | null {
  if (a === null) return b
  if (b === null) return a
  if (a.value !== b.value) return a.value > b.value ? a : b
  return a.inclusive ? b : a
}

function lowerUpper(a: Bound | null, b: Bound | null): Bound | null {
  if (a === null) return b
  if (b === null) return a
  if (a.value !== b.value) return a.value < b.value ? a : b
  return a.inclusive ? b : a
}

export function intersect(a: IdRange, b: IdRange): IdRange {
  return { lower: higherLower(a.lower, b.lower), upper: lowerUpper(a.upper, b.upper) }
}

export function isEmpty(r: IdRange): boolean {
  if (r.lower === null || r.upper === null) return false
  if (r.lower.value !== r.upper.value) return r.lower.value > r.upper.value
  return !(r.lower.inclusive && r.upper.inclusive)
}

const sameBound = (a: Bound | null, b: Bound | null): boolean =>
  a === null || b === null ? a === b : a.value === b.value && a.inclusive === b.inclusive

export const sameRange = (a: IdRange, b: IdRange): boolean => sameBound(a.lower, b.lower) && sameBound(a.upper, b.upper)

/** a \\ b as at most two ranges (below b and above b). */
export function minus(a: IdRange, b: IdRange): IdRange[] {
  const pieces: IdRange[] = []
  if (b.lower !== null) pieces.push(intersect(a, { lower: null, upper: { value: b.lower.value, inclusive: !b.lower.inclusive } }))
  if (b.upper !== null) pieces.push(intersect(a, { lower: { value: b.upper.value, inclusive: !b.upper.inclusive }, upper: null }))
  return pieces.filter((p) => !isEmpty(p))
}

/** Folds the `_id` comparisons into one range; everything else is the filter F. */
export function splitConditions(conditions: readonly Condition[]): { range: IdRange; rest: Condition[] } {
  let range = ALL_IDS
  const rest: Condition[] = []
  for (const c of conditions) {
    if (c.test === 'cmp' && c.target.column === 'id' && c.target.jsonKey === undefined && typeof c.value === 'string') {
      const v = c.value
      const bound: IdRange =
        c.op === '='
          ? { lower: { value: v, inclusive: true }, upper: { value: v, inclusive: true } }
          : c.op === '<' || c.op === '<='
            ? { lower: null, upper: { value: v, inclusive: c.op === '<=' } }
            : { lower: { value: v, inclusive: c.op === '>=' }, upper: null }
      range = intersect(range, bound)
    } else {
      rest.push(c)
    }
  }
  return { range, rest }
}

/** JSON with sorted keys: one spelling per condition. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export const countKey = (table: CountTable, rest: readonly Condition[]): string => `${table}|${rest.map(canonical).sort().join('|')}`

/**
 * A rough width of a range in id space, to pick the kept count nearest a request: ObjectIds begin
 * with their time, so the first 12 hex digits (48 bits) order and space them. Only a preference:
 * a wrong guess costs time, never exactness.
 */
const SPACE = 2 ** 48
const position48 = (value: string): number => {
  const n = parseInt(value.slice(0, 12).padEnd(12, '0'), 16)
  return Number.isNaN(n) ? 0 : n
}
const width = (r: IdRange): number => (r.upper ? position48(r.upper.value) : SPACE) - (r.lower ? position48(r.lower.value) : 0) + 1

// ---------------------------------------------------------------------------------------------
// The cache

export interface CountOptions {
  /** Most kept counts in all (least recently used keys lose theirs first). */
  maxEntries?: number
  /** Most kept counts per filter (the newest are kept). */
  perKey?: number
  /** A kept count is used for this long (ms). */
  lifetimeMs?: number
  /** The log keeps changes for lifetime + margin (ms) at least. */
  marginMs?: number
  /** How often this process prunes the logs (ms); 0: never by itself. */
  pruneEveryMs?: number
}

export interface CountStats {
  /** Counts read with COUNT(*) over the request's whole range. */
  full: number
  /** Counts derived from a kept one. */
  delta: number
  /** Derivations abandoned for a full count (the difference was too large, or the log was pruned past the kept count). */
  fallbacks: number
  /** Requests whose id range is empty (answered 0 without a query). */
  empty: number
  /** Derivations that gave a negative count: a bug; answered with a full count instead. */
  anomalies: number
  /** Prune runs that deleted log rows, and their failures. */
  prunes: number
  pruneErrors: number
}

interface Entry {
  readonly range: IdRange
  readonly count: number
  readonly position: string
  /** performance.now() when read. */
  readonly born: number
}

interface Mark {
  readonly at: number
  readonly marks: Record<CountTable, string>
}

/** A difference piece needs no cap below this many rows: walking them is as cheap as a page. */
const MIN_CAP = 1000

export class Counts {
  readonly stats: CountStats = { full: 0, delta: 0, fallbacks: 0, empty: 0, anomalies: 0, prunes: 0, pruneErrors: 0 }
  readonly lifetimeMs: number
  readonly horizonMs: number
  private readonly maxEntries: number
  private readonly perKey: number
  private readonly pruneEveryMs: number
  private readonly kept = new Map<string, Entry[]>()
  private size = 0
  private marks: Mark[] = []
  private timer: ReturnType<typeof setInterval> | null = null
  private pending: Promise<void> | null = null

  constructor(options: CountOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000
    this.perKey = options.perKey ?? 4
    this.lifetimeMs = options.lifetimeMs ?? 5 * 60_000
    this.horizonMs = this.lifetimeMs + (options.marginMs ?? 60_000)
    this.pruneEveryMs = options.pruneEveryMs ?? 60_000
  }

  /** Number of counts kept now. */
  get entries(): number {
    return this.size
  }

  clear(): void {
    this.kept.clear()
    this.size = 0
  }

  /**
   * The exact number of rows of `table` matching `conditions`, read in the snapshot of `store`'s
   * current transaction (a read transaction: see readSnapshot in store/items.ts).
   */
  async count(store: Store, table: CountTable, conditions: readonly Condition[]): Promise<number> {
    const { range, rest } = splitConditions(conditions)
    if (isEmpty(range)) {
      this.stats.empty++
      return 0
    }
    const key = countKey(table, rest)
    const now = performance.now()
    const base = this.nearest(key, range, now)
    if (base) {
      const derived = await derive(store, table, rest, range, base)
      if (derived !== null && derived.count >= 0) {
        this.stats.delta++
        this.keep(key, { range, count: derived.count, position: derived.position, born: now })
        return derived.count
      }
      if (derived !== null) this.stats.anomalies++
      this.stats.fallbacks++
    }
    const full = await countAll(store, table, rest, range)
    this.stats.full++
    this.keep(key, { range, count: full.count, position: full.position, born: now })
    return full.count
  }

  /** The kept count of `key` whose range differs least from `range` (estimated), if any is still fresh. */
  private nearest(key: string, range: IdRange, now: number): Entry | null {
    const list = this.kept.get(key)
    if (!list) return null
    const fresh = list.filter((e) => now - e.born < this.lifetimeMs)
    this.size -= list.length - fresh.length
    if (fresh.length === 0) {
      this.kept.delete(key)
      return null
    }
    // Most recently used last.
    this.kept.delete(key)
    this.kept.set(key, fresh)
    let best: Entry | null = null
    let bestScore = Infinity
    for (const e of fresh) {
      const score = [...minus(e.range, range), ...minus(range, e.range)].reduce((sum, p) => sum + width(p), 0)
      if (score <= bestScore) {
        best = e
        bestScore = score
      }
    }
    return best
  }

  private keep(key: string, entry: Entry): void {
    const old = this.kept.get(key) ?? []
    const list = old.filter((e) => !sameRange(e.range, entry.range))
    list.push(entry)
    while (list.length > this.perKey) list.shift()
    this.size += list.length - old.length
    this.kept.delete(key)
    this.kept.set(key, list)
    while (this.size > this.maxEntries) {
      const [lruKey, lruList] = this.kept.entries().next().value as [string, Entry[]]
      lruList.shift()
      this.size--
      if (lruList.length === 0) this.kept.delete(lruKey)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Pruning

  /** Prunes every `pruneEveryMs` in the background until stop(). The timer never keeps the process alive. */
  start(store: Store): void {
    if (this.pruneEveryMs <= 0 || this.timer) return
    this.timer = setInterval(() => {
      if (this.pending) return
      this.pending = this.prune(store)
        .catch(() => {
          this.stats.pruneErrors++
        })
        .finally(() => {
          this.pending = null
        })
    }, this.pruneEveryMs)
    this.timer.unref()
  }

  /** Stops pruning and waits for a prune under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.pending
  }

  /**
   * Records where the logs stand now, then deletes the changes up to the newest mark recorded at
   * least `horizonMs` ago (by this process) and moves change_log_cut up to it. Kept counts read
   * before that mark are then never used (derive() checks the cut in its own snapshot), so pruning
   * early costs full counts, never exactness. `horizonMs: 0` prunes everything settled now.
   */
  async prune(store: Store, horizonMs = this.horizonMs): Promise<void> {
    const d = store.dialect
    const marks = {} as Record<CountTable, string>
    for (const table of TABLES) {
      const { rows } = await sql<{ mark: string }>`select ${d.pruneMark(LOG[table])} as mark`.execute(store.db)
      marks[table] = String(rows[0]!.mark)
    }
    const now = performance.now()
    this.marks.push({ at: now, marks })
    let use = -1
    for (let i = 0; i < this.marks.length; i++) if (this.marks[i]!.at <= now - horizonMs) use = i
    if (use < 0) return
    const mark = this.marks[use]!
    this.marks = this.marks.slice(use + 1)
    await store.db.transaction().execute(async (trx) => {
      for (const table of TABLES) {
        await sql`delete from ${sql.table(LOG[table])} where ${d.prunedBy(mark.marks[table])}`.execute(trx)
        await sql`update change_log_cut set cut = ${d.advancedCut(mark.marks[table])} where tbl = ${table}`.execute(trx)
      }
    })
    this.stats.prunes++
  }
}

// ---------------------------------------------------------------------------------------------
// The queries

function inRange(column: Expression<unknown>, r: IdRange): Expression<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = []
  if (r.lower) parts.push(sql<SqlBool>`${column} ${sql.raw(r.lower.inclusive ? '>=' : '>')} ${r.lower.value}`)
  if (r.upper) parts.push(sql<SqlBool>`${column} ${sql.raw(r.upper.inclusive ? '<=' : '<')} ${r.upper.value}`)
  return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})`
}

const toNumber = (v: unknown): number => Number(v)

/** COUNT(*) of F over the whole range, and the position it was read at. Every index may serve it. */
export function countAllQuery(d: Dialect, table: CountTable, rest: readonly Condition[], range: IdRange): RawBuilder<{ n: unknown; position: string }> {
  return sql<{ n: unknown; position: string }>`
    select count(*) as n, ${d.changePosition(LOG[table])} as position
    from ${sql.table(table)} where ${whereOf({ conditions: rest }, d)} and ${inRange(sql.ref('id'), range)}`
}

async function countAll(store: Store, table: CountTable, rest: Condition[], range: IdRange): Promise<{ count: number; position: string }> {
  const { rows } = await countAllQuery(store.dialect, table, rest, range).execute(store.db)
  return { count: toNumber(rows[0]!.n), position: String(rows[0]!.position) }
}

export interface DeriveQueries {
  /**
   * The position now, whether the log still holds every change after base's position (`usable`),
   * whether any row in base's range changed since (`changed`), and the difference pieces (columns
   * minus0…, counted up to `cap`, and plus0…).
   */
  readonly delta: RawBuilder<Record<string, unknown>>
  /** Only when something changed: now_matching − then_matching corrects base's count. */
  readonly correction: RawBuilder<{ now_matching: unknown; then_matching: unknown }>
  readonly subtract: number
  readonly add: number
  readonly cap: number
}

/**
 * The statements that derive count(F ∧ range) from the kept count `base`, to be run in one snapshot.
 * Two, not one: the correction is needed only when rows changed, and a statement this size costs
 * PostgreSQL more to plan than to run.
 */
export function deriveQueries(d: Dialect, table: CountTable, rest: readonly Condition[], range: IdRange, base: { range: IdRange; count: number; position: string }): DeriveQueries {
  const log = LOG[table]
  const id = sql.ref('id')
  // Delta counts walk the id index (or (chat_dialog_id, id), (sender_id, id), …): time ranges are
  // hidden from index choice as for a page sorted by _id (query/apply.ts).
  const where = whereOf({ conditions: rest, sort: { column: 'id', direction: 'desc' }, orderingColumns: ORDERING[table] }, d)
  // The changed rows are looked up by id: every other column hidden from index choice.
  const byId = whereOf({ conditions: rest, sort: { column: 'id', direction: 'desc' }, orderingColumns: COLUMNS[table] }, d)
  const cap = Math.max(MIN_CAP, Math.ceil(base.count / 2))
  const subtract = minus(base.range, range)
  const add = minus(range, base.range)
  const pieces = [
    ...subtract.map(
      (r, i) => sql`(select count(*) from (select 1 from ${sql.table(table)} where ${where} and ${inRange(id, r)} limit ${cap}) as piece) as ${sql.ref(`minus${i}`)}`,
    ),
    ...add.map((r, i) => sql`(select count(*) from ${sql.table(table)} where ${where} and ${inRange(id, r)}) as ${sql.ref(`plus${i}`)}`),
  ]
  // The log is read by position (seq / xid index), not by id; the id range is a filter on that.
  const after = sql<SqlBool>`${d.changedAfter(base.position)} and ${inRange(d.noIndex(id), base.range)}`
  const delta = sql<Record<string, unknown>>`
    select
      ${d.changePosition(log)} as position,
      case when ${d.keepsChangesAfter(base.position, sql`(select cut from change_log_cut where tbl = ${table})`)} then 1 else 0 end as usable,
      case when exists (select 1 from ${sql.table(log)} where ${after}) then 1 else 0 end as changed
      ${pieces.length > 0 ? sql`, ${sql.join(pieces)}` : sql``}`
  // Each changed id's first change after the kept count: its pre-image is the row as the kept count
  // saw it (existed = 0: it was not there then).
  const correction = sql<{ now_matching: unknown; then_matching: unknown }>`
    with changed as (select id, min(seq) as first from ${sql.table(log)} where ${after} group by id)
    select
      (select count(*) from ${sql.table(table)} where ${id} in (select id from changed) and ${byId}) as now_matching,
      (select count(*) from ${sql.table(log)} where seq in (select first from changed) and existed = 1 and ${byId}) as then_matching`
  return { delta, correction, subtract: subtract.length, add: add.length, cap }
}

/**
 * count(F ∧ range) from the kept count `base`, or null when `base` cannot serve: the log was pruned
 * past it, or a piece to subtract holds more than half its count (then counting the range directly
 * is cheaper). Must run in a read transaction: both statements read one snapshot.
 */
async function derive(store: Store, table: CountTable, rest: Condition[], range: IdRange, base: Entry): Promise<{ count: number; position: string } | null> {
  const q = deriveQueries(store.dialect, table, rest, range, base)
  const row = (await q.delta.execute(store.db)).rows[0]!
  if (toNumber(row.usable) !== 1) return null
  let count = base.count
  for (let i = 0; i < q.subtract; i++) {
    const n = toNumber(row[`minus${i}`])
    if (n >= q.cap) return null
    count -= n
  }
  for (let i = 0; i < q.add; i++) count += toNumber(row[`plus${i}`])
  if (toNumber(row.changed) === 1) {
    const fix = (await q.correction.execute(store.db)).rows[0]!
    count += toNumber(fix.now_matching) - toNumber(fix.then_matching)
  }
  return { count, position: String(row.position) }
}
