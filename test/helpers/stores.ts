// The stores every feature test runs against: SQLite always, PostgreSQL too when
// PARLEY_TEST_DATABASE_URL is set. Each call makes a fresh, empty, migrated database, so nothing
// leaks between test files (or between describe blocks that ask for their own).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { loadConfig, type StoreConfig } from '../../src/config.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'

export interface TestStore {
  readonly store: Store
  readonly config: StoreConfig
  /** Closes the store and removes its database. */
  drop(): Promise<void>
}

export interface StoreKind {
  readonly name: 'sqlite' | 'postgres'
  /** For test titles. */
  readonly label: string
  open(): Promise<TestStore>
}

/** A store on `config`, migrated; dropping it closes it, then `remove` takes its database away. */
async function migrated(config: StoreConfig, remove: () => unknown): Promise<TestStore> {
  const store = createStore(config)
  await migrate(store)
  return {
    store,
    config,
    async drop() {
      await store.close()
      await remove()
    },
  }
}

function sqliteKind(label: string, env: Record<string, string | undefined>): StoreKind {
  return {
    name: 'sqlite',
    label,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'parley-test-'))
      return migrated({ ...loadConfig(env).store, dbFile: join(dir, 'parley.db') }, () => rmSync(dir, { recursive: true, force: true }))
    },
  }
}

// PARLEY_TEST_COUNT_THREAD_ROWS=1 runs every count from scratch on the count thread (a check of the whole suite).
const sqlite = sqliteKind('sqlite', { PARLEY_COUNT_THREAD_ROWS: process.env.PARLEY_TEST_COUNT_THREAD_ROWS })

/** SQLite with every count from scratch and every ladder read on the count thread (store/count-thread.ts), whatever the table's size. */
export const SQLITE_COUNT_THREAD = sqliteKind('sqlite, counts on their thread', { PARLEY_COUNT_THREAD_ROWS: '1' })

/** A fresh database on the server PARLEY_TEST_DATABASE_URL names. */
export async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `parley_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl })
      await c.connect()
      // Wait for the store's own connections to finish closing rather than killing them (which
      // makes their clients emit errors); force only what is still there after 5 s.
      for (let i = 0; i < 50; i++) {
        const { rows } = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name])
        if (rows[0].n === 0) break
        await new Promise((r) => setTimeout(r, 100))
      }
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

const postgres = (baseUrl: string): StoreKind => ({
  name: 'postgres',
  label: 'postgres',
  async open() {
    const db = await createPostgresDatabase(baseUrl)
    return migrated({ ...loadConfig({}).store, databaseUrl: db.url, poolSize: 4 }, () => db.drop())
  },
})

const pgUrl = process.env.PARLEY_TEST_DATABASE_URL
export const STORES: StoreKind[] = pgUrl ? [sqlite, postgres(pgUrl)] : [sqlite]
