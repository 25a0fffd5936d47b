// Opening a store: the only file that imports the database drivers. Returns the Kysely handle, the
// dialect's capabilities, and a close() that drains the pool.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely'
import type { StoreConfig } from '../config.ts'
import { Counts } from './counts.ts'
import { postgresDialect, sqliteDialect, type Dialect } from './dialect.ts'
import { ensureIndexes } from './indexes.ts'
import { migrationProvider } from './migrations/index.ts'
import type { Database } from './schema.ts'

export interface Store {
  readonly db: Kysely<Database>
  readonly dialect: Dialect
  /** Where the data lives, for logs: a file path or the URL without its password. */
  readonly location: string
  /** Kept counts of this process (store/counts.ts); shared by the transaction views of the store. */
  readonly counts: Counts
  /** Set on the view of a store inside readSnapshot (store/items.ts): counts may be kept there. */
  readonly snapshot?: boolean
  close(): Promise<void>
}

/** The store, with the counts' background pruning started and stopped on close. */
function withCounts(parts: Omit<Store, 'counts' | 'close'>, destroy: () => Promise<void>): Store {
  const counts = new Counts()
  const store: Store = {
    ...parts,
    counts,
    async close() {
      await counts.stop()
      await destroy()
    },
  }
  counts.start(store)
  return store
}

export function createStore(config: StoreConfig): Store {
  return config.databaseUrl ? openPostgres(config) : openSqlite(config.dbFile)
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const database = new SQLite(file)
  database.pragma('journal_mode = WAL')
  // NORMAL under WAL loses no committed transaction on a process crash, only on power loss.
  database.pragma('synchronous = NORMAL')
  database.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: keepStatements(database) }) })
  return withCounts({ db, dialect: sqliteDialect, location: file }, () => db.destroy())
}

/**
 * Kysely prepares every query anew, and better-sqlite3 compiles SQL on each prepare(): as long as
 * running the query for a page. A handful of shapes repeat, so the last 256 compiled statements are
 * kept by their SQL text. Safe because Kysely runs one query at a time on SQLite's one connection;
 * SQLite recompiles a kept statement by itself after a schema change.
 */
function keepStatements(database: SQLite.Database, size = 256): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>()
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = kept.get(text)
      if (statement) kept.delete(text)
      else statement = database.prepare(text)
      kept.set(text, statement)
      if (kept.size > size) kept.delete(kept.keys().next().value as string)
      return statement
    },
  }
}

function openPostgres({ databaseUrl: url, poolSize, statementTimeout }: StoreConfig): Store {
  if (!url) throw new Error('a PostgreSQL store needs a URL')
  // BIGINT (times in ms, user ids) arrives as text by default; every value we store fits in 2^53.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
  })
  // An idle connection that dies (server restart, failover, admin termination) is dropped by the pool
  // and replaced on the next checkout. Without a listener its 'error' event would end the process.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
  return withCounts({ db, dialect: postgresDialect, location }, () => db.destroy())
}

/** Brings the schema up to date. Concurrent starts are safe (schemaChange). */
export async function migrate(store: Store): Promise<string[]> {
  // Unordered: 0004 was released before 0003 (the chat tables, developed alongside). A database
  // migrated without 0003 gets it applied afterwards; the two touch different tables.
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect), allowUnorderedMigrations: true })
  return schemaChange(store, async () => {
    const { error, results } = await migrator.migrateToLatest()
    if (error) throw error
    // An import interrupted while it had dropped indexes to build them at the end (store/bulk-load.ts).
    await ensureIndexes(store.db)
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  })
}

/**
 * Runs a schema change so that processes doing the same at once take turns: on PostgreSQL under an
 * advisory lock (CREATE … IF NOT EXISTS is not safe against a concurrent creation there, and
 * Kysely's migrator lock does not cover its own lock table's creation); SQLite's writers take turns
 * anyway.
 */
export async function schemaChange<T>(store: Store, change: () => Promise<T>): Promise<T> {
  if (store.dialect.name !== 'postgres') return change()
  return store.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(727274)`.execute(conn)
    try {
      return await change()
    } finally {
      await sql`select pg_advisory_unlock(727274)`.execute(conn)
    }
  })
}

/** A cheap round trip, for /health. */
export async function ping(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db)
}
