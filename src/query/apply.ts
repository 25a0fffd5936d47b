// Step three, the only place the list language becomes SQL: a ListPlan → a WHERE expression and an
// ORDER BY for a Kysely select. Dialect differences come from store/dialect.ts.
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely'
import type { Dialect } from '../store/dialect.ts'
import type { Condition, ListPlan, Target } from './plan.ts'

const TRUE = sql<SqlBool>`1 = 1`
const FALSE = sql<SqlBool>`1 = 0`

function and(parts: Expression<SqlBool>[]): Expression<SqlBool> {
  if (parts.length === 0) return TRUE
  return parts.length === 1 ? parts[0]! : sql<SqlBool>`(${sql.join(parts, sql` and `)})`
}

function or(parts: Expression<SqlBool>[]): Expression<SqlBool> {
  if (parts.length === 0) return FALSE
  return parts.length === 1 ? parts[0]! : sql<SqlBool>`(${sql.join(parts, sql` or `)})`
}

function targetOf(target: Target, d: Dialect): Expression<unknown> {
  return target.jsonKey === undefined ? sql.ref(target.column) : d.jsonText(target.column, target.jsonKey)
}

/**
 * A page is read by walking one index in sort order: the sort column's (or, with a chat_dialog_id
 * filter, the dialog's composite one). Ranges on the other ordering columns are then filters.
 */
function hidden(plan: Pick<ListPlan, 'sort' | 'orderingColumns'>): ReadonlySet<string> {
  return new Set(plan.orderingColumns.filter((c) => c !== plan.sort.column))
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
      const within = or(c.ranges.map(([from, to]) => sql<SqlBool>`(${col} >= ${from} and ${col} < ${to})`))
      return c.negate ? sql<SqlBool>`not ${within}` : within
    }
    case 'array': {
      const has = c.values.map((v) =>
        c.key === undefined ? d.arrayContains(c.target.column, v) : d.arrayHasObjectWith(c.target.column, c.key, String(v)),
      )
      if (c.mode === 'all') return and(has)
      // 'none' (ne / nin) also matches a missing array, as the scalar ne / nin do: on PostgreSQL
      // `NULL @> …` is NULL, and `not NULL` would drop the row.
      return c.mode === 'any' ? or(has) : sql<SqlBool>`(${sql.ref(c.target.column)} is null or not ${or(has)})`
    }
  }
}

/** The WHERE of a plan. Without a sort (a count), every index stays available. */
export function whereOf(plan: Pick<ListPlan, 'conditions'> & Partial<Pick<ListPlan, 'sort' | 'orderingColumns'>>, d: Dialect): Expression<SqlBool> {
  const hide = plan.sort && plan.orderingColumns ? hidden({ sort: plan.sort, orderingColumns: plan.orderingColumns }) : new Set<string>()
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
