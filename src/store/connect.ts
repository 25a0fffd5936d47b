// Opening a store: the only file that imports the database drivers. Returns the Kysely handle, the
// dialect's capabilities, and a close() that drains the pool.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely'
import type { StoreConfig } from '../config.ts'
import { CountThread } from './count-thread.ts'
import { Counts } from './counts.ts'
import { postgresDialect, SQLITE_BUSY_TIMEOUT_MS, sqliteDialect, type Dialect } from './dialect.ts'
import { ensureIndexes } from './indexes.ts'
import { migrationProvider } from './migrations/index.ts'
import { GENERIC_PLANS, preparingPool } from './prepared.ts'
import { AS_ARRAYS, type ArrayRows } from './row-set.ts'
import { createRowTriggers, createRowTriggersAtOpen } from './row-triggers.ts'
import type { Database } from './schema.ts'

export interface Store {
  readonly db: Kysely<Database>
  readonly dialect: Dialect
  /** Where the data lives, for logs: a file path or the URL without its password. */
  readonly location: string
  /** Kept counts of this process (store/counts.ts); shared by the transaction views of the store. */
  readonly counts: Counts
  /** SQLite files: where counts from scratch of large tables are read (store/count-thread.ts). */
  readonly countThread: CountThread | null
  /** Set on the view of a store inside readSnapshot (store/items.ts): counts may be kept there. */
  readonly snapshot?: boolean
  /** Set where a count from scratch or a ladder is read on the count thread rather than here (store/items.ts readCounting). */
  readonly countsAside?: boolean
  /**
   * A handle for one long read (store/export.ts) that holds no other request up; close it after.
   * Null when READERS are already open: each holds a connection for as long as its client reads.
   */
  openReader(): Reader | null
  /** What /metrics shows of the connections: cheap, read from memory, never a query. */
  stats(): StoreStats
  close(): Promise<void>
}

export interface StoreStats {
  /** Long reads (exports) open now, and how many may be. */
  readersOpen: number
  readerLimit: number
  /** PostgreSQL: the pool's connections (pg Pool totalCount / idleCount / waitingCount). */
  pool?: { total: number; idle: number; waiting: number }
  /** SQLite: the one writer connection is inside a transaction now. */
  writerInTransaction?: boolean
}

/**
 * How many long reads may run at once. On PostgreSQL each holds one pooled connection for as long as
 * its client takes, so at most half the pool, leaving the rest for every other request; on SQLite
 * each is a connection (and a WAL snapshot that checkpoints cannot pass) of its own.
 */
const readerLimit = (poolSize: number | null): number => (poolSize === null ? 8 : Math.max(1, Math.floor(poolSize / 2)))

/** openReader, counted: null past the limit; close() gives the place back once. */
function limited(limit: number, open: () => Reader): { open: () => Reader | null; running: () => number } {
  let running = 0
  const openLimited = () => {
    if (running >= limit) return null
    const reader = open()
    running++
    let closed = false
    return {
      db: reader.db,
      async close() {
        if (closed) return
        closed = true
        running--
        await reader.close()
      },
    }
  }
  return { open: openLimited, running: () => running }
}

export interface Reader {
  readonly db: Kysely<Database>
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
  return config.databaseUrl ? openPostgres(config) : openSqlite(config.dbFile, config.countThreadRows)
}

/**
 * The page size of a new SQLite database (an existing one keeps its own: only VACUUM changes it).
 * Against 4 KB, an import of 1M messages took 11 % less time and its index build 23 % less, with a
 * quarter of the reads and writes; pages were served as fast (decision 0016).
 */
export const SQLITE_PAGE_SIZE = 16384

function openSqlite(file: string, countThreadRows: number): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const database = new SQLite(file)
  // First: asking for WAL waits, as every statement does, while an import's index build holds the
  // file out of WAL (decision 0017).
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  database.pragma(`page_size = ${SQLITE_PAGE_SIZE}`)
  database.pragma('journal_mode = WAL')
  // NORMAL under WAL loses no committed transaction on a process crash, only on power loss.
  database.pragma('synchronous = NORMAL')
  createRowTriggersAtOpen(database)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: keepStatements(database) }) })
  // :memory: has one connection: a second export would only queue behind the first.
  const limit = file === ':memory:' ? 1 : readerLimit(null)
  const readers = limited(limit, () => sqliteReader(file, db))
  const stats = (): StoreStats => ({ readersOpen: readers.running(), readerLimit: limit, writerInTransaction: database.open && database.inTransaction })
  // :memory: is private to its connection: no other thread can read it.
  const countThread = file === ':memory:' || countThreadRows <= 0 ? null : new CountThread(file, countThreadRows)
  return withCounts({ db, dialect: sqliteDialect, location: file, countThread, openReader: readers.open, stats }, async () => {
    await countThread?.close()
    await db.destroy()
  })
}

/**
 * Kysely runs one query at a time on SQLite's one connection, so a read that lasts as long as a
 * client takes to download an export would queue every other request behind it. A reader gets a
 * read-only connection of its own instead: under WAL its read transaction is a snapshot, and writers
 * on the main connection carry on. A :memory: database is private to its one connection, so there
 * the reader is that connection (a test and demo setting, where an export may hold it).
 */
function sqliteReader(file: string, main: Kysely<Database>): Reader {
  if (file === ':memory:') return { db: main, close: async () => {} }
  const database = new SQLite(file, { readonly: true, fileMustExist: true })
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: keepStatements(database) }) })
  return { db, close: () => db.destroy() }
}

/**
 * Kysely prepares every query anew, and better-sqlite3 compiles SQL on each prepare(): as long as
 * running the query for a page. A handful of shapes repeat, so the last 256 compiled statements are
 * kept by their SQL text. Safe because Kysely runs one query at a time on SQLite's one connection;
 * SQLite recompiles a kept statement by itself after a schema change. A SELECT ending in AS_ARRAYS
 * (row-set.ts) reads its rows as arrays, with the column names set on the array it returns.
 */
function keepStatements(database: SQLite.Database, size = 256): SqliteDatabase {
  const kept = new Map<string, ReturnType<SqliteDatabase['prepare']>>()
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = kept.get(text)
      if (statement) kept.delete(text)
      else statement = text.endsWith(AS_ARRAYS) ? arrayStatement(database.prepare(text)) : database.prepare(text)
      kept.set(text, statement)
      if (kept.size > size) kept.delete(kept.keys().next().value as string)
      return statement
    },
  }
}

function arrayStatement(statement: SQLite.Statement): ReturnType<SqliteDatabase['prepare']> {
  statement.raw(true)
  return {
    reader: true,
    // Asked each time: after a schema change SQLite recompiles the statement, and `*` may grow.
    all: (parameters: ReadonlyArray<unknown>) => Object.assign(statement.all(parameters) as ArrayRows, { columns: statement.columns().map((c) => c.name) }),
    run: () => {
      throw new Error('a SELECT read as arrays cannot be run')
    },
    iterate: (parameters: ReadonlyArray<unknown>) => statement.iterate(parameters) as IterableIterator<unknown>,
  }
}

function openPostgres({ databaseUrl: url, poolSize, statementTimeout, preparedStatements }: StoreConfig): Store {
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
    ...(preparedStatements ? { options: GENERIC_PLANS } : {}),
  })
  // An idle connection that dies (server restart, failover, admin termination) is dropped by the pool
  // and replaced on the next checkout. Without a listener its 'error' event would end the process.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedStatements ? preparingPool(pool) : pool }) })
  const location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
  // A transaction already takes a pooled connection of its own: the reader is the pool.
  const limit = readerLimit(poolSize)
  const readers = limited(limit, () => ({ db, close: async () => {} }))
  const stats = (): StoreStats => ({
    readersOpen: readers.running(),
    readerLimit: limit,
    pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
  })
  return withCounts({ db, dialect: postgresDialect, location, countThread: null, openReader: readers.open, stats }, () => db.destroy())
}

/** Brings the schema up to date. Concurrent starts are safe (schemaChange). */
export async function migrate(store: Store): Promise<string[]> {
  // Unordered: 0004 was released before 0003 (the chat tables, developed alongside). A database
  // migrated without 0003 gets it applied afterwards; the two touch different tables.
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect), allowUnorderedMigrations: true })
  return schemaChange(store, async () => {
    const { error, results } = await migrator.migrateToLatest()
    if (error) throw error
    // SQLite: this connection opened before 0007 moved the triggers to each connection, or the file was new.
    if (store.dialect.importSkipsRowTriggers) await createRowTriggers(store.db)
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

/** Migrations this code knows that the database has not applied yet (for /ready). */
export async function pendingMigrations(store: Store): Promise<number> {
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect), allowUnorderedMigrations: true })
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).length
}

/** A cheap round trip, for /health. */
export async function ping(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db)
}
