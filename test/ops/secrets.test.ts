// Secrets at rest and in logs, and what a failure shows: the database holds no plaintext password,
// session token or admin key; the real log stream of an app carries none of the credential headers
// or secret fields of requests (failing ones, logged with their headers and body, included); and a
// 5xx caused by a broken store says nothing of its SQL, tables, files or stack.
import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createAdminKey } from '../../src/services/keys.ts'
import type { Store } from '../../src/store/connect.ts'
import { send, type Answer } from '../helpers/app.ts'
import { AUTH_KEY, startChatServer } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const PASSWORD = 'pW-Secret-Value-9041'
const COOKIE = 'cookie-Secret-5521'
const BEARER = 'bearer-Secret-3318'
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

async function tables(store: Store): Promise<string[]> {
  const q =
    store.dialect.name === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
      : sql<{ name: string }>`select tablename as name from pg_tables where schemaname = 'public'`
  return (await q.execute(store.db)).rows.map((r) => r.name)
}

/** Every row of every table, as text. */
async function everything(store: Store): Promise<string> {
  const dump: string[] = []
  for (const t of await tables(store)) dump.push(JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(store.db)).rows))
  return dump.join('\n')
}

const drop = (store: Store, table: string) => sql.raw(`drop table ${table}${store.dialect.name === 'postgres' ? ' cascade' : ''}`).execute(store.db)

for (const kind of STORES) {
  describe(`secrets at rest (${kind.name})`, () => {
    let db: TestStore
    beforeAll(async () => {
      db = await kind.open()
    })
    afterAll(async () => {
      await db.drop()
    })

    it('stores only hashes of passwords, session tokens and admin keys', async () => {
      const server = await startChatServer(db.store)
      try {
        const login = 'alice-secret-test'
        expect((await server.anonymous('POST', '/users', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login, password: PASSWORD } } })).status).toBe(201)
        const s = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login, password: PASSWORD } } })
        expect(s.status).toBe(201)
        const token = s.json.session.token as string
        const { key } = await createAdminKey(db.store, 'at-rest')
        expect((await server.get('/admin/chat/list', { key })).status).toBe(200)

        const dump = await everything(db.store)
        expect(dump).toContain('at-rest') // the dump does read the tables
        for (const secret of [PASSWORD, token, key, server.key]) expect(dump).not.toContain(secret)
        // What is stored instead: SHA-256 of the token and key; scrypt (salted) of the password.
        expect(dump).toContain(sha256(token))
        expect(dump).toContain(sha256(key))
        const user = await db.store.db.selectFrom('users').select('password_hash').where('login', '=', login).executeTakeFirstOrThrow()
        expect(user.password_hash).toMatch(/scrypt/)
        expect(user.password_hash).not.toContain(sha256(PASSWORD))
      } finally {
        await server.close()
      }
    })
  })

  describe(`secrets never logged (${kind.name})`, () => {
    let db: TestStore
    beforeAll(async () => {
      db = await kind.open()
    })
    afterAll(async () => {
      await db.drop()
    })

    it('the real log stream carries no credential header, secret field or secret query value, even for failing requests', async () => {
      const chunks: string[] = []
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk.toString('utf8'))
          done()
        },
      })
      const config = loadConfig({ PARLEY_AUTH_KEY: AUTH_KEY }, { port: 0 })
      const app = await buildApp({ config, store: db.store, logger: { level: 'trace', stream } })
      await app.listen({ host: '127.0.0.1', port: 0 })
      const address = app.server.address()
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
      const { key } = await createAdminKey(db.store, 'logged')
      const extra = { cookie: `sid=${COOKIE}`, authorization: `Bearer ${BEARER}` }
      try {
        const login = 'bob-log-test'
        expect((await send(`${url}/users`, 'POST', { headers: { 'CB-AuthKey': AUTH_KEY, ...extra }, body: { user: { login, password: PASSWORD } } })).status).toBe(201)
        const s = await send(`${url}/session`, 'POST', { headers: extra, body: { auth_key: AUTH_KEY, user: { login, password: PASSWORD } } })
        expect(s.status).toBe(201)
        const token = s.json.session.token as string
        const secrets = [PASSWORD, AUTH_KEY, key, token, COOKIE, BEARER]
        const withToken = { 'CB-Token': token, ...extra }
        expect((await send(`${url}/chat/Dialog`, 'GET', { headers: withToken })).status).toBe(200)
        expect((await send(`${url}/chat/Dialog?token=${token}&password=${PASSWORD}`, 'GET', { headers: withToken })).status).toBe(400)
        expect((await send(`${url}/admin/chat/list?auth_key=${AUTH_KEY}`, 'GET', { headers: { 'CB-Administration-API-Key': key, ...extra } })).status).toBe(400)
        expect((await send(`${url}/session`, 'POST', { body: { auth_key: AUTH_KEY, user: { login, password: `${PASSWORD}x` } } })).status).toBe(401)

        // Failures that are logged with their headers and body: the store loses its tables.
        await drop(db.store, 'sessions')
        await drop(db.store, 'admin_keys')
        const failed: Answer[] = [
          await send(`${url}/session`, 'POST', { headers: { 'CB-AuthKey': AUTH_KEY, ...extra }, body: { auth_key: AUTH_KEY, user: { login, password: PASSWORD } } }),
          await send(`${url}/chat/Dialog`, 'GET', { headers: withToken }),
          await send(`${url}/admin/chat/list?password=${PASSWORD}`, 'GET', { headers: { 'CB-Administration-API-Key': key, ...extra } }),
        ]
        expect(failed.map((r) => r.status)).toEqual([500, 500, 500])
        await app.close()

        const log = chunks.join('')
        const lines = log.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any
        const errors = lines.filter((l) => l.msg === 'request failed')
        expect(errors.length).toBe(3)
        // They carry what helps find the cause, with the secrets replaced.
        expect(errors[0]!.headers.cookie).toBe('[redacted]')
        expect(errors[0]!.headers['cb-authkey']).toBe('[redacted]')
        expect(errors[0]!.body.user).toEqual({ login, password: '[redacted]' })
        expect(errors[0]!.body.auth_key).toBe('[redacted]')
        expect(errors[1]!.headers['cb-token']).toBe('[redacted]')
        expect(errors[1]!.headers.authorization).toBe('[redacted]')
        expect(errors[2]!.headers['cb-administration-api-key']).toBe('[redacted]')
        expect(errors[2]!.req.url).toBe('/admin/chat/list?password=[redacted]')
        expect(lines.some((l) => typeof l.req?.url === 'string' && l.req.url.includes('token=[redacted]'))).toBe(true)
        for (const secret of secrets) expect(log, `a secret in the log`).not.toContain(secret)
      } finally {
        if (app.server.listening) await app.close()
      }
    })
  })

  describe(`no stack, SQL or names in a 5xx (${kind.name})`, () => {
    let db: TestStore
    beforeAll(async () => {
      db = await kind.open()
    })
    afterAll(async () => {
      await db.drop()
    })

    const LEAKS = /select|insert|update |delete |from |no such|relation|sqlite|postgres|kysely|syntax|\.ts\b|\.js\b|\/work\/|node_modules|\bat\s+\S+\s+\(|stack|dialogs|messages|sessions|admin_keys|users|dialog_users|change/i

    function expectMasked(r: Answer, what: string): void {
      expect(r.status, `${what}: ${r.text}`).toBeGreaterThanOrEqual(500)
      expect(Object.keys(r.json ?? {}), what).toEqual(['errors'])
      expect(Array.isArray(r.json.errors), what).toBe(true)
      for (const e of r.json.errors) expect(typeof e, what).toBe('string')
      expect(r.text, what).not.toMatch(LEAKS)
    }

    it('answers {"errors": [...]} and nothing more when tables are gone, then when the database is closed', async () => {
      const server = await startChatServer(db.store)
      const user = await server.user('masked')
      const other = await server.user('other')
      const dialog = await user.call('POST', '/chat/Dialog', { body: { type: 2, name: 'g', occupants_ids: [other.id] } })
      expect(dialog.status).toBe(201)
      const id = dialog.json._id as string
      const requests = (): Array<[string, () => Promise<Answer>]> => [
        ['admin list', () => server.get('/admin/chat/list')],
        ['admin messages', () => server.get('/admin/chat/messages/list')],
        ['admin count', () => server.get('/admin/chat/list?count=1')],
        ['admin export', () => server.get('/admin/chat/export')],
        ['admin update', () => server.call('PUT', `/admin/chat/${id}`, { body: { name: 'x' } })],
        ['chat dialogs', () => user.call('GET', '/chat/Dialog')],
        ['chat send', () => user.call('POST', '/chat/Message', { body: { chat_dialog_id: id, message: 'hi' } })],
        ['session', () => server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login: user.login, password: 'password1' } } })],
      ]
      try {
        for (const t of ['messages', 'dialogs', 'dialog_users', 'users']) await drop(db.store, t)
        for (const [what, call] of requests()) expectMasked(await call(), `${what} (tables dropped)`)

        await db.store.close()
        for (const [what, call] of [...requests(), ['health', () => server.get('/health', { key: null })] as const, ['ready', () => server.get('/ready', { key: null })] as const]) {
          expectMasked(await call(), `${what} (database closed)`)
        }
      } finally {
        await server.close()
      }
    })
  })
}
