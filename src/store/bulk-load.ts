// Loading many rows at once (`parley import`, `serve --demo`, the benchmark's data set). Two costs
// dominate a plain upsert per batch: keeping a dozen secondary indexes up to date row by row, and,
// on SQLite, the per-row triggers of the change log and the skews (as much again as the insert).
//
// - Into an empty table the secondary indexes are dropped first and built at the end, by sorting,
//   several times faster than inserting into them (on SQLite with a helper thread per core). A run
//   stopped half-way leaves them missing; migrate() (every start) builds what is missing
//   (store/indexes.ts).
// - Where the dialect allows (importSkipsRowTriggers: SQLite), each large batch's transaction drops
//   its table's row triggers on its own connection, where they live (store/row-triggers.ts), and
//   creates them again before it commits; no other connection ever sees them gone. What they
//   would have kept is kept per batch instead: the skews widened once for the batch, and the
//   change log gets one marker row and its cut moves up to it, so that every count kept from
//   before the batch is recounted (store/counts.ts) rather than derived past rows the log never
//   saw. Exact, at the price of one COUNT(*) per kept filter after an import; so only batches of
//   BULK rows or more do it, and a small import (one item re-imported) goes through the triggers.
import { availableParallelism } from 'node:os'
import { sql, type CompiledQuery } from 'kysely'
import { schemaChange, type Store } from './connect.ts'
import { SQLITE_BUSY_TIMEOUT_MS } from './dialect.ts'
import { ensureIndexes, INDEXES } from './indexes.ts'
import { LOGGED } from './migrations/0002-change-log.ts'
import { objectIdTime } from '../object-id.ts'
import type { Skews } from '../query/implied.ts'
import { currentSkews, upsertStatements, type ItemTable } from './items.ts'
import { createRowTriggers, dropRowTriggers } from './row-triggers.ts'

type Row = Record<string, unknown>

export interface BulkLoader {
  /** Upserts the rows in one transaction. */
  write(rows: Row[]): Promise<void>
  /** Builds the indexes dropped at the start, if any. Call it also after a failed write. */
  finish(): Promise<void>
}

/** Batches this large skip the row triggers. */
const BULK = 1000

/**
 * `onlyBatches`: nothing else writes on the store's connection until finish() (the CLI's own
 * import store): its large batches leave the row triggers off for the next (writePrepared), and
 * finish() creates them again.
 */
export async function openBulkLoader(store: Store, table: ItemTable, onlyBatches = false): Promise<BulkLoader> {
  const empty = (await store.db.selectFrom(table).select('id').limit(1).executeTakeFirst()) === undefined
  if (empty) {
    for (const [name, t] of INDEXES) if (t === table) await store.db.schema.dropIndex(name).ifExists().execute()
  }
  return {
    write: (rows) => writePrepared(store, prepareBatch(store, table, rows), onlyBatches),
    async finish() {
      // Batches written onlyBatches (writePrepared) may have left them off on this connection.
      if (onlyBatches && store.dialect.importSkipsRowTriggers) await createRowTriggers(store.db, table)
      if (empty) await schemaChange(store, () => withSortThreads(store, () => outsideWal(store, () => ensureIndexes(store.db, table))))
    },
  }
}

/**
 * Helper threads for the index build's sorts: one per core, at most four. Each sorts its runs of
 * the index's entries in a buffer of its own (~16 MB): at 10M messages the build's RSS went from
 * 86 MB with none to 102 / 150 MB with one / four (docs/performance.md §6l).
 */
const SORT_THREADS = Math.min(4, availableParallelism())

async function withSortThreads(store: Store, build: () => Promise<void>): Promise<void> {
  const threads = store.dialect.sortThreads
  if (threads === null) return build()
  await threads(SORT_THREADS).execute(store.db)
  try {
    await build()
  } finally {
    await threads(0).execute(store.db)
  }
}

/**
 * The build with a rollback journal where the dialect has one (Dialect.journalForBuild) and no other
 * connection has the file open: the 1M messages' seven indexes took 2.39–2.58 s against 2.70–2.79
 * under WAL (decision 0017). Where another connection has it open (a server serving the file),
 * SQLite refuses at once and the build runs under WAL, as before.
 */
export async function outsideWal(store: Store, build: () => Promise<void>): Promise<void> {
  const journal = store.dialect.journalForBuild
  if (journal === null) return build()
  let left = false
  // Asked without waiting: a refusal is the answer, not a lock to wait for.
  await journal.busyTimeout(0).execute(store.db)
  try {
    await journal.leave.execute(store.db)
    left = true
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error
  } finally {
    await journal.busyTimeout(SQLITE_BUSY_TIMEOUT_MS).execute(store.db)
  }
  if (!left) return build()
  try {
    for (const statement of journal.during) await statement.execute(store.db)
    await build()
  } finally {
    for (const statement of journal.back) await statement.execute(store.db)
  }
}

/** A batch's statements and what it widens the skews to, built before its transaction (prepareBatch). */
export interface PreparedBatch {
  readonly table: ItemTable
  readonly statements: readonly CompiledQuery[]
  /** The batch's own bounds, when it passes the row triggers by; null when they run. */
  readonly skews: Skews | null
}

/**
 * Everything of a batch that needs no transaction: its statements, values in place, and the bounds
 * its rows reach. An import's threads write in turn, one at a time, and build this before their
 * turn comes: it was a fifth of the time a turn held the write lock (docs/performance.md §6m).
 */
export function prepareBatch(store: Store, table: ItemTable, rows: Row[]): PreparedBatch {
  const bulk = rows.length >= BULK && store.dialect.importSkipsRowTriggers
  return { table, statements: upsertStatements(store, table, rows), skews: bulk ? boundsOf(rows) : null }
}

/**
 * Upserts a prepared batch in one transaction. Any connection to the store can run it: the
 * import's worker threads each do, in turn. A large batch drops its table's row triggers on this
 * connection and creates them again before it commits (store/row-triggers.ts). `onlyBatches`:
 * nothing but an import's batches writes on this connection until the loader's finish() (the
 * CLI's import connections), so a large batch leaves them off for the next and a small one
 * creates them first. Each drop and creation makes SQLite compile the batch's statements again,
 * which cost as much as the triggers (docs/performance.md §6r).
 */
export async function writePrepared(store: Store, batch: PreparedBatch, onlyBatches = false): Promise<void> {
  if (batch.statements.length === 0) return
  const { table, skews } = batch
  await store.db.transaction().execute(async (trx) => {
    if (skews) await dropRowTriggers(trx, table)
    else if (onlyBatches && store.dialect.importSkipsRowTriggers) await createRowTriggers(trx, table)
    for (const query of batch.statements) await trx.executeQuery(query)
    if (!skews) return
    const view = { ...store, db: trx }
    if (!onlyBatches) await createRowTriggers(trx, table)
    await widenSkews(view, table, skews)
    const { rows: marker } = await sql<{ seq: unknown }>`insert into ${sql.table(LOGGED[table].log)} (id, existed) values ('', 0) returning seq`.execute(trx)
    await sql`update change_log_cut set cut = ${store.dialect.advancedCut(String(marker[0]!.seq))} where tbl = ${table}`.execute(trx)
  })
}

/** The skews of `rows` (what migration 0004's triggers compute for each row), as one range. */
function boundsOf(rows: Row[]): Skews {
  let idLo = Infinity
  let idHi = -Infinity
  let updLo = Infinity
  let updHi = -Infinity
  for (const r of rows) {
    const created = r.created_at as number
    const id = created - objectIdTime(r.id as string)
    const upd = (r.updated_at as number) - created
    idLo = Math.min(idLo, id)
    idHi = Math.max(idHi, id)
    updLo = Math.min(updLo, upd)
    updHi = Math.max(updHi, upd)
  }
  return { idLo, idHi, updLo, updHi }
}

/** What the skews triggers would have done for a batch's rows: one row for the batch when it widens a bound. */
async function widenSkews(store: Store, table: ItemTable, batch: Skews): Promise<void> {
  const now = await currentSkews(store, table)
  const within = now !== null && batch.idLo >= now.idLo && batch.idHi <= now.idHi && batch.updLo >= now.updLo && batch.updHi <= now.updHi
  if (!within) await store.db.insertInto('item_skews').values({ tbl: table, id_lo: batch.idLo, id_hi: batch.idHi, upd_lo: batch.updLo, upd_hi: batch.updHi }).execute()
}
