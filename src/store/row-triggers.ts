// SQLite's change-log and skews triggers are each writing connection's own: TEMP triggers on the
// main tables, created from `row_triggers` when the connection opens (migration 0007, decision
// 0018). A connection without them writes past the change log, so every connection that writes is
// opened by store/connect.ts, which creates them; an import's large batch drops its table's inside
// its own transaction and creates them again before it commits (store/bulk-load.ts). Another
// connection never sees them gone: the temp schema is private, and SQLite's writers take turns.
// PostgreSQL keeps its statement triggers in the schema (migrations 0002, 0004).
import { sql, type Kysely } from 'kysely'
import type { ItemTable } from './items.ts'
import type { Database } from './schema.ts'

const EXISTS = `select 1 from sqlite_master where type = 'table' and name = 'row_triggers'`

interface Runner {
  prepare(text: string): { all(): unknown[] }
  exec(text: string): unknown
}

/**
 * At open, on better-sqlite3's own handle (before Kysely has it): a file migrated past 0007 gets its
 * triggers; an older or new one gets them from migrate() (createRowTriggers).
 */
export function createRowTriggersAtOpen(database: Runner): void {
  if (database.prepare(EXISTS).all().length === 0) return
  for (const { sql: text } of database.prepare('select sql from row_triggers order by name').all() as { sql: string }[]) database.exec(text)
}

/**
 * Creates the connection's row triggers, of one table or of all; those it has already are kept.
 * On a migrated file only (migrate() calls it after migrating), where `row_triggers` exists.
 */
export async function createRowTriggers(db: Kysely<Database>, table?: ItemTable): Promise<void> {
  const { rows } = await sql<{ sql: string }>`select sql from row_triggers where ${table === undefined ? sql`1 = 1` : sql`tbl = ${table}`} order by name`.execute(db)
  for (const { sql: text } of rows) await sql.raw(text).execute(db)
}

/** Drops the connection's row triggers of `table`: call it inside a transaction that creates them again. */
export async function dropRowTriggers(db: Kysely<Database>, table: ItemTable): Promise<void> {
  const { rows } = await sql<{ name: string }>`select name from row_triggers where tbl = ${table} order by name`.execute(db)
  for (const { name } of rows) await sql`drop trigger if exists temp.${sql.ref(name)}`.execute(db)
}
