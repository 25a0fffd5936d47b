// SQLite: the change-log and skews triggers stand aside while an import's large batch is written,
// without being dropped. Until now each such batch dropped the table's triggers and created them
// again inside its transaction (no other connection can write meanwhile, so none saw them gone):
// two schema changes a batch, after which every connection compiled its statements again — ~1 s
// of a 1M-message import's ~11 (docs/performance.md §6j). Now a batch puts its table's name in
// bulk_loading for the length of its transaction, and each trigger's WHEN skips while it is there.
// The table is empty outside those transactions: for any other write the check finds nothing.
// PostgreSQL's statement-level triggers cost an import little and are left as they are.
// Replaced by 0007: the triggers are now each connection's own, and a batch drops them (decision 0018).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

const TABLES = ['messages', 'dialogs']

/**
 * `create trigger … [when C] begin` → `create trigger … when not exists (…) and (C) begin`: the guard
 * first, so that during a batch C (the skews' is a subquery) is not evaluated at all.
 */
export function guarded(trigger: string, table: string): string {
  const guard = `not exists (select 1 from bulk_loading where tbl = '${table}')`
  const begin = trigger.search(/\sbegin\s/i)
  if (begin < 0) throw new Error(`a trigger without BEGIN: ${trigger}`)
  const head = trigger.slice(0, begin)
  const when = head.search(/\swhen\s/i)
  const guardedHead = when < 0 ? `${head} when ${guard}` : `${head.slice(0, when)} when ${guard} and (${head.slice(when).replace(/^\s*when\s/i, '')})`
  return guardedHead + trigger.slice(begin)
}

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  if (!d.importSkipsRowTriggers) return
  await sql`create table bulk_loading (tbl text primary key)`.execute(db)
  for (const table of TABLES) {
    const { rows } = await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' and tbl_name = ${table} order by name`.execute(db)
    for (const t of rows) {
      await sql`drop trigger ${sql.ref(t.name)}`.execute(db)
      await sql.raw(guarded(t.sql, table)).execute(db)
    }
  }
}
