// Reading and writing whole items of the two listed tables: a page of rows for a ListPlan, the
// count of everything the plan's filters match, and batched upserts by id.
//
// countMatching is deliberately its own function: the route asks "how many?" and this module is the
// one place that decides how to answer (today COUNT(*); kept counts later, see docs/performance.md).
import { sql } from 'kysely'
import { applyPage, whereOf } from '../query/apply.ts'
import type { ListPlan } from '../query/plan.ts'
import type { Store } from './connect.ts'

export type ItemTable = 'dialogs' | 'messages'
type Row = Record<string, unknown>

export async function listPage(store: Store, table: ItemTable, plan: ListPlan): Promise<Row[]> {
  const qb = store.db.selectFrom(table).selectAll()
  return (await applyPage(qb, plan, store.dialect).execute()) as Row[]
}

export async function countMatching(store: Store, table: ItemTable, plan: Pick<ListPlan, 'conditions'>): Promise<number> {
  const { n } = await store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    // Only the conditions: a count has no order, so every index may serve it.
    .where(whereOf({ conditions: plan.conditions }, store.dialect))
    .executeTakeFirstOrThrow()
  return Number(n)
}

export async function findById(store: Store, table: ItemTable, id: string): Promise<Row | undefined> {
  return (await store.db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst()) as Row | undefined
}

/**
 * Inserts or replaces rows by id, in one transaction. Every row must carry every column (the item
 * codec makes them so), so that a replaced row keeps nothing of the old one.
 */
export async function upsertRows(store: Store, table: ItemTable, rows: Row[]): Promise<void> {
  if (rows.length === 0) return
  const columns = Object.keys(rows[0]!).filter((c) => c !== 'id')
  // One lock order for every writer, so that concurrent imports of overlapping sets never deadlock.
  const ordered = [...rows].sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1))
  await store.db.transaction().execute(async (trx) => {
    // Chunks keep each statement under SQLite's and PostgreSQL's bound-parameter limits.
    for (let i = 0; i < ordered.length; i += 500) {
      await trx
        .insertInto(table)
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        .values(ordered.slice(i, i + 500) as any)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet(Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]))),
        )
        .execute()
    }
  })
}
