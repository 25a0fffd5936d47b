// Exact counts that stay cheap (docs/performance.md). A count of "filters F, column k in range I" is
// kept in memory with the change position it was read at; k is the range column, `_id` or one of
// the ordered times (created_at, updated_at). A later count of F over a range I' of k is then
// derived from a kept one (F, I, c, position) instead of counted again:
//
//   count(F ∧ I') = c + now − then − Σ count(F ∧ I\\I' pieces) + Σ count(F ∧ I'\\I pieces)
//
// where now/then bring c up to date: among the rows changed since the position (the change log,
// kept by triggers), `now` counts the current rows that match F ∧ I and `then` the first logged
// pre-images that did (the row as it was when c was read). The pieces are ranges of k: in the
// documented export loop, the page just served. So a loop pays one full COUNT(*), then O(page +
// changes) per page. Requests that jump about (a random cursor or time each time) get a ladder:
// counts of F ∧ k ≤ v at every STEP-th value v of k, read in one pass, so that any range is a
// rung plus a piece of at most ~STEP rows. Every figure is read in the snapshot of the request's
// read transaction.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'
import { conditionsShape, whereOf } from '../query/apply.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES } from '../query/catalogue.ts'
import { boundsImpliedOn, type Skews } from '../query/implied.ts'
import type { Condition } from '../query/plan.ts'
import { compiledShape, type Shaped } from './compiled.ts'
import type { Store } from './connect.ts'
import type { Dialect } from './dialect.ts'
import { LOGGED } from './migrations/0002-change-log.ts'

export type CountTable = 'dialogs' | 'messages'

const LOG: Record<CountTable, string> = { messages: LOGGED.messages.log, dialogs: LOGGED.dialogs.log }
const TABLES = Object.keys(LOG) as CountTable[]

/** The columns with an ordering index of their own; hidden from a delta count's index choice. */
const ORDERING: Record<CountTable, string[]> = {
  messages: ADMIN_MESSAGES.sortable.map((f) => ADMIN_MESSAGES.fields[f]!.column),
  dialogs: ADMIN_DIALOGS.sortable.map((f) => ADMIN_DIALOGS.fields[f]!.column),
}
/** The range column candidates of a count: `_id` first, then the ordered times. */
const CANDIDATES: Record<CountTable, string[]> = {
  messages: ['id', ...ORDERING.messages.filter((c) => c !== 'id')],
  dialogs: ['id', ...ORDERING.dialogs.filter((c) => c !== 'id')],
}
/** Every filterable column. */
const COLUMNS: Record<CountTable, string[]> = {
  messages: Object.values(ADMIN_MESSAGES.fields).map((f) => f.column),
  dialogs: Object.values(ADMIN_DIALOGS.fields).map((f) => f.column),
}

// ---------------------------------------------------------------------------------------------
// Ranges of the range column

/** A value of the range column: an ObjectId (text) or a time in ms. */
export type RangeValue = string | number

export interface Bound {
  readonly value: RangeValue
  readonly inclusive: boolean
}

/** An interval of the range column; a null end is unbounded. */
export interface Range {
  readonly lower: Bound | null
  readonly upper: Bound | null
}

export const ALL: Range = { lower: null, upper: null }

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

export function intersect(a: Range, b: Range): Range {
  return { lower: higherLower(a.lower, b.lower), upper: lowerUpper(a.upper, b.upper) }
}

export function isEmpty(r: Range): boolean {
  if (r.lower === null || r.upper === null) return false
  if (r.lower.value !== r.upper.value) return r.lower.value > r.upper.value
  return !(r.lower.inclusive && r.upper.inclusive)
}

const sameBound = (a: Bound | null, b: Bound | null): boolean =>
  a === null || b === null ? a === b : a.value === b.value && a.inclusive === b.inclusive

export const sameRange = (a: Range, b: Range): boolean => sameBound(a.lower, b.lower) && sameBound(a.upper, b.upper)

/** a \\ b as at most two ranges (below b and above b). */
export function minus(a: Range, b: Range): Range[] {
  const pieces: Range[] = []
  if (b.lower !== null) pieces.push(intersect(a, { lower: null, upper: { value: b.lower.value, inclusive: !b.lower.inclusive } }))
  if (b.upper !== null) pieces.push(intersect(a, { lower: { value: b.upper.value, inclusive: !b.upper.inclusive }, upper: null }))
  return pieces.filter((p) => !isEmpty(p))
}

/**
 * Folds the comparisons on one range column into a range; everything else is the filter F. The
 * column is the first of `candidates` that has a comparison (`_id` first, so the documented loop
 * keeps one filter while its cursor moves), or the first candidate when none has.
 */
export function splitConditions(conditions: readonly Condition[], candidates: readonly string[] = ['id']): { column: string; range: Range; rest: Condition[] } {
  const isBound = (c: Condition, column: string): c is Extract<Condition, { test: 'cmp' }> =>
    c.test === 'cmp' && c.target.column === column && c.target.jsonKey === undefined
  const column = candidates.find((k) => conditions.some((c) => isBound(c, k))) ?? candidates[0]!
  let range = ALL
  const rest: Condition[] = []
  for (const c of conditions) {
    if (isBound(c, column)) {
      const v = c.value
      const bound: Range =
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
  return { column, range, rest }
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

export const countKey = (table: CountTable, column: string, rest: readonly Condition[]): string =>
  `${table}|${column}|${rest.map(canonical).sort().join('|')}`

/**
 * A count request split into its range column, range and filter, and the key its kept counts go
 * under; with the band of the range column its other ranges imply (null: nothing can match).
 */
function requestOf(table: CountTable, conditions: readonly Condition[], skews: Skews | null = null): { column: string; range: Range; rest: Condition[]; key: string; band: Range | null } {
  const { column, range, rest } = splitConditions(conditions, CANDIDATES[table])
  // From F alone: the band must hold every row F matches, wherever the range (or a kept count's) lies.
  const implied = boundsImpliedOn(rest, column, skews)
  const band = implied === null ? null : splitConditions(implied, [column]).range
  return { column, range, rest, key: countKey(table, column, rest), band }
}

/**
 * A rough width of a range, to pick the kept count nearest a request: a time in ms is its own
 * position; ObjectIds begin with their time, so their first 12 hex digits (48 bits) order and space
 * them. Only a preference: a wrong guess costs time, never exactness.
 */
const SPACE = 2 ** 52
const position = (value: RangeValue): number => {
  if (typeof value === 'number') return value
  const n = parseInt(value.slice(0, 12).padEnd(12, '0'), 16)
  return Number.isNaN(n) ? 0 : n
}
const width = (r: Range): number => (r.upper ? position(r.upper.value) : SPACE) - (r.lower ? position(r.lower.value) : -SPACE) + 1
/** How far apart two ranges are, estimated: the widths of their difference pieces. */
const difference = (a: Range, b: Range): number => [...minus(a, b), ...minus(b, a)].reduce((sum, p) => sum + width(p), 0)

// ---------------------------------------------------------------------------------------------
// Ladders

/** Index of the rung nearest `value` (estimated), or -1 for a ladder without rungs. */
function nearestRung(values: readonly RangeValue[], value: RangeValue): number {
  let lo = 0
  let hi = values.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (values[mid]! <= value) lo = mid + 1
    else hi = mid - 1
  }
  // values[hi] <= value < values[lo]
  if (hi < 0) return values.length > 0 ? 0 : -1
  if (lo >= values.length) return hi
  return position(value) - position(values[hi]!) <= position(values[lo]!) - position(value) ? hi : lo
}

/** The base a ladder offers for `range`: between the rungs nearest its ends, each piece about a step. */
function rungsAround(ladder: Ladder, range: Range): Omit<Entry, 'born'> {
  const lo = range.lower ? nearestRung(ladder.values, range.lower.value) : -1
  const up = range.upper ? nearestRung(ladder.values, range.upper.value) : -1
  const below = (i: number): number => (i < 0 ? 0 : ladder.counts[i]!)
  return {
    range: {
      lower: lo < 0 ? null : { value: ladder.values[lo]!, inclusive: false },
      upper: up < 0 ? null : { value: ladder.values[up]!, inclusive: true },
    },
    count: (up < 0 ? ladder.total : below(up)) - below(lo),
    position: ladder.position,
  }
}

/** The estimated width of the rung interval around `range`'s ends: how near a kept count must be to beat the ladder. */
function rungGap(ladder: Ladder, range: Range): number {
  const gapAt = (b: Bound | null): number => {
    if (b === null) return 0
    const i = nearestRung(ladder.values, b.value)
    if (i < 0) return SPACE
    const next = ladder.values[Math.min(i + 1, ladder.values.length - 1)]!
    const prev = ladder.values[Math.max(i - 1, 0)]!
    return (position(next) - position(prev)) / 2
  }
  return gapAt(range.lower) + gapAt(range.upper)
}

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
  /** Rows between two rungs of a ladder. */
  ladderStep?: number
  /** Most ladders kept (least recently used lose theirs first). */
  maxLadders?: number
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
  /** Of the derived counts, those read in one statement with their page (derivation()). */
  withPage: number
  /** Ladders built (a pass over the range column's index), and counts derived from one of their rungs. */
  ladders: number
  rungs: number
  /** Derivations that gave a negative count: a bug; answered with a full count instead. */
  anomalies: number
  /** Prune runs that deleted log rows, and their failures. */
  prunes: number
  pruneErrors: number
  /** Reads on the count thread (store/count-thread.ts) kept here: counts from scratch and ladders this thread did not do. */
  aside: number
}

interface Entry {
  readonly range: Range
  readonly count: number
  readonly position: string
  /** performance.now() when read. */
  readonly born: number
}

/** What a count thread read (store/count-thread.ts), as it travels back: counts and ladders under their keys. */
export interface CountsRead {
  readonly counts: ReadonlyArray<{ readonly key: string; readonly range: Range; readonly count: number; readonly position: string }>
  readonly ladders: ReadonlyArray<{ readonly key: string; readonly ladder: Omit<Ladder, 'born'> }>
}

/**
 * Thrown inside a snapshot whose store is marked `countsAside` instead of reading a count from
 * scratch or building a ladder there: the caller leaves the snapshot, has them read on the count
 * thread, keeps them, and reads again (store/items.ts readCounting).
 */
export class CountAside extends Error {
  constructor(
    readonly table: CountTable,
    readonly conditions: readonly Condition[],
    /** Whether the request's skews bound the count's walks (they are read again on the thread). */
    readonly withSkews: boolean,
    readonly ladder: boolean,
  ) {
    super(`a ${ladder ? 'ladder' : 'count'} of ${table} to read aside`)
  }
}

/** count(F ∧ k ≤ values[i]) = counts[i] for a filter F and range column k, and count(F) = total, all read at `position`. */
interface Ladder {
  readonly values: RangeValue[]
  readonly counts: number[]
  readonly total: number
  readonly position: string
  readonly born: number
}

interface Mark {
  readonly at: number
  readonly marks: Record<CountTable, string>
}

/**
 * A difference piece needs no cap below twice the ladder step (8192 rows by default): walking them
 * costs about as much as a page (~0.3 ms on SQLite), and a rung's pieces always fit.
 */
const capFloor = (ladderStep: number): number => 2 * ladderStep

export class Counts {
  readonly stats: CountStats = { full: 0, delta: 0, withPage: 0, fallbacks: 0, empty: 0, ladders: 0, rungs: 0, anomalies: 0, prunes: 0, pruneErrors: 0, aside: 0 }
  readonly lifetimeMs: number
  readonly horizonMs: number
  private readonly maxEntries: number
  private readonly perKey: number
  private readonly pruneEveryMs: number
  readonly ladderStep: number
  private readonly maxLadders: number
  private readonly kept = new Map<string, Entry[]>()
  private readonly ladders = new Map<string, Ladder>()
  /** Per filter without a ladder, how many derivations walked far from their kept counts (ladderWanted). */
  private readonly longWalks = new Map<string, number>()
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
    this.ladderStep = options.ladderStep ?? 4096
    this.maxLadders = options.maxLadders ?? 32
  }

  /** Number of counts kept now. */
  get entries(): number {
    return this.size
  }

  clear(): void {
    this.kept.clear()
    this.ladders.clear()
    this.size = 0
  }

  /**
   * The exact number of rows of `table` matching `conditions`, read in the snapshot of `store`'s
   * current transaction (a read transaction: see readSnapshot in store/items.ts). `skews`, read in
   * that snapshot, bound the walks along the range column when the conditions range over another
   * ordered column too (query/implied.ts boundsImpliedOn).
   */
  async count(store: Store, table: CountTable, conditions: readonly Condition[], skews: Skews | null = null): Promise<number> {
    return (await this.countAt(store, table, conditions, skews)).count
  }

  /** count(), and the change position it is exact at; null when nothing was read (the conditions cannot match). */
  async countAt(store: Store, table: CountTable, conditions: readonly Condition[], skews: Skews | null = null): Promise<{ count: number; position: string | null }> {
    const { column, range, rest, key, band } = requestOf(table, conditions, skews)
    if (band === null || isEmpty(range) || isEmpty(intersect(range, band))) {
      this.stats.empty++
      return { count: 0, position: null }
    }
    const now = performance.now()
    const q: CountQuery = { table, column, rest, range, band }
    const aside = store.countsAside ? (ladder: boolean) => new CountAside(table, conditions, skews !== null, ladder) : null
    const count = await this.countOf(store, key, q, now, aside)
    if (column !== 'id') this.keepForIds(table, conditions, count.count, count.position, now)
    return count
  }

  /**
   * Keeps `count`, exact at `position`, as the count of `conditions`: a total added up from the
   * terms of a split (query/implied.ts countTerms), so that the same request asked again derives
   * from it with nothing to count. Otherwise the only count kept under its own filter would be a
   * term's over all ids (keepForIds), far from the request: abandoned, and a ladder built for a
   * filter with one exact time in it (20–30 ms at 100k dialogs, for a dashboard's repeated request).
   */
  keepCount(table: CountTable, conditions: readonly Condition[], skews: Skews | null, count: number, position: string): void {
    const { column, range, key, band } = requestOf(table, conditions, skews)
    if (band === null || isEmpty(range)) return
    const now = performance.now()
    this.keep(key, { range, count, position, born: now })
    if (column !== 'id') this.keepForIds(table, conditions, count, position, now)
  }

  /** Builds the ladder of `conditions` (a count thread's work: store/count-worker.ts). */
  async buildLadderOf(store: Store, table: CountTable, conditions: readonly Condition[], skews: Skews | null): Promise<void> {
    const { column, rest, key, band } = requestOf(table, conditions, skews)
    if (band === null) return
    await this.newLadder(store, key, { table, column, rest, band }, performance.now())
  }

  /** Builds the ladder of `key` in `store`'s snapshot, keeps it and counts it. */
  private async newLadder(store: Store, key: string, q: Pick<CountQuery, 'table' | 'column' | 'rest' | 'band'>, now: number): Promise<Ladder> {
    const ladder = await buildLadder(store, q, this.ladderStep, now)
    this.keepLadder(key, ladder)
    this.stats.ladders++
    return ladder
  }

  private keepLadder(key: string, ladder: Ladder): void {
    this.longWalks.delete(key)
    this.ladders.delete(key)
    this.ladders.set(key, ladder)
    if (this.ladders.size > this.maxLadders) this.ladders.delete(this.ladders.keys().next().value as string)
  }

  /**
   * Where to derive a count of `range` from: a kept count nearer than the ladder's rungs are apart
   * there (the documented loop's last page) is cheaper to start from; otherwise the ladder bounds
   * the difference to about a step. Null when there is neither.
   */
  private base(key: string, range: Range, now: number): { entry: Omit<Entry, 'born'>; kind: 'delta' | 'rungs' } | null {
    const near = this.nearest(key, range, now)
    const ladder = this.freshLadder(key, now)
    if (near && (!ladder || near.score <= rungGap(ladder, range))) return { entry: near.entry, kind: 'delta' }
    return ladder ? { entry: rungsAround(ladder, range), kind: 'rungs' } : null
  }

  /** `aside`: where set, the error to throw instead of building a ladder or counting from scratch here. */
  private async countOf(store: Store, key: string, q: CountQuery, now: number, aside: ((ladder: boolean) => CountAside) | null): Promise<{ count: number; position: string }> {
    const { table, column, rest, range } = q
    if (this.ladderWanted(key, now)) {
      if (aside) throw aside(true)
      await this.newLadder(store, key, q, now)
    }
    const first = this.base(key, range, now)
    let far = false
    if (first) {
      const derived = await this.derived(store, q, first.entry, aside !== null)
      if (typeof derived !== 'string') return this.answer(key, range, derived, now, first.kind)
      far = first.kind === 'delta' && derived === 'far'
    }
    if (first?.kind !== 'rungs') {
      let ladder = this.freshLadder(key, now)
      if (!ladder && far) {
        // A kept count for this filter that was too far off: requests jump about in the range column
        // (a random cursor or time each time). One pass over its index serves them all from now on.
        if (aside) throw aside(true)
        ladder = await this.newLadder(store, key, q, now)
      }
      if (ladder) {
        const derived = await this.derived(store, q, rungsAround(ladder, range), aside !== null)
        if (typeof derived !== 'string') return this.answer(key, range, derived, now, 'rungs')
      }
    }
    if (aside) throw aside(false)
    const full = await countAll(store, table, rest, column, intersect(range, q.band ?? ALL))
    this.stats.full++
    return this.answer(key, range, full, now, null)
  }

  /** A count served: counted by how it was got, kept, and a derivation's walk noted (noteWalk). */
  private answer(key: string, range: Range, got: { count: number; position: string; walked?: number }, now: number, kind: 'delta' | 'rungs' | null): { count: number; position: string } {
    if (kind) this.stats[kind]++
    if (kind === 'delta' && got.walked !== undefined) this.noteWalk(key, got.walked)
    this.keep(key, { range, count: got.count, position: got.position, born: now })
    return got
  }

  /**
   * Whether the filter `key` should get a ladder before its next count: it has none, and counts
   * derived from its kept counts walked longWalk() rows or more LONG_WALKS_FOR_LADDER times. 'far'
   * alone (a piece past the cap, at least 8192 rows) never came for a filter over fewer rows than
   * that: 10k dialogs, whose two-range requests walked ~1,000–5,000 rows a term from whichever
   * kept count was nearest, where rungs ~256 apart leave ~100 (docs/performance.md §6p).
   */
  private ladderWanted(key: string, now: number): boolean {
    return (this.longWalks.get(key) ?? 0) >= LONG_WALKS_FOR_LADDER && this.freshLadder(key, now) === null
  }

  /** Notes how many rows a count derived from a kept count (not a ladder's rungs) walked. */
  private noteWalk(key: string, walked: number): void {
    if (walked < longWalk(this.ladderStep)) return
    // Bounded like the rest: many filters with long walks each get a fresh start.
    if (this.longWalks.size >= this.maxEntries) this.longWalks.clear()
    this.longWalks.set(key, (this.longWalks.get(key) ?? 0) + 1)
  }

  /**
   * A request without an `_id` condition counted over a time range is also the count of its
   * conditions over all ids: kept that way too, so that the documented loop's next page (the same
   * filters and `_id[lt]`) derives from it.
   */
  private keepForIds(table: CountTable, conditions: readonly Condition[], got: number, position: string, now: number): void {
    const { range, rest } = splitConditions(conditions, ['id'])
    this.keep(countKey(table, 'id', rest), { range, count: got, position, born: now })
  }

  /**
   * A derivation from `base`, or why it cannot serve (counted as a fallback). `short`: walk no
   * piece past the cap floor (where long reads go to the count thread instead).
   */
  private async derived(store: Store, q: CountQuery, base: Omit<Entry, 'born'>, short: boolean): Promise<Derived | Unserved> {
    const derived = await derive(store, q, base, capFloor(this.ladderStep), short)
    this.stats.fallbacks += typeof derived === 'string' || derived.count < 0 ? 1 : 0
    if (typeof derived === 'string') return derived
    if (derived.count >= 0) return derived
    this.stats.anomalies++
    return 'unusable'
  }

  private freshLadder(key: string, now: number): Ladder | null {
    const ladder = this.ladders.get(key)
    if (!ladder) return null
    if (now - ladder.born >= this.lifetimeMs) {
      this.ladders.delete(key)
      return null
    }
    return ladder
  }

  /**
   * The statement that derives a count of `conditions` from the kept count nearest it, to be read in
   * one snapshot with something else (a page: store/items.ts), and how to settle the count from its
   * row — or null when no kept count is near, or when the row says it needs more than that statement
   * (rows changed since, the log was pruned, a piece too large): then count() in a snapshot of its own.
   */
  derivation(
    d: Dialect,
    table: CountTable,
    conditions: readonly Condition[],
    skews: Skews | null = null,
  ): { delta: Shaped<RawBuilder<Record<string, unknown>>>; settle(row: Record<string, unknown>): { count: number; position: string } | null } | null {
    const { column, range, rest, key, band } = requestOf(table, conditions, skews)
    if (band === null || isEmpty(range)) return null
    const now = performance.now()
    // Built in a snapshot of its own (countOf, through the caller's fallback), not in a page's statement.
    if (this.ladderWanted(key, now)) return null
    const chosen = this.base(key, range, now)
    if (chosen === null) return null
    const base = chosen.entry
    const queries = deriveQueries(d, { table, column, rest, range, band }, base, capFloor(this.ladderStep))
    return {
      delta: queries.delta,
      settle: (row) => {
        const derived = settled(queries, base.count, row)
        if (typeof derived === 'string' || derived.count < 0 || toNumber(row.changed) === 1) return null
        this.answer(key, range, derived, now, chosen.kind)
        this.stats.withPage++
        if (column !== 'id') this.keepForIds(table, conditions, derived.count, derived.position, now)
        return derived
      },
    }
  }

  /** Everything kept now (a count thread's, for the thread that asked). */
  read(): CountsRead {
    return {
      counts: [...this.kept].flatMap(([key, list]) => list.map(({ range, count, position }) => ({ key, range, count, position }))),
      ladders: [...this.ladders].map(([key, { values, counts, total, position }]) => ({ key, ladder: { values, counts, total, position } })),
    }
  }

  /** Keeps counts and ladders read elsewhere (on the count thread): exact at their positions, derived from like any other. */
  adopt(read: CountsRead): void {
    const now = performance.now()
    for (const { key, range, count, position } of read.counts) this.keep(key, { range, count, position, born: now })
    for (const { key, ladder } of read.ladders) this.keepLadder(key, { ...ladder, born: now })
    this.stats.aside++
  }

  /** Whether a count of the same filter over some range of the same column is kept (so that `conditions` may derive from it). */
  keeps(table: CountTable, conditions: readonly Condition[]): boolean {
    const now = performance.now()
    return this.kept.get(requestOf(table, conditions).key)?.some((e) => now - e.born < this.lifetimeMs) ?? false
  }

  /** The kept count of `key` whose range differs least from `range` (estimated), if any is still fresh. */
  private nearest(key: string, range: Range, now: number): { entry: Entry; score: number } | null {
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
      const score = difference(e.range, range)
      if (score <= bestScore) {
        best = e
        bestScore = score
      }
    }
    return best && { entry: best, score: bestScore }
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

function inRange(column: Expression<unknown>, r: Range): Expression<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = []
  if (r.lower) parts.push(sql<SqlBool>`${column} ${sql.raw(r.lower.inclusive ? '>=' : '>')} ${r.lower.value}`)
  if (r.upper) parts.push(sql<SqlBool>`${column} ${sql.raw(r.upper.inclusive ? '<=' : '<')} ${r.upper.value}`)
  return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})`
}

/** Below and above every value of a range column: ids are ASCII text compared by bytes, times integer ms. */
const LOWEST = { id: '', time: Number.MIN_SAFE_INTEGER }
const HIGHEST = { id: '\u{10FFFF}', time: Number.MAX_SAFE_INTEGER }

/**
 * `r` on the range column as `column >= lo and column < hi`, both bounds always there, whatever
 * bounds `r` has and whether they are inclusive: a derivation's statement then has one text for
 * every range of its filter, which PostgreSQL prepares once (store/prepared.ts names at most 256
 * texts; with each bound in five forms, the count terms of the benchmark's shapes made ~250) and
 * which is built and compiled once (store/compiled.ts). The least value above v is v + 1 for a time
 * (integer ms) and v + U+0001 for an id (no text holds U+0000). A value of another kind keeps `r`
 * itself, written in inRange's form.
 */
function spanOf(kind: 'id' | 'time', r: Range): Span {
  const next = (v: RangeValue): RangeValue | null =>
    kind === 'id' ? (typeof v === 'string' ? `${v}\u0001` : null) : typeof v === 'number' && Number.isSafeInteger(v) ? v + 1 : null
  const own = (v: RangeValue): RangeValue | null => (kind === 'id' ? (typeof v === 'string' ? v : null) : typeof v === 'number' ? v : null)
  const lo = r.lower === null ? LOWEST[kind] : r.lower.inclusive ? own(r.lower.value) : next(r.lower.value)
  const hi = r.upper === null ? HIGHEST[kind] : r.upper.inclusive ? next(r.upper.value) : own(r.upper.value)
  return lo === null || hi === null ? r : [lo, hi]
}

/** A range in span's one form, its two bounds (or the values standing for them: marks), or in inRange's where it has none. */
type Span = readonly [lo: unknown, hi: unknown] | Range
const isBounds = (s: Span): s is readonly [unknown, unknown] => Array.isArray(s)

const spanSql = (column: Expression<unknown>, s: Span): Expression<SqlBool> =>
  isBounds(s) ? sql<SqlBool>`(${column} >= ${s[0]} and ${column} < ${s[1]})` : inRange(column, s)

const kindOf = (column: string): 'id' | 'time' => (column === 'id' ? 'id' : 'time')

/** A range that holds nothing (from the lowest value up to it): what a derivation without a second piece walks. */
const nothingOf = (kind: 'id' | 'time'): Range => ({ lower: { value: LOWEST[kind], inclusive: true }, upper: { value: LOWEST[kind], inclusive: false } })

const toNumber = (v: unknown): number => Number(v)

/** A count request: F (`rest`) and a range of the range column. */
export interface CountQuery {
  readonly table: CountTable
  readonly column: string
  readonly rest: readonly Condition[]
  readonly range: Range
  /**
   * Where on the range column rows matching F can be at all (the bounds F's other ranges imply).
   * Only an access path: a piece or a ladder walks range ∩ band, which holds the same matching rows
   * but skips the ones F would reject one by one (a fixed `updated_at[gt]` with an `_id` cursor far
   * below it walked every older message).
   */
  readonly band?: Range
}

/** COUNT(*) of F over the whole range, and the position it was read at. Every index may serve it. */
export function countAllQuery(d: Dialect, table: CountTable, rest: readonly Condition[], column: string, range: Range): RawBuilder<{ n: unknown; position: string }> {
  return sql<{ n: unknown; position: string }>`
    select count(*) as n, ${d.changePosition(LOG[table])} as position
    from ${sql.table(table)} where ${whereOf({ conditions: rest }, d)} and ${inRange(sql.ref(column), range)}`
}

async function countAll(store: Store, table: CountTable, rest: readonly Condition[], column: string, range: Range): Promise<{ count: number; position: string }> {
  const { rows } = await countAllQuery(store.dialect, table, rest, column, range).execute(store.db)
  return { count: toNumber(rows[0]!.n), position: String(rows[0]!.position) }
}

/** F with the range column's index as the access path (other ordered columns hidden from SQLite's choice, as for a page sorted by it). */
const walkingIndexOf = (d: Dialect, q: Pick<CountQuery, 'table' | 'column' | 'rest'>) =>
  whereOf({ conditions: q.rest, sort: { column: q.column, direction: 'asc' }, orderingColumns: ORDERING[q.table] }, d)

/**
 * Rungs closer together where few rows match: about LADDER_RUNGS of them, at least
 * MIN_LADDER_STEP rows apart, and never wider than `maxStep`, the step that sizes a piece's cap
 * (capFloor), so a rung's pieces still fit. A ladder of 100k dialogs gets rungs ~400 rows apart
 * instead of 4096: each count derived from it walks ~10× fewer rows, for ~250 hops once per filter.
 * Large ladders stop at MAX_RUNG_STEP apart: at 10M messages a count derived from rungs 4096 apart
 * walked ~1,000 rows a term on average, and a request over two ranges derives two terms
 * (docs/performance.md §6o). The cap on pieces stays twice the `maxStep`.
 */
const LADDER_RUNGS = 256
const MIN_LADDER_STEP = 256
const MAX_RUNG_STEP = 1024

/**
 * A derivation from a kept count that walks as many rows as the widest rungs are apart is long:
 * after LONG_WALKS_FOR_LADDER of them, the filter gets a ladder (Counts.ladderWanted). The
 * documented loop's walk a page's worth.
 */
const longWalk = (maxStep: number): number => Math.min(maxStep, MAX_RUNG_STEP)
const LONG_WALKS_FOR_LADDER = 2
const ladderStepFor = (total: number, maxStep: number): number =>
  Math.min(maxStep, MAX_RUNG_STEP, Math.max(MIN_LADDER_STEP, Math.ceil(total / LADDER_RUNGS)))

/**
 * A ladder for F over the range column, read in the caller's snapshot: every `step`-th value of the
 * column (an OFFSET hop along its index) and the exact count at or below it. About 0.25 s per
 * million matching rows on SQLite when F needs the table row (docs/performance.md). Each hop's
 * range is one interval — the band and "after the last rung" folded together — because SQLite
 * walks an index from one lower bound only: given two, it may start at the band's and walk every
 * earlier rung's rows again on each hop.
 */
async function buildLadder(store: Store, q: Pick<CountQuery, 'table' | 'column' | 'rest' | 'band'>, maxStep: number, born: number): Promise<Ladder> {
  const d = store.dialect
  const col = sql.ref(q.column)
  const band = q.band ?? ALL
  const where = walkingIndexOf(d, q)
  const { count: total, position } = await countAll(store, q.table, q.rest, q.column, band)
  const step = ladderStepFor(total, maxStep)
  const values: RangeValue[] = []
  const counts: number[] = []
  let below = 0
  let previous: RangeValue | null = null
  for (;;) {
    const after: Range = previous === null ? band : intersect(band, { lower: { value: previous, inclusive: false }, upper: null })
    const { rows }: { rows: Array<{ v: RangeValue }> } = await sql<{ v: RangeValue }>`
      select ${col} as v from ${sql.table(q.table)} where ${where} and ${inRange(col, after)} order by ${col} limit 1 offset ${step - 1}`.execute(store.db)
    if (rows.length === 0) break
    const v: RangeValue = typeof rows[0]!.v === 'string' ? rows[0]!.v : toNumber(rows[0]!.v)
    if (q.column === 'id') {
      // Ids are unique: v is the step-th matching row after the last rung.
      below += step
    } else {
      // Times tie: count every row up to v, its equals past the hop included.
      const upTo = intersect(after, { lower: null, upper: { value: v, inclusive: true } })
      const { rows: n } = await sql<{ n: unknown }>`
        select count(*) as n from ${sql.table(q.table)} where ${where} and ${inRange(col, upTo)}`.execute(store.db)
      below += toNumber(n[0]!.n)
    }
    values.push(v)
    counts.push(below)
    previous = v
  }
  return { values, counts, total, position, born }
}

export interface DeriveQueries {
  /**
   * The position now, whether the log still holds every change after base's position (`usable`),
   * whether any row changed since that may matter (`changed`), and the difference pieces (columns
   * piece0 and piece1, each counted up to `cap`, to be subtracted or added as `signs` say). As a
   * shape: its text is the same for every range and kept count of a filter, only its values differ.
   */
  readonly delta: Shaped<RawBuilder<Record<string, unknown>>>
  /** Only when something changed: now_matching − then_matching corrects base's count. */
  readonly correction: RawBuilder<{ now_matching: unknown; then_matching: unknown }>
  /** Per piece: -1 to subtract it from the kept count, 1 to add it, 0 for an empty one that pads the text. */
  readonly signs: readonly number[]
  readonly cap: number
}

/**
 * The statements that derive count(F ∧ range) from the kept count `base`, to be run in one snapshot.
 * Two, not one: the correction is needed only when rows changed, and a statement this size costs
 * PostgreSQL more to plan than to run.
 *
 * A piece is walked up to `cap` rows: up to half the kept count, since past that counting the range
 * from scratch is cheaper — unless `short`, where a count from scratch would be read on the count
 * thread (readCounting in store/items.ts): then only up to `minCap`, a page's cost or so, and a
 * longer piece is 'far' (and a ladder is read there).
 */
export function deriveQueries(d: Dialect, q: CountQuery, base: { range: Range; count: number; position: string }, minCap: number, short = false): DeriveQueries {
  const { table, column, rest, range } = q
  const band = q.band ?? ALL
  const log = LOG[table]
  const kind = kindOf(column)
  const kept = spanOf(kind, base.range)
  // The changed rows are looked up by id: every other column hidden from index choice.
  const byId = sql<SqlBool>`${whereOf({ conditions: rest, sort: { column: 'id', direction: 'desc' }, orderingColumns: COLUMNS[table] }, d)} and ${spanSql(d.noIndex(sql.ref(column)), kept)}`
  const cap = short ? minCap : Math.max(minCap, Math.ceil(base.count / 2))
  // What the kept count has beyond the range is subtracted, what the range has beyond it added:
  // one piece at most beyond each end, two in all, padded to two so that the text is the same
  // whichever ends differ.
  const ends = [...minus(base.range, range).map((r) => ({ r, sign: -1 })), ...minus(range, base.range).map((r) => ({ r, sign: 1 }))]
  while (ends.length < 2) ends.push({ r: nothingOf(kind), sign: 0 })
  // Each piece walks only its part of the band: the rows outside it cannot match F.
  const pieces = ends.map(({ r }) => spanOf(kind, intersect(r, band)))
  // An id never changes, so for an id range only changes inside it matter (`within`); a time can
  // change, so for a time range every change does.
  const within = column === 'id' ? kept : null
  const delta = deltaShape(d, q, { position: base.position, cap, rest, pieces, within })
  const after = changedSince(d, column, base.position, within)
  // Each changed id's first change after the kept count: its pre-image is the row as the kept count
  // saw it (existed = 0: it was not there then).
  const correction = sql<{ now_matching: unknown; then_matching: unknown }>`
    with changed as (select id, min(seq) as first from ${sql.table(log)} where ${after} group by id)
    select
      (select count(*) from ${sql.table(table)} where id in (select id from changed) and ${byId}) as now_matching,
      (select count(*) from ${sql.table(log)} where seq in (select first from changed) and existed = 1 and ${byId}) as then_matching`
  return { delta, correction, signs: ends.map((e) => e.sign), cap }
}

/** What a delta statement's text holds besides its table and column: the values, and F's conditions. */
interface DeltaParts {
  readonly position: unknown
  readonly cap: unknown
  readonly rest: readonly Condition[]
  readonly pieces: readonly Span[]
  /** For an id range: the kept count's range, outside which a change cannot matter. */
  readonly within: Span | null
}

/** The delta statement as a shape: its key names the table, the column and F's shape; its values are the position, the cap, F's values and the spans' bounds. */
function deltaShape(d: Dialect, q: Pick<CountQuery, 'table' | 'column'>, parts: DeltaParts): Shaped<RawBuilder<Record<string, unknown>>> {
  const direct = () => deltaQuery(d, q, parts)
  const where = conditionsShape(parts.rest)
  const spans = parts.within === null ? parts.pieces : [...parts.pieces, parts.within]
  if (where === null || !spans.every(isBounds)) return { key: null, values: [], build: direct, direct }
  const n = where.values.length
  return {
    key: `delta ${q.table}|${q.column}|${parts.pieces.length}|${parts.within === null ? '' : 'within'}${where.key}`,
    values: [parts.position, parts.cap, ...where.values, ...spans.flatMap((s) => s as readonly unknown[])],
    build: (v) => {
      const pair = (i: number) => [v[2 + n + 2 * i], v[3 + n + 2 * i]] as const
      const pieces = parts.pieces.map((_, i) => pair(i))
      return deltaQuery(d, q, { position: v[0], cap: v[1], rest: where.withValues(v.slice(2, 2 + n)), pieces, within: parts.within === null ? null : pair(pieces.length) })
    },
    direct,
  }
}

/** The change log's rows after `position` that may matter: for an id range, those `within` it. Read by position (seq / xid index), not by id. */
const changedSince = (d: Dialect, column: string, position: string, within: Span | null): Expression<SqlBool> =>
  within === null ? d.changedAfter(position) : sql<SqlBool>`${d.changedAfter(position)} and ${spanSql(d.noIndex(sql.ref(column)), within)}`

function deltaQuery(d: Dialect, q: Pick<CountQuery, 'table' | 'column'>, parts: DeltaParts): RawBuilder<Record<string, unknown>> {
  const { table, column } = q
  const col = sql.ref(column)
  const position = parts.position as string
  // Pieces walk the range column's index (or (chat_dialog_id, k), …).
  const where = walkingIndexOf(d, { table, column, rest: parts.rest })
  const piece = (s: Span, name: string) =>
    sql`(select count(*) from (select 1 from ${sql.table(table)} where ${where} and ${spanSql(col, s)} limit ${parts.cap}) as piece) as ${sql.ref(name)}`
  const after = changedSince(d, column, position, parts.within)
  return sql<Record<string, unknown>>`
    select
      ${d.changePosition(LOG[table])} as position,
      case when ${d.keepsChangesAfter(position, sql`(select cut from change_log_cut where tbl = ${sql.lit(table)})`)} then 1 else 0 end as usable,
      case when exists (select 1 from ${sql.table(LOG[table])} where ${after}) then 1 else 0 end as changed,
      ${sql.join(parts.pieces.map((s, i) => piece(s, `piece${i}`)))}`
}

/** Why a kept count cannot serve: the log was pruned past it, or it is too far from the request. */
type Unserved = 'unusable' | 'far'

/** A derived count, and how many rows its difference pieces walked. */
interface Derived {
  readonly count: number
  readonly position: string
  readonly walked: number
}

/**
 * count(F ∧ range) from the kept count `base`, or why it cannot serve: 'unusable' when the log was
 * pruned past it, 'far' when a difference piece holds more than half its count (then counting the
 * range directly is cheaper). Must run in a read transaction: both statements read one snapshot.
 */
async function derive(store: Store, q: CountQuery, base: Omit<Entry, 'born'>, minCap: number, short: boolean): Promise<Derived | Unserved> {
  const queries = deriveQueries(store.dialect, q, base, minCap, short)
  const row = (await store.db.executeQuery<Record<string, unknown>>(compiledShape(store, queries.delta))).rows[0]!
  const derived = settled(queries, base.count, row)
  if (typeof derived === 'string' || toNumber(row.changed) !== 1) return derived
  const fix = (await queries.correction.execute(store.db)).rows[0]!
  return { ...derived, count: derived.count + toNumber(fix.now_matching) - toNumber(fix.then_matching) }
}

/** The kept count `count` moved by the delta statement's row: its pieces, before any correction for changed rows. */
function settled(queries: DeriveQueries, count: number, row: Record<string, unknown>): Derived | Unserved {
  if (toNumber(row.usable) !== 1) return 'unusable'
  let walked = 0
  for (const [i, sign] of queries.signs.entries()) {
    const piece = toNumber(row[`piece${i}`])
    if (piece >= queries.cap) return 'far'
    count += sign * piece
    walked += piece
  }
  return { count, position: String(row.position), walked }
}
