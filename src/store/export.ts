// Reading everything a plan's filters match, in _id order, from one snapshot, a batch at a time, for
// as long as the consumer takes. The read runs on the store's reader (connect.ts): on SQLite a
// read-only connection of its own whose WAL read transaction is the snapshot, on PostgreSQL a pooled
// connection in a REPEATABLE READ transaction. Batches are keyset pages (`id < last`), so each one is
// an index walk that stops after a batch of rows, and nothing is held between them but the last id.
import type { ControlledTransaction } from 'kysely'
import type { Condition, ListPlan } from '../query/plan.ts'
import type { Store } from './connect.ts'
import type { ItemText } from './item-text.ts'
import { countNow, listPageRows, type ItemTable } from './items.ts'
import { lastValue, type RowSet } from './row-set.ts'
import type { Database } from './schema.ts'

/** Rows per batch: large enough that a round trip is cheap beside it, small enough to stay a few MB. */
export const EXPORT_BATCH = 1000

export interface ExportCursor {
  /** Everything the filters match, counted in the snapshot the batches are read from. */
  readonly total: number
  /** The rows in batches, in the plan's _id direction. Ends the snapshot when done, thrown out of or returned from. */
  batches(): AsyncGenerator<RowSet, void, undefined>
  /** Ends the snapshot without reading (safe to call more than once). */
  close(): Promise<void>
}

/** The plan's filters and its direction on _id; its limit, skip and count are ignored. */
export type ExportPlan = Pick<ListPlan, 'conditions' | 'orderingColumns'> & { readonly direction: 'asc' | 'desc' }

/** Null when as many exports as the store allows are running already (connect.ts openReader). */
/** `text`: the batches' items written as text by the database where it can (listPageRows). */
export async function openExport(store: Store, table: ItemTable, plan: ExportPlan, text?: ItemText, batchSize = EXPORT_BATCH): Promise<ExportCursor | null> {
  const reader = store.openReader()
  if (reader === null) return null
  let trx: ControlledTransaction<Database> | null = null
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    try {
      // Read only: rolling back and committing end it alike.
      if (trx) await trx.rollback().execute()
    } finally {
      await reader.close()
    }
  }

  let total: number
  try {
    trx = await reader.db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute()
    // On SQLite the snapshot starts with the first read: this count, so the batches see what it counted.
    total = await countNow({ ...store, db: trx }, table, plan)
  } catch (error) {
    await close()
    throw error
  }
  const view: Store = { ...store, db: trx }

  async function* batches(): AsyncGenerator<RowSet, void, undefined> {
    try {
      let last: string | null = null
      for (;;) {
        const keyset: Condition[] =
          last === null ? [] : [{ test: 'cmp', target: { column: 'id' }, op: plan.direction === 'desc' ? '<' : '>', value: last }]
        const page: ListPlan = {
          conditions: [...plan.conditions, ...keyset],
          sort: { column: 'id', direction: plan.direction },
          orderingColumns: plan.orderingColumns,
          limit: batchSize,
          skip: 0,
          count: false,
        }
        // A batch is a list page without the 100 cap, so it gets what pages get (implied bounds).
        const rows = await listPageRows(view, table, page, text)
        if (rows.values.length > 0) yield rows
        if (rows.values.length < batchSize) return
        last = lastValue(rows, 'id') as string
      }
    } finally {
      await close()
    }
  }

  return { total, batches, close }
}
