// Implied bounds: ranges on one of _id / created_at / updated_at bound the others, given how far
// apart an item's three values can be (store/migrations/0004-item-skews.ts). A page walks its sort
// column's index; adding the bounds its filters imply on that column makes the walk start where
// matches can be, instead of skipping every row before them (`created_at[lte]=T&sort_desc=_id`
// would otherwise walk down from the newest _id through every row created after T).
//
// Pure and sound: an added condition holds for every row that matches the plan, so the page is
// the same rows; only the work to find them changes. Knows neither HTTP nor SQL.
import { objectIdTime } from '../object-id.ts'
import type { Condition, ListPlan } from './plan.ts'

/** Bounds in ms of created_at − (the ObjectId's time) and of updated_at − created_at, over every row. */
export interface Skews {
  readonly idLo: number
  readonly idHi: number
  readonly updLo: number
  readonly updHi: number
}

/** An inclusive interval of ms; lo > hi is empty. */
interface Interval {
  lo: number
  hi: number
}

const SECONDS_MAX = 0xffffffff
const objectIdAt = (seconds: number): string => seconds.toString(16).padStart(8, '0') + '0'.repeat(16)

/** The interval of ms a set of cmp conditions on `column` allows (ids as their time, loosened to whole seconds). */
function intervalOf(conditions: readonly Condition[], column: string): Interval {
  const out: Interval = { lo: -Infinity, hi: Infinity }
  for (const c of conditions) {
    if (c.test !== 'cmp' || c.target.column !== column || c.target.jsonKey !== undefined) continue
    // An id's time is its seconds: every id < X or <= X has a time <= X's, every id > X or >= X a time >= X's.
    const v = column === 'id' ? objectIdTime(c.value as string) : (c.value as number)
    const strict = column !== 'id' && (c.op === '<' || c.op === '>')
    if (c.op === '<' || c.op === '<=' || c.op === '=') out.hi = Math.min(out.hi, strict ? v - 1 : v)
    if (c.op === '>' || c.op === '>=' || c.op === '=') out.lo = Math.max(out.lo, strict ? v + 1 : v)
  }
  return out
}

const meet = (a: Interval, b: Interval): Interval => ({ lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) })
const shift = (a: Interval, lo: number, hi: number): Interval => ({ lo: a.lo + lo, hi: a.hi + hi })

const ORDERED = ['id', 'created_at', 'updated_at'] as const
type Ordered = (typeof ORDERED)[number]
type Cmp = Extract<Condition, { test: 'cmp' }>
/** The plan's comparisons on the three ordered columns. */
const orderedRanges = (conditions: readonly Condition[]): Cmp[] =>
  conditions.filter((c): c is Cmp => c.test === 'cmp' && c.target.jsonKey === undefined && (ORDERED as readonly string[]).includes(c.target.column))

/** Whether the plan ranges over one of the three columns other than its sort column: only then can bounds be implied. */
export function mayImplyBounds(plan: ListPlan): boolean {
  return orderedRanges(plan.conditions).some((c) => c.target.column !== plan.sort.column)
}

const isUpper = (c: Cmp) => c.op === '<' || c.op === '<='
const isLower = (c: Cmp) => c.op === '>' || c.op === '>='
/** The tighter of two upper (or two lower) bounds on one column. */
function tighter(a: Cmp, b: Cmp, upper: boolean): Cmp {
  if (a.value !== b.value) return (a.value < b.value) === upper ? a : b
  return a.op === '<' || a.op === '>' ? a : b
}


/** What the conditions allow of each of the three values (ids as their time), or null when nothing can match. */
function implied(conditions: readonly Condition[], skews: Skews): Record<Ordered, Interval> | null {
  // I: the ObjectId's time, C: created_at, U: updated_at. C = I + [idLo, idHi], U = C + [updLo, updHi].
  let i = intervalOf(conditions, 'id')
  let c = intervalOf(conditions, 'created_at')
  let u = intervalOf(conditions, 'updated_at')
  for (let round = 0; round < 2; round++) {
    c = meet(c, meet(shift(i, skews.idLo, skews.idHi), shift(u, -skews.updHi, -skews.updLo)))
    i = meet(i, shift(c, -skews.idHi, -skews.idLo))
    u = meet(u, shift(c, skews.updLo, skews.updHi))
  }
  if (i.lo > i.hi || c.lo > c.hi || u.lo > u.hi) return null
  return { id: i, created_at: c, updated_at: u }
}

/** An interval of `column` as at most two comparisons; null when no value of the column lies in it. */
function boundsOf(column: Ordered, allowed: Interval): Cmp[] | null {
  const bounds: Cmp[] = []
  const on = { column }
  if (column === 'id') {
    // I ∈ [lo, hi] ⇔ seconds ∈ [⌈lo/1000⌉, ⌊hi/1000⌋] ⇔ objectIdAt(⌈lo/1000⌉) <= id < objectIdAt(⌊hi/1000⌋ + 1).
    const from = Math.ceil(allowed.lo / 1000)
    const to = Math.floor(allowed.hi / 1000) + 1
    if (from > SECONDS_MAX || to <= 0) return null
    if (from > 0) bounds.push({ test: 'cmp', target: on, op: '>=', value: objectIdAt(from) })
    if (to <= SECONDS_MAX) bounds.push({ test: 'cmp', target: on, op: '<', value: objectIdAt(to) })
  } else {
    if (Number.isFinite(allowed.lo)) bounds.push({ test: 'cmp', target: on, op: '>=', value: allowed.lo })
    if (Number.isFinite(allowed.hi)) bounds.push({ test: 'cmp', target: on, op: '<=', value: allowed.hi })
  }
  return bounds
}

/**
 * `conditions` with the bounds `allowed` implies on `column`, keeping one bound each way on it: the
 * tightest of the given and the implied ones (a tighter implied bound implies the given one). SQLite
 * takes one bound per direction for an index range, and might take the looser. Null when no row can
 * match; the same array when nothing tighter is implied.
 */
function tightened(conditions: readonly Condition[], column: Ordered, allowed: Interval): readonly Condition[] | null {
  const bounds = boundsOf(column, allowed)
  if (bounds === null) return null
  const onColumn = (x: Condition): x is Cmp => x.test === 'cmp' && x.target.column === column && x.target.jsonKey === undefined
  const given = conditions.filter(onColumn)
  if (bounds.length === 0 || given.some((x) => x.op === '=')) return conditions
  const kept: Cmp[] = []
  for (const [side, upper] of [[isUpper, true], [isLower, false]] as const) {
    const both = [...given.filter(side), ...bounds.filter(side)]
    if (both.length > 0) kept.push(both.reduce((a, b) => tighter(a, b, upper)))
  }
  if (kept.every((k) => given.includes(k)) && given.length === kept.length) return conditions
  return [...conditions.filter((x) => !onColumn(x)), ...kept]
}

/**
 * The plan with the bounds its conditions imply on the sort column, or null when they imply that no
 * row matches. Unchanged when nothing tighter is implied.
 */
export function withImpliedBounds(plan: ListPlan, skews: Skews | null): ListPlan | null {
  const column = plan.sort.column as Ordered
  if (skews === null || !ORDERED.includes(column)) return plan
  const allowed = implied(plan.conditions, skews)
  if (allowed === null) return null
  const conditions = tightened(plan.conditions, column, allowed[column])
  if (conditions === null) return null
  return conditions === plan.conditions ? plan : { ...plan, conditions }
}

/**
 * The bounds on `column` (one of the three) that every row matching `conditions` meets, from the
 * ranges they put on the other two: where a count's walk along that column's index can start and
 * stop. Null when no row can match; empty when nothing is implied (no skews yet, or no range on
 * another of the columns).
 */
export function boundsImpliedOn(conditions: readonly Condition[], column: string, skews: Skews | null): Condition[] | null {
  if (skews === null || !(ORDERED as readonly string[]).includes(column)) return []
  if (!orderedRanges(conditions).some((c) => c.target.column !== column)) return []
  const allowed = implied(conditions, skews)
  return allowed === null ? null : boundsOf(column as Ordered, allowed[column as Ordered])
}

/** Whether the conditions range over two or more of _id / created_at / updated_at: then a count may be bounded by the others (boundsImpliedOn). */
export function rangesOverTwo(conditions: readonly Condition[]): boolean {
  return new Set(orderedRanges(conditions).map((c) => c.target.column)).size > 1
}

// ---------------------------------------------------------------------------------------------
// Counts over two ranges

/** Whether the conditions are one-sided ranges on two different columns of _id / created_at / updated_at: what countTerms splits. */
export function hasTwoRanges(conditions: readonly Condition[]): boolean {
  const ranged = orderedRanges(conditions)
  return ranged.length === 2 && ranged[0]!.target.column !== ranged[1]!.target.column && ranged.every((c) => c.op !== '=')
}

/** A count as a sum of counts: Σ sign · count(conditions). */
export type CountTerms = Array<{ readonly sign: 1 | -1; readonly conditions: readonly Condition[] }>

const NEGATED = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' } as const

/** Whether every row allowed by `allowed` meets the one-sided condition `c`. */
function holds(c: Cmp, allowed: Record<Ordered, Interval>): boolean {
  const column = c.target.column as Ordered
  const { lo, hi } = allowed[column]
  if (column === 'id') {
    // Only whole seconds are known of an id: it is below X when its second is below X's.
    const at = objectIdTime(c.value as string)
    return isUpper(c) ? hi < at : lo >= at + 1000
  }
  const v = c.value as number
  switch (c.op) {
    case '<':
      return hi < v
    case '<=':
      return hi <= v
    case '>':
      return lo > v
    case '>=':
      return lo >= v
    default:
      return false
  }
}

/**
 * count(F ∧ A ∧ B) for one-sided ranges A and B on two of _id / created_at / updated_at (the rest,
 * F, anything), as counts over at most one range each, which kept counts and ladders serve in
 * O(page): when A implies B it is count(F ∧ A); when not-A implies B, count(F ∧ A) + count(F ∧ B) −
 * count(F); when A implies not-B, 0 (and the same with A and B swapped). Otherwise the count itself,
 * with the bounds implied on `_id` so that it walks only the band where both can hold. Null when the
 * conditions are not of that form (count them as they are).
 */
export function countTerms(conditions: readonly Condition[], skews: Skews | null): CountTerms | null {
  if (skews === null || !hasTwoRanges(conditions)) return null
  const [a, b] = orderedRanges(conditions) as [Cmp, Cmp]
  const rest = conditions.filter((c) => c !== a && c !== b)
  const negate = (c: Cmp): Cmp => ({ ...c, op: NEGATED[c.op as keyof typeof NEGATED] })
  const allowedBy = (c: Cmp) => implied([c], skews)
  for (const [x, y] of [[a, b], [b, a]] as const) {
    const byX = allowedBy(x)
    if (byX === null || holds(negate(y), byX)) return []
    if (holds(y, byX)) return [{ sign: 1, conditions: [...rest, x] }]
    const byNotX = allowedBy(negate(x))
    if (byNotX !== null && holds(y, byNotX)) {
      return [
        { sign: 1, conditions: [...rest, x] },
        { sign: 1, conditions: [...rest, y] },
        { sign: -1, conditions: rest },
      ]
    }
  }
  const allowed = implied(conditions, skews)
  if (allowed === null) return []
  const band = tightened(conditions, 'id', allowed.id)
  return band === null ? [] : [{ sign: 1, conditions: band }]
}
