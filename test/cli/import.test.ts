// `parley import dialogs|messages FILE|-`: every accepted input shape, upsert by _id, and the
// report of bad lines. What was imported is read back over HTTP from the Admin API, where it must
// come back deep-equal to the input (key order aside).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type StoreConfig } from '../../src/config.ts'
import type { Item } from '../../src/services/items.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, messageItem, objectId } from '../helpers/factories.ts'
import { createPostgresDatabase } from '../helpers/stores.ts'
import { byIdDesc, ndjson } from './admin.ts'
import { runParley } from './run.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-import-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

let fileNo = 0
function file(text: string): string {
  const path = join(dir, `input-${++fileNo}.txt`)
  writeFileSync(path, text)
  return path
}

/** Messages of one new dialog, in the shapes an import has to keep as they are. */
function sampleMessages(base: number): { dialogId: string; items: Item[] } {
  const dialogId = objectId(base)
  const plain = messageItem(dialogId, base + 1)
  const custom = messageItem(dialogId, base + 2, {
    message: 'Привет 👋 "quoted" \\ back\nslash',
    mission: 'take over the planet',
    meta: { level: 3, tags: ['a', 'b'], nested: { ok: true, none: null } },
    attachments: [{ type: 'image', id: '3004', url: 'https://example.com/a.png', size: 1024 }],
    reactions: { '👍': [4980089] },
    edited_at: 1669549000,
  })
  // Lacks every optional field that is not a time: it must come back without them.
  const sparse = { _id: objectId(base + 3), chat_dialog_id: dialogId, created_at: iso(base + 3), updated_at: iso(base + 4) }
  const nulls = messageItem(dialogId, base + 4, {
    message: null,
    recipient_id: null,
    read_ids: null,
    attachments: null,
    views_count: null,
    updated_at: '2022-11-27T11:36:35.250Z', // a sub-second time is kept
  })
  return { dialogId, items: [plain, custom, sparse, nulls] }
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z'

/** The Admin API's messages of one dialog. */
async function messagesOf(server: TestServer, dialogId: string): Promise<Item[]> {
  const r = await server.get(`/admin/chat/messages/list?chat_dialog_id=${dialogId}&limit=100`)
  expect(r.status, r.text).toBe(200)
  expect(r.json.total_entries).toBe(r.json.items.length)
  return r.json.items
}

function openStore(config: Partial<StoreConfig>): Store {
  return createStore({ ...loadConfig({}).store, ...config })
}

describe('parley import (sqlite)', () => {
  let db: string
  let store: Store
  let server: TestServer
  beforeAll(async () => {
    db = join(dir, 'parley.db')
    store = openStore({ dbFile: db })
    await migrate(store)
    server = await startServer(store)
  })
  afterAll(async () => {
    await server?.close()
    await store?.close()
  })

  const importFile = (kind: string, path: string) => runParley(['import', kind, path, '--db', db])

  let first: { dialogId: string; items: Item[] }

  it('imports NDJSON and lists every item exactly as it was given; a clean file exits 0', async () => {
    first = sampleMessages(1669548900)
    const r = await importFile('messages', file(ndjson(first.items)))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 4 messages, rejected 0\b/)
    expect(r.stderr).not.toContain('rejected line')
    const listed = await messagesOf(server, first.dialogId)
    expect(listed).toStrictEqual(byIdDesc(first.items))
    const sparse = listed.find((i) => i._id === first.items[2]!._id)!
    expect(Object.keys(sparse).sort()).toEqual(['_id', 'chat_dialog_id', 'created_at', 'updated_at'])
  })

  it('upserts by _id: importing a changed item keeps one row, with the new values only', async () => {
    const [plain, custom] = first.items as [Item, Item]
    const { mission: _dropped, meta: _alsoDropped, ...rest } = custom
    const changed = { ...rest, message: 'edited', views_count: 7, read_ids: [1, 2, 3], status: 'moderated' }
    // Within one file the later of two items with the same _id wins too.
    const plainTwice = [{ ...plain, message: 'first version' }, { ...plain, message: 'second version' }]
    const r = await importFile('messages', file(ndjson([changed, ...plainTwice])))
    expect(r.code, r.stderr).toBe(0)
    const expected = first.items.map((i) => (i._id === custom._id ? changed : i._id === plain._id ? plainTwice[1]! : i))
    const listed = await messagesOf(server, first.dialogId)
    expect(listed).toHaveLength(4)
    expect(listed).toStrictEqual(byIdDesc(expected))
    expect(listed.find((i) => i._id === custom._id)).not.toHaveProperty('mission')
  })

  it('imports a JSON array on one line', async () => {
    const { dialogId, items } = sampleMessages(1669549900)
    const r = await importFile('messages', file(JSON.stringify(items)))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 4 messages, rejected 0\b/)
    expect(await messagesOf(server, dialogId)).toStrictEqual(byIdDesc(items))
  })

  it('imports a saved, pretty-printed {"items": [...]} page', async () => {
    const { dialogId, items } = sampleMessages(1669550900)
    const page = { total_entries: 4, skip: 0, limit: 100, items: byIdDesc(items) }
    const r = await importFile('messages', file(JSON.stringify(page, null, 2) + '\n'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 4 messages, rejected 0\b/)
    expect(await messagesOf(server, dialogId)).toStrictEqual(byIdDesc(items))
  })

  it('imports several saved pages, one per line', async () => {
    const { dialogId, items } = sampleMessages(1669551900)
    const more = [messageItem(dialogId, 1669551950), messageItem(dialogId, 1669551960, { mission: 'page three' })]
    const all = byIdDesc([...items, ...more])
    const pages = [all.slice(0, 3), all.slice(3, 5), all.slice(5)].map((page, i) => ({ total_entries: all.length, skip: 0, limit: 3, items: page, n: i }))
    const r = await importFile('messages', file(ndjson(pages)))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 6 messages, rejected 0\b/)
    expect(await messagesOf(server, dialogId)).toStrictEqual(all)
  })

  it('imports from standard input with -', async () => {
    const { dialogId, items } = sampleMessages(1669552900)
    const r = await runParley(['import', 'messages', '-', '--db', db], { input: JSON.stringify(items, null, 2) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 4 messages, rejected 0\b/)
    expect(await messagesOf(server, dialogId)).toStrictEqual(byIdDesc(items))
  })

  it('imports NDJSON from standard input with worker threads, and refuses a worker count that is not one', async () => {
    const { dialogId, items } = sampleMessages(1669552950)
    const r = await runParley(['import', 'messages', '-', '--db', db, '--workers', '1'], { input: ndjson(items) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 4 messages, rejected 0\b/)
    expect(await messagesOf(server, dialogId)).toStrictEqual(byIdDesc(items))
    for (const bad of ['-1', 'two', '1.5']) {
      const refused = await runParley(['import', 'messages', '-', '--db', db, '--workers', bad], { input: ndjson(items) })
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toMatch(/--workers/)
    }
  })

  it('reports every bad line with its number and reason, keeps the good ones, and exits 1', async () => {
    const good = [
      dialogItem(1645095700, { type: 2, name: 'Night party', occupants_ids: [1, 2, 3], admins_ids: [1], xmpp_room_jid: 'x@muc.example', description: 'desc' }),
      dialogItem(1645095800, { type: 4, extensions: { theme: 'dark' }, permissions: { allow_preview: true }, silent_ids: [7], deleted_ids: [8], custom_field: { a: 1 } }),
      dialogItem(1645095900, { type: 1, name: 'Announcements', pinned_messages_ids: [objectId(1645095901)] }),
    ]
    const [g1, g2, g3] = good as [Item, Item, Item]
    const text = [
      /* 1 */ '{"_id": "' + objectId(1645095000) + '", "type": 2, broken',
      /* 2 */ JSON.stringify(g1),
      /* 3 */ JSON.stringify({ ...dialogItem(1645095100), _id: undefined }),
      /* 4 */ '',
      /* 5 */ JSON.stringify(dialogItem(1645095200, { _id: 'zzzzzzzzzzzzzzzzzzzzzzzz' })),
      /* 6 */ JSON.stringify(g2),
      /* 7 */ JSON.stringify(dialogItem(1645095300, { created_at: 'yesterday' })),
      /* 8 */ JSON.stringify(dialogItem(1645095400, { occupants_ids: ['a', 2] })),
      /* 9 */ JSON.stringify({ items: [g3, dialogItem(1645095500, { occupants_ids: [1.5] })] }),
      /* 10 */ '{"_id": "' + objectId(1645095600) + '", "type"',
    ].join('\n') // no final newline: the last line is still a line
    const path = file(text)
    const r = await importFile('dialogs', path)
    expect(r.code).toBe(1)
    const rejected = r.stderr.split('\n').filter((l) => l.startsWith('rejected '))
    const expected: Array<[string, RegExp]> = [
      ['line 1', /not valid JSON/],
      ['line 3', /_id is required/],
      ['line 5', /_id must be an ObjectId/],
      ['line 7', /created_at must be a time/],
      ['line 8', /occupants_ids must be an array of integers/],
      ['line 9, item 2', /occupants_ids must be an array of integers/],
      ['line 10', /not valid JSON/],
    ]
    expect(rejected, r.stderr).toHaveLength(expected.length)
    expected.forEach(([where, reason], i) => {
      expect(rejected[i]!.startsWith(`rejected ${where}: `), rejected[i]).toBe(true)
      expect(rejected[i]).toMatch(reason)
    })
    expect(r.stderr).toMatch(/Imported 3 dialogs, rejected 7\b/)
    // Spread over threads, the same file gives the same report (and upserts the same three).
    const parallel = await runParley(['import', 'dialogs', path, '--db', db, '--workers', '2'])
    expect(parallel.code).toBe(1)
    expect(parallel.stderr.split('\n').filter((l) => l.startsWith('rejected '))).toEqual(rejected)
    expect(parallel.stderr).toMatch(/Imported 3 dialogs, rejected 7\b/)

    const listed = await server.get('/admin/chat/list?limit=100')
    expect(listed.status, listed.text).toBe(200)
    expect(listed.json.total_entries).toBe(3)
    expect(listed.json.items).toStrictEqual(byIdDesc(good))
  })

  it('prunes the change log after a large import; a running server falls back to COUNT(*) once and stays exact', async () => {
    const first = await server.get('/admin/chat/messages/list?limit=5')
    const cursor = first.json.items.at(-1)._id
    const dialogId = objectId(1669560000)
    const many = Array.from({ length: 10_000 }, (_, i) => messageItem(dialogId, 1669560000 - i, { message: `bulk ${i}` }))
    const r = await importFile('messages', file(ndjson(many)))
    expect(r.code, r.stderr).toBe(0)
    const logged = await store.db.selectFrom('message_changes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expect(Number(logged.n)).toBe(0)

    const before = { ...store.counts.stats }
    const next = await server.get(`/admin/chat/messages/list?limit=5&_id[lt]=${cursor}`)
    const brute = await store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('id', '<', cursor).executeTakeFirstOrThrow()
    expect(next.json.total_entries).toBe(Number(brute.n))
    expect(store.counts.stats.fallbacks - before.fallbacks).toBe(1)
  })
})

const pgUrl = process.env.PARLEY_TEST_DATABASE_URL
describe.runIf(pgUrl)('parley import --database-url (postgres)', () => {
  let pg: { url: string; drop(): Promise<void> }
  let store: Store
  let server: TestServer
  beforeAll(async () => {
    pg = await createPostgresDatabase(pgUrl!)
  })
  afterAll(async () => {
    await server?.close()
    await store?.close()
    await pg?.drop()
  })

  it('imports NDJSON into PostgreSQL and lists every item exactly as it was given', async () => {
    const { dialogId, items } = sampleMessages(1669553900)
    const dialog = dialogItem(1669553800, { _id: dialogId, custom_field: 'kept' })
    // The CLI migrates the new database itself.
    const r = await runParley(['import', 'messages', file(ndjson(items)), '--database-url', pg.url])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Imported 4 messages, rejected 0\b/)
    const d = await runParley(['import', 'dialogs', '-', '--database-url', pg.url, '--workers', '1'], { input: ndjson([dialog]) })
    expect(d.code, d.stderr).toBe(0)

    store = openStore({ databaseUrl: pg.url, poolSize: 2 })
    server = await startServer(store)
    expect(await messagesOf(server, dialogId)).toStrictEqual(byIdDesc(items))
    const dialogs = await server.get('/admin/chat/list')
    expect(dialogs.json.items).toStrictEqual([dialog])
  })

  it('rejects a record PostgreSQL cannot store by itself, naming it, and imports the rest of its batch', async () => {
    const dialogId = objectId(1669554900)
    const good = messageItem(dialogId, 1669554901)
    // JSON.stringify writes the NUL and the lone surrogate as \u escapes, as an export would.
    const withNul = messageItem(dialogId, 1669554902, { message: 'a\u0000b' })
    const withSurrogate = messageItem(dialogId, 1669554903, { extra: { note: 'x\ud800' } })
    // views_count is a 32-bit integer column there: a wider value failed the whole batch.
    const wideCount = messageItem(dialogId, 1669554904, { views_count: 3000000000 })
    const r = await runParley(['import', 'messages', file(ndjson([withNul, good, withSurrogate, wideCount])), '--database-url', pg.url])
    expect(r.stderr).toMatch(/Imported 1 messages?, rejected 3\b/)
    expect(r.stderr).toMatch(/line 1\b.*message: contains a NUL character/)
    expect(r.stderr).toMatch(/line 3\b.*extra\.note: contains an unpaired UTF-16 surrogate/)
    expect(r.stderr).toMatch(/line 4\b.*views_count must be an integer from -2147483648 to 2147483647/)
    store ??= openStore({ databaseUrl: pg.url, poolSize: 2 })
    server ??= await startServer(store)
    expect(await messagesOf(server, dialogId)).toStrictEqual([good])
  })
})
