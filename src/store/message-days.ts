// Messages per UTC day of created_at for a plan's filters: one GROUP BY over everything they match.
// Exact by construction (a plain count in one statement) and as costly as the matching range: every
// matching row is read once; the filters' indexes narrow the range, nothing summarises it.
import { sql } from 'kysely'
import { whereOf } from '../query/apply.ts'
import type { ListPlan } from '../query/plan.ts'
import type { Store } from './connect.ts'

export const DAY_MS = 86_400_000

export interface DayCount {
  /** Days since 1970-01-01 (UTC). */
  readonly day: number
  readonly count: number
}

/**
 * Integer division is the same on both engines for the non-negative integer ms stored (SQLite: an
 * INTEGER column divided by an integer; PostgreSQL: bigint / integer), so the day needs no dialect
 * function; the cast keeps it whole should a value ever be stored as a REAL.
 */
const dayOf = sql<number>`cast(created_at / ${sql.lit(DAY_MS)} as integer)`

export async function countPerDay(store: Store, conditions: ListPlan['conditions'], maxDays: number): Promise<DayCount[]> {
  const rows = await store.db
    .selectFrom('messages')
    .select([dayOf.as('day'), sql<number>`count(*)`.as('n')])
    .where(whereOf({ conditions }, store.dialect))
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    // One more than allowed: enough to tell the caller the answer would be too long.
    .limit(maxDays + 1)
    .execute()
  return rows.map((r) => ({ day: Number(r.day), count: Number(r.n) }))
}
