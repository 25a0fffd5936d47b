// Implied bounds: ranges on one of _id / created_at / updated_at bound the others, given how far
// apart an item's three values can be (store/migrations/0004-item-skews.ts). A page walks its sort
// column's index; adding the bounds its filters imply on that column makes the walk start where
// matches can be, instead of skipping every row before them (`created_at[lte]=T&sort_desc=_id`
// would otherwise walk down from the newest _id through every row created after T).
//
// Pure and sound: an added condition holds for every row that matches the plan, so the page is
// the same rows; only the work to find them changes. Knows neither HTTP nor SQL.
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
const objectIdSeconds = (id: string): number => parseInt(id.slice(0, 8), 16)
const objectIdAt = (seconds: number): string => seconds.toString(16).padStart(8, '0') + '0'.repeat(16)

/** The interval of ms a set of cmp conditions on `column` allows (ids as their time, loosened to whole seconds). */
function intervalOf(conditions: readonly Condition[], column: string): Interval {
  const out: Interval = { lo: -Infinity, hi: Infinity }
  for (const c of conditions) {
    if (c.test !== 'cmp' || c.target.column !== column || c.target.jsonKey !== undefined) continue
    // An id's time is its seconds: every id < X or <= X has a time <= X's, every id > X or >= X a time >= X's.
    const v = column === 'id' ? objectIdSeconds(c.value as string) * 1000 : (c.value as number)
    const strict = column !== 'id' && (c.op === '<' || c.op === '>')
    if (c.op === '<' || c.op === '<=' || c.op === '=') out.hi = Math.min(out.hi, strict ? v - 1 : v)
    if (c.op === '>' || c.op === '>=' || c.op === '=') out.lo = Math.max(out.lo, strict ? v + 1 : v)
  }
  return out
}

const meet = (a: Interval, b: Interval): Interval => ({ lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) })
const shift = (a: Interval, lo: number, hi: number): Interval => ({ lo: a.lo + lo, hi: a.hi + hi })

/** Whether the plan ranges over one of the three columns other than its sort column: only then can bounds be implied. */
export function mayImplyBounds(plan: ListPlan): boolean {
  return plan.conditions.some(
    (c) => c.test === 'cmp' && c.target.jsonKey === undefined && c.target.column !== plan.sort.column && ['id', 'created_at', 'updated_at'].includes(c.target.column),
  )
}

type Cmp = Extract<Condition, { test: 'cmp' }>
const isUpper = (c: Cmp) => c.op === '<' || c.op === '<='
const isLower = (c: Cmp) => c.op === '>' || c.op === '>='
/** The tighter of two upper (or two lower) bounds on one column. */
function tighter(a: Cmp, b: Cmp, upper: boolean): Cmp {
  if (a.value !== b.value) return (a.value < b.value) === upper ? a : b
  return a.op === '<' || a.op === '>' ? a : b
}

/**
 * The plan with the bounds its conditions imply on the sort column, or null when they imply that no
 * row matches. The sort column keeps one bound each way, the tightest of the given and the implied
 * ones (a tighter implied bound implies the given one): SQLite takes one bound per direction for an
 * index range, and might take the looser. Unchanged when nothing tighter is implied.
 */
export function withImpliedBounds(plan: ListPlan, skews: Skews | null): ListPlan | null {
  const column = plan.sort.column
  if (skews === null || !['id', 'created_at', 'updated_at'].includes(column)) return plan
  // I: the ObjectId's time, C: created_at, U: updated_at. C = I + [idLo, idHi], U = C + [updLo, updHi].
  let i = intervalOf(plan.conditions, 'id')
  let c = intervalOf(plan.conditions, 'created_at')
  let u = intervalOf(plan.conditions, 'updated_at')
  for (let round = 0; round < 2; round++) {
    c = meet(c, meet(shift(i, skews.idLo, skews.idHi), shift(u, -skews.updHi, -skews.updLo)))
    i = meet(i, shift(c, -skews.idHi, -skews.idLo))
    u = meet(u, shift(c, skews.updLo, skews.updHi))
  }
  if (i.lo > i.hi || c.lo > c.hi || u.lo > u.hi) return null
  const target = column === 'id' ? i : column === 'created_at' ? c : u
  const implied: Cmp[] = []
  const on = { column }
  if (column === 'id') {
    // I ∈ [lo, hi] ⇔ seconds ∈ [⌈lo/1000⌉, ⌊hi/1000⌋] ⇔ objectIdAt(⌈lo/1000⌉) <= id < objectIdAt(⌊hi/1000⌋ + 1).
    const from = Math.ceil(target.lo / 1000)
    const to = Math.floor(target.hi / 1000) + 1
    if (from > SECONDS_MAX || to <= 0) return null
    if (from > 0) implied.push({ test: 'cmp', target: on, op: '>=', value: objectIdAt(from) })
    if (to <= SECONDS_MAX) implied.push({ test: 'cmp', target: on, op: '<', value: objectIdAt(to) })
  } else {
    if (Number.isFinite(target.lo)) implied.push({ test: 'cmp', target: on, op: '>=', value: target.lo })
    if (Number.isFinite(target.hi)) implied.push({ test: 'cmp', target: on, op: '<=', value: target.hi })
  }
  const onSort = (x: Condition): x is Cmp => x.test === 'cmp' && x.target.column === column && x.target.jsonKey === undefined
  const given = plan.conditions.filter(onSort)
  if (implied.length === 0 || given.some((x) => x.op === '=')) return plan
  const kept: Cmp[] = []
  for (const [side, upper] of [[isUpper, true], [isLower, false]] as const) {
    const bounds = [...given.filter(side), ...implied.filter(side)]
    if (bounds.length > 0) kept.push(bounds.reduce((a, b) => tighter(a, b, upper)))
  }
  if (kept.every((k) => given.includes(k)) && given.length === kept.length) return plan
  return { ...plan, conditions: [...plan.conditions.filter((x) => !onSort(x)), ...kept] }
}
