// Store settings reach the database: pool size and statement timeout on PostgreSQL, WAL and the
// page size of a new database on SQLite.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createStore, migrate } from '../../src/store/connect.ts'
import { createPostgresDatabase, STORES } from '../helpers/stores.ts'

const pgUrl = process.env.PARLEY_TEST_DATABASE_URL

describe('store settings', () => {
  it('SQLite runs in WAL mode', async () => {
    const db = await STORES[0]!.open()
    const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.store.db)
    expect(rows[0]!.journal_mode).toBe('wal')
    await db.drop()
  })

  it('SQLite makes a new database with 16 KB pages, and opens an existing one with its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-pages-'))
    const pageSize = async (file: string) => {
      const store = createStore(loadConfig({}, { db: file }).store)
      try {
        await migrate(store)
        const { rows } = await sql<{ page_size: number }>`pragma page_size`.execute(store.db)
        const { rows: count } = await sql<{ n: number }>`select count(*) as n from messages`.execute(store.db)
        return { size: rows[0]!.page_size, messages: count[0]!.n }
      } finally {
        await store.close()
      }
    }
    try {
      expect(await pageSize(join(dir, 'new.db'))).toEqual({ size: 16384, messages: 0 })
      const old = new SQLite(join(dir, 'old.db'))
      old.pragma('page_size = 4096')
      old.pragma('journal_mode = WAL')
      old.exec('create table earlier (x)')
      old.close()
      expect(await pageSize(join(dir, 'old.db'))).toEqual({ size: 4096, messages: 0 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.skipIf(!pgUrl)('PostgreSQL applies PARLEY_STATEMENT_TIMEOUT and cancels a statement past it', async () => {
    const target = await createPostgresDatabase(pgUrl!)
    const config = loadConfig({ PARLEY_STATEMENT_TIMEOUT: '200', PARLEY_POOL_SIZE: '3' }, { databaseUrl: target.url })
    expect(config.store.poolSize).toBe(3)
    const store = createStore(config.store)
    try {
      await migrate(store)
      const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(store.db)
      expect(rows[0]!.statement_timeout).toBe('200ms')
      await expect(sql`select pg_sleep(1)`.execute(store.db)).rejects.toMatchObject({ code: '57014' })
    } finally {
      await store.close()
      await target.drop()
    }
  })

  it('rejects bad settings with a message naming them', () => {
    expect(() => loadConfig({ PARLEY_STATEMENT_TIMEOUT: 'soon' })).toThrow(/PARLEY_STATEMENT_TIMEOUT/)
    expect(() => loadConfig({ PARLEY_POOL_SIZE: '0' })).toThrow(/PARLEY_POOL_SIZE/)
    expect(() => loadConfig({}, { databaseUrl: 'mysql://x' })).toThrow(/postgres/)
    for (const bad of ['many', '-1', '1.5']) expect(() => loadConfig({ PARLEY_COUNT_THREAD_ROWS: bad })).toThrow(/PARLEY_COUNT_THREAD_ROWS/)
  })

  it('PARLEY_COUNT_THREAD_ROWS: 100000 by default, 0 for no count thread', () => {
    expect(loadConfig({}).store.countThreadRows).toBe(100_000)
    expect(loadConfig({ PARLEY_COUNT_THREAD_ROWS: '0' }).store.countThreadRows).toBe(0)
    expect(loadConfig({ PARLEY_COUNT_THREAD_ROWS: '5000' }).store.countThreadRows).toBe(5000)
  })
})
