// Step three, the only place the list language becomes SQL: a ListPlan → a WHERE expression and an
// ORDER BY for a Kysely select. Dialect differences come from store/dialect.ts.
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely'
import type { Dialect } from '../store/dialect.ts'
import type { Condition, ListPlan, Target, Value } from './plan.ts'

const TRUE = sql<SqlBool>`1 = 1`
const FALSE = sql<SqlBool>`1 = 0`

/**
 * SQLite parses `a and b and c …` into a tree as deep as the list is long, and refuses a tree deeper
 * than 1000 (SQLITE_MAX_EXPR_DEPTH): a request's conditions (up to 1000 extension keys) were a 500
 * there. (A long list of one filter's values is one test, withinSeconds and Dialect.arrayHas.) A
 * longer list is joined in parenthesised groups of
 * GROUP terms, so the depth grows with the logarithm of its length; a shorter one keeps its text.
 * Both planners see the same terms: SQLite splits nested ANDs and ORs alike, PostgreSQL flattens them.
 */
const GROUP = 64

function joined(parts: Expression<SqlBool>[], op: 'and' | 'or'): Expression<SqlBool> {
  if (parts.length === 1) return parts[0]!
  if (parts.length <= GROUP) return sql<SqlBool>`(${sql.join(parts, sql.raw(` ${op} `))})`
  const groups: Expression<SqlBool>[] = []
  for (let i = 0; i < parts.length; i += GROUP) groups.push(joined(parts.slice(i, i + GROUP), op))
  return joined(groups, op)
}

const and = (parts: Expression<SqlBool>[]): Expression<SqlBool> => (parts.length === 0 ? TRUE : joined(parts, 'and'))
const or = (parts: Expression<SqlBool>[]): Expression<SqlBool> => (parts.length === 0 ? FALSE : joined(parts, 'or'))

/**
 * Time ranges past this many (a list of seconds, `created_at[in]=…`) are tested as one IN over the
 * second each time falls in, not as an OR of ranges: SQLite nests an OR of n terms n deep and
 * refuses ~1000 (its expression depth limit), and tests every term on every row, where an IN list
 * is one lookup. Below it, the ranges stay index ranges.
 */
export const FEW_RANGES = 16

/**
 * Within one of `ranges`, each one whole second [s·1000, s·1000 + 1000) (plan.ts timeCondition): the
 * time's second, by `t - t % 1000`, among the seconds' starts. `%` truncates towards zero on both
 * engines, which is the floor for the times the bounds let through: the seconds named are never
 * negative.
 */
function withinSeconds(col: Expression<unknown>, ranges: ReadonlyArray<readonly [number, number]>): Expression<SqlBool> {
  let lo = Infinity
  let hi = -Infinity
  for (const [from, to] of ranges) {
    lo = Math.min(lo, from)
    hi = Math.max(hi, to)
  }
  const starts = sql.join(ranges.map(([from]) => from))
  return sql<SqlBool>`(${col} >= ${lo} and ${col} < ${hi} and ${col} - ${col} % 1000 in (${starts}))`
}

function targetOf(target: Target, d: Dialect): Expression<unknown> {
  return target.jsonKey === undefined ? sql.ref(target.column) : d.jsonText(target.column, target.jsonKey)
}

/**
 * A page is read by walking one index in sort order: the sort column's (or, with a chat_dialog_id
 * filter, the dialog's composite one). Ranges on the other ordering columns are then filters,
 * hidden from index choice; an `_id` range stays plain where the dialect checks it on the walked
 * index's entries (Dialect.idPlainOnWalks: every walk's index ends with id).
 */
function hidden(plan: Pick<ListPlan, 'sort' | 'orderingColumns'>, d: Dialect): ReadonlySet<string> {
  return new Set(plan.orderingColumns.filter((c) => c !== plan.sort.column && !(c === 'id' && d.idPlainOnWalks)))
}

function compile(c: Condition, d: Dialect, hide: ReadonlySet<string>): Expression<SqlBool> {
  const plain = targetOf(c.target, d)
  const col = hide.has(c.target.column) && c.target.jsonKey === undefined ? d.noIndex(plain) : plain
  switch (c.test) {
    case 'cmp':
      return sql<SqlBool>`${col} ${sql.raw(c.op)} ${c.value}`
    case 'ctn':
      return d.contains(col, c.value)
    case 'in': {
      if (c.values.length === 0) return c.negate ? TRUE : FALSE
      const list = sql`(${sql.join(c.values)})`
      return c.negate ? sql<SqlBool>`(${col} is null or ${col} not in ${list})` : sql<SqlBool>`${col} in ${list}`
    }
    case 'ranges': {
      const within = c.ranges.length > FEW_RANGES ? withinSeconds(col, c.ranges) : or(c.ranges.map(([from, to]) => sql<SqlBool>`(${col} >= ${from} and ${col} < ${to})`))
      return c.negate ? sql<SqlBool>`not ${within}` : within
    }
    case 'array': {
      if (c.values.length === 0) return c.mode === 'none' || c.mode === 'all' ? TRUE : FALSE
      const values = c.key === undefined ? (c.values as (string | number)[]) : c.values.map(String)
      if (c.mode === 'all') return d.arrayHas(c.target.column, c.key, values, 'all')
      const any = d.arrayHas(c.target.column, c.key, values, 'any')
      // 'none' (ne / nin) also matches a missing array, as the scalar ne / nin do: on PostgreSQL
      // `NULL @> …` is NULL, and `not NULL` would drop the row.
      return c.mode === 'any' ? any : sql<SqlBool>`(${sql.ref(c.target.column)} is null or not ${any})`
    }
  }
}

/** The WHERE of a plan. Without a sort (a count), every index stays available. */
export function whereOf(plan: Pick<ListPlan, 'conditions'> & Partial<Pick<ListPlan, 'sort' | 'orderingColumns'>>, d: Dialect): Expression<SqlBool> {
  const hide = plan.sort && plan.orderingColumns ? hidden({ sort: plan.sort, orderingColumns: plan.orderingColumns }, d) : new Set<string>()
  return and(plan.conditions.map((c) => compile(c, d, hide)))
}

/** Filters, total order (ties by id in the same direction), skip and limit. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function applyPage<QB extends SelectQueryBuilder<any, any, any>>(qb: QB, plan: ListPlan, d: Dialect): QB {
  const { column, direction, nullsLast } = plan.sort
  let q = qb.where(whereOf(plan, d))
  // false sorts before true on both engines: rows with a value first, whatever the direction.
  if (nullsLast) q = q.orderBy(sql`${sql.ref(column)} is null`)
  q = q.orderBy(sql.ref(column), direction)
  if (column !== 'id') q = q.orderBy(sql.ref('id'), direction)
  return q.limit(plan.limit).offset(plan.skip) as QB
}

/**
 * Conditions as a shape and its values (store/compiled.ts): the values in the order the conditions
 * hold them, `key` naming everything else whereOf's text depends on, and `withValues` the conditions
 * again with other values in their places. Only for conditions that compare plain columns (cmp, in,
 * ranges) — every Admin API filter; those each hand their values to Kysely unchanged. Null for the
 * others (JSON keys, contains, arrays: their dialect functions may change a value), built every time.
 */
export function conditionsShape(conditions: readonly Condition[]): { key: string; values: unknown[]; withValues(values: readonly unknown[]): Condition[] } | null {
  let key = ''
  const values: unknown[] = []
  for (const c of conditions) {
    if (c.target.jsonKey !== undefined) return null
    if (c.test === 'cmp') {
      key += `|${c.target.column} ${c.op}`
      values.push(c.value)
    } else if (c.test === 'in') {
      key += `|${c.target.column} ${c.negate ? 'not in' : 'in'} ${c.values.length}`
      values.push(...c.values)
    } else if (c.test === 'ranges') {
      // Many ranges are tested by their bounds and starts (withinSeconds): not one value each as given.
      if (c.ranges.length > FEW_RANGES) return null
      key += `|${c.target.column} ${c.negate ? 'not ranges' : 'ranges'} ${c.ranges.length}`
      for (const [from, to] of c.ranges) values.push(from, to)
    } else return null
  }
  const withValues = (given: readonly unknown[]): Condition[] => {
    let i = 0
    const next = () => given[i++] as Value
    return conditions.map((c): Condition => {
      if (c.test === 'cmp') return { ...c, value: next() }
      if (c.test === 'in') return { ...c, values: c.values.map(next) }
      if (c.test === 'ranges') return { ...c, ranges: c.ranges.map(() => [next() as number, next() as number] as const) }
      return c
    })
  }
  return { key, values, withValues }
}

/** A page's plan as a shape (conditionsShape): its conditions', then its limit and skip. Null where the conditions have none. */
export function pageShape(plan: ListPlan): { key: string; values: unknown[]; withValues(values: readonly unknown[]): ListPlan } | null {
  const where = conditionsShape(plan.conditions)
  if (where === null) return null
  const key = `${plan.sort.column} ${plan.sort.direction} ${plan.sort.nullsLast ? 'nulls-last' : ''}|${plan.orderingColumns.join(',')}${where.key}`
  const n = where.values.length
  const withValues = (given: readonly unknown[]): ListPlan => ({
    ...plan,
    conditions: where.withValues(given.slice(0, n)),
    limit: given[n] as number,
    skip: given[n + 1] as number,
  })
  return { key, values: [...where.values, plan.limit, plan.skip], withValues }
}
