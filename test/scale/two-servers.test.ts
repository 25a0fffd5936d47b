// Many processes, one service: two parley servers on one PostgreSQL database, written to at the
// same time through both. Nothing may be lost or duplicated, and each server sees the other's
// writes at once. Runs when PARLEY_TEST_DATABASE_URL is set (always in CI).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { importValues } from '../../src/services/import.ts'
import { createAdminKey } from '../../src/services/keys.ts'
import { createStore, type Store } from '../../src/store/connect.ts'
import { send, type Answer } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { createPostgresDatabase } from '../helpers/stores.ts'
import { freePort, LISTENING, runParley, startParley, type ParleyProcess } from '../cli/run.ts'

const baseUrl = process.env.PARLEY_TEST_DATABASE_URL

describe.skipIf(!baseUrl)('two parley servers on one PostgreSQL database', () => {
  let db: { url: string; drop(): Promise<void> }
  let store: Store
  let servers: ParleyProcess[] = []
  let urls: string[] = []
  let key: string
  let dir: string

  const call = (server: number, method: string, path: string, body?: object): Promise<Answer> =>
    send(urls[server]! + path, method, { headers: { 'CB-Administration-API-Key': key }, body })

  beforeAll(async () => {
    db = await createPostgresDatabase(baseUrl!)
    dir = mkdtempSync(join(tmpdir(), 'parley-two-'))
    // Both start at once on an empty database: the migration lock must let exactly one migrate.
    const ports = [await freePort(), await freePort()]
    servers = ports.map((port) =>
      startParley(['serve', '--database-url', db.url, '--port', String(port)], { env: { PARLEY_LOG_LEVEL: 'info' } }),
    )
    urls = await Promise.all(servers.map(async (s) => (await s.waitFor(LISTENING))[1]!))
    store = createStore({ ...loadConfig({}).store, databaseUrl: db.url, poolSize: 2 })
    key = (await createAdminKey(store, 'two-servers')).key
  })

  afterAll(async () => {
    const exits = await Promise.all(servers.map((s) => s.stop()))
    await store?.close()
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
    expect(exits.map((e) => e.code)).toEqual([0, 0])
  })

  it('both started and migrated once', async () => {
    for (const i of [0, 1]) expect((await send(`${urls[i]}/health`, 'GET')).status).toBe(200)
    const { rows } = await store.db.selectFrom('kysely_migration' as never).selectAll().execute().then((r) => ({ rows: r }))
    // each migration recorded exactly once
    expect((rows as Array<{ name: string }>).map((r) => r.name).sort()).toEqual(['0001-init', '0002-change-log', '0003-chat'])
  })

  it('keeps every concurrent dialog update made through either server', async () => {
    const dialog = dialogItem(1_700_000_000, { type: 2, name: 'busy', occupants_ids: [1], silent_ids: [] })
    await importValues(store, 'dialogs', [dialog])
    const id = dialog._id as string
    const added = Array.from({ length: 40 }, (_, i) => 100 + i)
    const muted = added.filter((u) => u % 3 === 0)
    const answers = await Promise.all([
      ...added.map((u, i) => call(i % 2, 'PUT', `/admin/chat/${id}`, { push_all: { occupants_ids: [u] } })),
      ...muted.map((u, i) => call((i + 1) % 2, 'PUT', `/admin/chat/${id}`, { user_id: u, is_muted: true })),
    ])
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([])

    for (const server of [0, 1]) {
      const list = await call(server, 'GET', `/admin/chat/list?_id=${id}`)
      const item = list.json.items[0]
      expect([...item.occupants_ids].sort((a: number, b: number) => a - b)).toEqual([1, ...added])
      expect([...item.silent_ids].sort((a: number, b: number) => a - b)).toEqual(muted)
    }
  })

  it('shows one server’s write on the other at once', async () => {
    const dialog = dialogItem(1_700_000_100, { type: 2, name: 'before' })
    await importValues(store, 'dialogs', [dialog])
    for (let i = 0; i < 10; i++) {
      const name = `name ${i}`
      const put = await call(i % 2, 'PUT', `/admin/chat/${dialog._id}`, { name })
      expect(put.status).toBe(200)
      const seen = await call((i + 1) % 2, 'GET', `/admin/chat/list?_id=${dialog._id}`)
      expect(seen.json.items[0].name).toBe(name)
    }
  })

  it('merges concurrent imports into one set, without duplicates', async () => {
    const dialogId = dialogItem(1_700_000_200)._id as string
    const items = Array.from({ length: 600 }, (_, i) => messageItem(dialogId, 1_700_001_000 + i, { message: `m${i}` }))
    // Two overlapping halves, imported at the same time by two processes.
    const a = join(dir, 'a.ndjson')
    const b = join(dir, 'b.ndjson')
    writeFileSync(a, items.slice(0, 400).map((x) => JSON.stringify(x)).join('\n'))
    writeFileSync(b, items.slice(200).map((x) => JSON.stringify(x)).join('\n'))
    const runs = await Promise.all([a, b].map((f) => runParley(['import', 'messages', f, '--database-url', db.url])))
    expect(runs.map((r) => r.code)).toEqual([0, 0])

    for (const server of [0, 1]) {
      const count = await call(server, 'GET', `/admin/chat/messages/list?chat_dialog_id=${dialogId}&count=1`)
      expect(count.json).toEqual({ items: { count: 600 } })
      const page = await call(server, 'GET', `/admin/chat/messages/list?chat_dialog_id=${dialogId}&sort_asc=_id&limit=100&skip=300`)
      expect(page.json.total_entries).toBe(600)
      expect(page.json.items.map((m: { message: string }) => m.message)).toEqual(items.slice(300, 400).map((m) => m.message))
    }
  })
})
