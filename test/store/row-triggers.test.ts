// SQLite's change-log and skews triggers belong to each writing connection (migration 0007,
// src/store/row-triggers.ts): moved there unchanged from the schema, created by every connection
// that opens the file, dropped by a large import batch only inside its own transaction — or, on a
// parallel import's own connections, until the import's end. Every write outside those batches,
// on any connection, must still be logged.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Migrator, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig, type StoreConfig } from '../../src/config.ts'
import { importStream } from '../../src/services/import-parallel.ts'
import { CODEC_OF, importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { prepareBatch, writePrepared } from '../../src/store/bulk-load.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'
import { guarded } from '../../src/store/migrations/0006-bulk-load-guard.ts'
import { temporary, unguarded } from '../../src/store/migrations/0007-connection-triggers.ts'
import { migrationProvider } from '../../src/store/migrations/index.ts'
import { iso, messageItem, objectId } from '../helpers/factories.ts'

const DIALOG = '64bb56980000000000000001'
const messages = (n: number, from: number): Item[] =>
  Array.from({ length: n }, (_, i) => {
    const t = from + i * 7
    return messageItem(DIALOG, t, { _id: objectId(t), updated_at: iso(t + (i % 50)) })
  })
const rows = (items: Item[]) =>
  items.map((m) => {
    const r = CODEC_OF.messages.fromItem(m)
    if ('errors' in r) throw new Error(r.errors.join())
    return r.row
  })

const logged = async (store: Store) => (await sql<{ n: number }>`select count(*) as n from message_changes`.execute(store.db)).rows[0]!.n
const own = async (store: Store) =>
  (await sql<{ name: string }>`select name from sqlite_temp_master where type = 'trigger' order by name`.execute(store.db)).rows.map((r) => r.name)
const inSchema = async (store: Store) =>
  (await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' order by name`.execute(store.db)).rows

const ALL = ['dialogs', 'messages'].flatMap((t) => ['log_delete', 'log_insert', 'log_update', 'skews_insert', 'skews_update'].map((n) => `${t}_${n}`))

describe('row triggers of each connection (sqlite)', () => {
  let dir: string
  let config: StoreConfig
  const opened: Store[] = []
  const open = () => {
    const store = createStore(config)
    opened.push(store)
    return store
  }
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-triggers-'))
    config = { ...loadConfig({}).store, dbFile: join(dir, 'p.db') }
  })
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('moves the schema’s triggers, word for word, to every connection that opens the file', async () => {
    const first = open()
    const released = new Migrator({ db: first.db, provider: migrationProvider(first.dialect) })
    expect((await released.migrateTo('0005-admin-audit')).error).toBeUndefined()
    const before = await inSchema(first)
    expect(before.map((t) => t.name)).toEqual(ALL)
    // A connection open before the move gets its own triggers from migrate().
    const early = open()
    await migrate(first)
    expect(await inSchema(first)).toEqual([])
    const moved = (await sql<{ name: string; sql: string }>`select name, sql from row_triggers order by name`.execute(first.db)).rows
    expect(moved).toEqual(before.map((t) => ({ name: t.name, sql: t.sql.replace(/^CREATE TRIGGER /, 'create temp trigger if not exists ') })))
    expect(await own(first)).toEqual(ALL)
    expect(await own(early)).toEqual([])
    await migrate(early)
    expect(await own(early)).toEqual(ALL)
    // A connection opened afterwards has them without migrating; each one's writes are logged.
    const late = open()
    expect(await own(late)).toEqual(ALL)
    let n = 0
    for (const [i, store] of [first, early, late].entries()) {
      await importValues(store, 'messages', messages(2, 1_690_000_000 + i * 1000))
      expect(await logged(store)).toBe((n += 2))
    }
  })

  it('drops a table’s triggers for a large batch only inside its transaction', async () => {
    const a = open()
    await migrate(a)
    const b = open()
    // A batch alone, as a loader's write() runs it (its finish() would create them anyway).
    await writePrepared(a, prepareBatch(a, 'messages', rows(messages(1500, 1_690_000_000))))
    // One marker row for the batch (its cut moves past it), none per message; both connections keep theirs.
    expect(await logged(a)).toBe(1)
    expect([await own(a), await own(b)]).toEqual([ALL, ALL])
    await importValues(a, 'messages', messages(2, 1_700_000_000))
    await importValues(b, 'messages', messages(2, 1_710_000_000))
    expect(await logged(b)).toBe(5)
    // A batch that fails takes its drop back with it.
    const badRows = rows(messages(1200, 1_720_000_000))
    const bad = prepareBatch(a, 'messages', badRows)
    await sql`create trigger refuse before insert on messages when new.id = ${sql.lit(badRows[700]!.id)} begin select raise(abort, 'refused'); end`.execute(a.db)
    await expect(writePrepared(a, bad)).rejects.toThrow(/refused/)
    expect(await own(a)).toEqual(ALL)
  })

  it('leaves them off between the CLI import’s batches, and puts them back at its end', async () => {
    const store = open()
    await migrate(store)
    // Batches written as a parallel import's connections write them: off after a large one, back for a small one.
    await writePrepared(store, prepareBatch(store, 'messages', rows(messages(1500, 1_690_000_000))), true)
    expect(await own(store)).toEqual(ALL.filter((n) => n.startsWith('dialogs')))
    await writePrepared(store, prepareBatch(store, 'messages', rows(messages(3, 1_700_000_000))), true)
    expect(await logged(store)).toBe(4)
    expect(await own(store)).toEqual(ALL)

    // A whole parallel import (one worker), then a write on the same connection: logged.
    const lines = messages(6000, 1_710_000_000).map((m) => JSON.stringify(m)).join('\n')
    const report = await importStream(store, config, 'messages', Readable.from([Buffer.from(lines)]), { workers: 1 })
    expect(report.imported).toBe(6000)
    expect(await own(store)).toEqual(ALL)
    const before = await logged(store)
    await importValues(store, 'messages', messages(2, 1_720_000_000))
    expect(await logged(store)).toBe(before + 2)

    // The one-thread import (--workers 0) too: off between its batches (looked at after each), back at its end.
    const seen: Array<Promise<string[]>> = []
    const more = messages(6500, 1_730_000_000).map((m) => JSON.stringify(m)).join('\n')
    await importStream(store, config, 'messages', Readable.from([Buffer.from(more)]), { workers: 0, onProgress: () => seen.push(own(store)) })
    expect(await Promise.all(seen)).toEqual([ALL.filter((n) => n.startsWith('dialogs')), ALL.filter((n) => n.startsWith('dialogs'))])
    expect(await own(store)).toEqual(ALL)
    const after = await logged(store)
    await importValues(store, 'messages', messages(2, 1_740_000_000))
    expect(await logged(store)).toBe(after + 2)
  })
})

describe('migration 0007: the triggers as each connection creates them', () => {
  it('undoes 0006’s guard exactly and makes the trigger temporary', () => {
    const plain = 'CREATE TRIGGER a after insert on messages begin insert into x values (new.id); end'
    const conditioned = 'CREATE TRIGGER b after update on messages when old.id is not new.id or (old.x is not new.x) begin select 1; end'
    for (const t of [plain, conditioned]) expect(unguarded(guarded(t, 'messages'), 'messages')).toBe(t)
    expect(temporary(plain)).toBe('create temp trigger if not exists a after insert on messages begin insert into x values (new.id); end')
  })
})
