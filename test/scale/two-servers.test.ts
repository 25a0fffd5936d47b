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
import { MIGRATION_NAMES } from '../../src/store/migrations/index.ts'
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
    expect((rows as Array<{ name: string }>).map((r) => r.name).sort()).toEqual([...MIGRATION_NAMES].sort())
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
  it('chat writes through both servers at once: every message counted once, one private dialog per pair', async () => {
    // The auth key both servers generated and share, as `parley app` shows it.
    const app = await runParley(['app', '--database-url', db.url])
    expect(app.code, app.stderr).toBe(0)
    const authKey = app.stdout.trim().split('\n').at(-1)!
    const users: Array<{ id: number; token: string }> = []
    for (const [i, login] of ['ann2', 'bob2', 'cat2'].entries()) {
      const up = await send(`${urls[i % 2]}/users`, 'POST', { headers: { 'CB-AuthKey': authKey }, body: { user: { login, password: 'password1' } } })
      expect(up.status, up.text).toBe(201)
      const s = await send(`${urls[(i + 1) % 2]}/session`, 'POST', { body: { auth_key: authKey, user: { login, password: 'password1' } } })
      expect(s.status, s.text).toBe(201)
      users.push({ id: up.json.user.id, token: s.json.session.token })
    }
    const [ann, bob, cat] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]]
    const as = (server: number, u: { token: string }, method: string, path: string, body?: object) =>
      send(urls[server]! + path, method, { headers: { 'CB-Token': u.token }, body })

    const group = await as(0, ann, 'POST', '/chat/Dialog', { type: 2, name: 'busy', occupants_ids: [bob.id, cat.id] })
    const id = group.json._id as string
    const sends = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => as(i % 2, ann, 'POST', '/chat/Message', { chat_dialog_id: id, message: `a${i}` })),
      ...Array.from({ length: 20 }, (_, i) => as((i + 1) % 2, bob, 'POST', '/chat/Message', { chat_dialog_id: id, message: `b${i}` })),
      // cat reads while the others write: the counter stays exact either way.
      ...Array.from({ length: 5 }, (_, i) => as(i % 2, cat, 'PUT', '/chat/Message', { chat_dialog_id: id, read: 1 })),
      // bob's and cat's first messages to each other, at the same time through both servers.
      ...Array.from({ length: 6 }, (_, i) => as(i % 2, i % 2 ? cat : bob, 'POST', '/chat/Message', { recipient_id: i % 2 ? bob.id : cat.id, message: `p${i}` })),
    ])
    expect(sends.map((r) => r.status).filter((st) => st !== 200 && st !== 201)).toEqual([])

    const unread = async (u: { token: string }, server: number) => (await as(server, u, 'GET', `/chat/Dialog?_id=${id}`)).json.items[0].unread_messages_count
    expect(await unread(ann, 0)).toBe(20)
    expect(await unread(bob, 1)).toBe(30)
    const catUnread = await unread(cat, 0)
    const { rows } = await store.db
      .selectFrom('messages')
      .select(['id'])
      .where('chat_dialog_id', '=', id)
      .where((eb) => eb.or([eb('read_ids', 'is', null), eb.not(eb('read_ids', '@>', JSON.stringify([cat.id]) as never))]))
      .execute()
      .then((r) => ({ rows: r }))
    expect(catUnread).toBe(rows.length)
    // The last message is the last one written under the dialog's lock. Ids of two processes made in
    // the same second do not order by time (each process has its own random ObjectId bytes), so the
    // check is: a message of the newest second, and the dialog's copy of it is exact.
    const newest = (await call(1, 'GET', `/admin/chat/messages/list?chat_dialog_id=${id}&sort_desc=created_at&limit=1`)).json.items[0]
    const dialog = (await call(0, 'GET', `/admin/chat/list?_id=${id}`)).json.items[0]
    const last = (await call(1, 'GET', `/admin/chat/messages/list?_id=${dialog.last_message_id}`)).json.items[0]
    expect(last.date_sent).toBe(newest.date_sent)
    expect(dialog).toMatchObject({ last_message: last.message, last_message_user_id: last.sender_id, last_message_date_sent: last.date_sent })
    expect((await call(1, 'GET', `/admin/chat/messages/list?chat_dialog_id=${id}&count=1`)).json).toEqual({ items: { count: 50 } })

    const privates = sends.slice(55).map((r) => r.json.chat_dialog_id as string)
    expect(new Set(privates).size).toBe(1)
    expect((await call(0, 'GET', `/admin/chat/list?type=3&occupants_ids[all]=${bob.id},${cat.id}&count=1`)).json).toEqual({ items: { count: 1 } })
  })
  it('read-modify-writes of one dialog through both servers lose nothing: subscribers, mutes, reactions, pins', async () => {
    const authKey = (await runParley(['app', '--database-url', db.url])).stdout.trim().split('\n').at(-1)!
    const people: Array<{ id: number; token: string }> = []
    for (let i = 0; i < 12; i++) {
      const login = `crowd${i}`
      const up = await send(`${urls[i % 2]}/users`, 'POST', { headers: { 'CB-AuthKey': authKey }, body: { user: { login, password: 'password1' } } })
      const s = await send(`${urls[i % 2]}/session`, 'POST', { body: { auth_key: authKey, user: { login, password: 'password1' } } })
      people.push({ id: up.json.user.id, token: s.json.session.token })
    }
    const as = (server: number, u: { token: string }, method: string, path: string, body?: object) =>
      send(urls[server]! + path, method, { headers: { 'CB-Token': u.token }, body })
    const owner = people[0]!
    const pub = (await as(0, owner, 'POST', '/chat/Dialog', { type: 4, name: 'crowd' })).json._id as string
    const crowd = people.slice(1)
    const joined = await Promise.all(crowd.map((u, i) => as(i % 2, u, 'POST', `/chat/Dialog/${pub}/subscribe`)))
    expect(joined.map((r) => r.status).filter((st) => st !== 200)).toEqual([])
    const msgs = await Promise.all(crowd.slice(0, 4).map((u, i) => as(i % 2, u, 'POST', '/chat/Message', { chat_dialog_id: pub, message: `hi ${i}` })))
    const target = msgs[0]!.json._id as string
    const writes = await Promise.all([
      ...crowd.map((u, i) => as(i % 2, u, 'PUT', `/chat/Dialog/${pub}/notifications`, { enabled: 0 })),
      ...crowd.map((u, i) => as((i + 1) % 2, u, 'PUT', `/chat/Message/${target}/reactions`, { add: '👍' })),
      ...msgs.map((m, i) => as(i % 2, owner, 'PUT', `/chat/Dialog/${pub}`, { push_all: { pinned_messages_ids: [m.json._id] } })),
      ...crowd.map((u, i) => as(i % 2, u, 'GET', `/chat/Message?chat_dialog_id=${pub}`)),
    ])
    expect(writes.map((r) => r.status).filter((st) => st !== 200)).toEqual([])
    const item = (await call(1, 'GET', `/admin/chat/list?_id=${pub}`)).json.items[0]
    expect(item.occupants_count).toBe(12)
    expect([...item.silent_ids].sort((a: number, b: number) => a - b)).toEqual(crowd.map((u) => u.id).sort((a, b) => a - b))
    expect([...item.pinned_messages_ids].sort()).toEqual(msgs.map((m) => m.json._id).sort())
    const reactions = (await as(0, owner, 'GET', `/chat/Message/${target}/reactions`)).json
    expect([...reactions['👍']].sort((a: number, b: number) => a - b)).toEqual(crowd.map((u) => u.id).sort((a, b) => a - b))
    // Every subscriber but the sender read the first message once: 10 views.
    expect((await call(0, 'GET', `/admin/chat/messages/list?_id=${target}`)).json.items[0].views_count).toBe(10)
  })
  it('deletes, edits, reads and membership changes through both servers keep every counter equal to a recount', async () => {
    const authKey = (await runParley(['app', '--database-url', db.url])).stdout.trim().split('\n').at(-1)!
    const people: Array<{ id: number; token: string }> = []
    for (let i = 0; i < 5; i++) {
      const login = `mix${i}`
      const up = await send(`${urls[i % 2]}/users`, 'POST', { headers: { 'CB-AuthKey': authKey }, body: { user: { login, password: 'password1' } } })
      const s = await send(`${urls[(i + 1) % 2]}/session`, 'POST', { body: { auth_key: authKey, user: { login, password: 'password1' } } })
      people.push({ id: up.json.user.id, token: s.json.session.token })
    }
    const [ann, bob, cat, dan, eve] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0], (typeof people)[0], (typeof people)[0]]
    const as = (server: number, u: { token: string }, method: string, path: string, body?: object) =>
      send(urls[server]! + path, method, { headers: { 'CB-Token': u.token }, body })
    const id = (await as(0, ann, 'POST', '/chat/Dialog', { type: 2, name: 'mix', occupants_ids: [bob.id, cat.id, dan.id] })).json._id as string
    const sent: Array<{ id: string; by: typeof ann }> = []
    for (let i = 0; i < 30; i++) {
      const by = [ann, bob, cat][i % 3]!
      sent.push({ id: (await as(i % 2, by, 'POST', '/chat/Message', { chat_dialog_id: id, message: `m${i}` })).json._id, by })
    }
    const answers = await Promise.all([
      // bob hides ten for himself; each sender deletes some of their own for everyone
      ...sent.slice(0, 10).map((m, i) => as(i % 2, bob, 'DELETE', `/chat/Message/${m.id}`)),
      ...sent.slice(10, 20).map((m, i) => as(i % 2, m.by, 'DELETE', `/chat/Message/${m.id}?force=1`)),
      // cat reads a few by id, while ann edits and new messages arrive
      ...[...sent.slice(2, 8), ...sent.slice(20, 26)].map((m, i) => as(i % 2, cat, 'PUT', `/chat/Message/${m.id}`, { read: 1 })),
      ...sent.filter((m) => m.by === ann).slice(-3).map((m, i) => as(i % 2, ann, 'PUT', `/chat/Message/${m.id}`, { message: 'edited' })),
      ...Array.from({ length: 6 }, (_, i) => as(i % 2, [ann, bob, cat][i % 3]!, 'POST', '/chat/Message', { chat_dialog_id: id, message: `late${i}` })),
      // eve joins meanwhile; dan marks all read, then leaves: his own two in order, since marking a
      // dialog he has already left is rightly a 404 (CI once ran them the other way round)
      as(0, ann, 'PUT', `/chat/Dialog/${id}`, { push_all: { occupants_ids: [eve.id] } }),
      as(1, dan, 'PUT', '/chat/Message', { chat_dialog_id: id, read: 1 }).then(async (read) => [read, await as(1, dan, 'DELETE', `/chat/Dialog/${id}`)]),
    ])
    expect(answers.flat().map((r) => r.status).filter((st) => st !== 200 && st !== 201)).toEqual([])

    const members = await store.db.selectFrom('dialog_users').selectAll().where('dialog_id', '=', id).execute()
    const messages = await store.db.selectFrom('messages').selectAll().where('chat_dialog_id', '=', id).execute()
    const has = (v: unknown, u: number) => ((v as number[] | null) ?? []).includes(u)
    expect(members.map((m) => m.user_id).sort((a, b) => a - b)).toEqual([ann.id, bob.id, cat.id, eve.id].sort((a, b) => a - b))
    for (const m of members) {
      const expected = messages.filter((x) => x.sender_id !== m.user_id && x.created_at >= m.joined_at && !has(x.read_ids, m.user_id) && !has(x.deleted_for_ids, m.user_id)).length
      expect(m.unread_count, `user ${m.user_id}`).toBe(expected)
    }
    expect(messages).toHaveLength(26)
    const dialog = (await call(0, 'GET', `/admin/chat/list?_id=${id}`)).json.items[0]
    expect(messages.map((x) => x.id)).toContain(dialog.last_message_id)
    expect(dialog.occupants_ids.sort((a: number, b: number) => a - b)).toEqual([ann.id, bob.id, cat.id, eve.id].sort((a, b) => a - b))
    expect(dialog.deleted_ids).toEqual([dan.id])
  })
})
