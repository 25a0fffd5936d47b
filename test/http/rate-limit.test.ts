// Rate limits per admin key and per session: a burst, then 429 with Retry-After and {"errors": …};
// one key's or session's bucket never throttles another; 0 turns a limit off. The buckets' arithmetic
// and their bound are checked with an explicit clock, so nothing here depends on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { tokenBuckets } from '../../src/http/rate-limit.ts'
import { createAdminKey } from '../../src/services/keys.ts'
import { send } from '../helpers/app.ts'
import { startChatServer, type ChatServer } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

describe('token buckets', () => {
  it('allow the burst, then one request per interval, and say how long to wait', () => {
    const b = tokenBuckets({ perMinute: 60, burst: 2 }, 10)
    expect([b.take(1, 0), b.take(1, 0), b.take(1, 0)]).toEqual([0, 0, 1000])
    expect(b.take(1, 400)).toBe(600)
    expect(b.take(1, 1000)).toBe(0)
    expect(b.take(1, 1000)).toBe(1000)
    // A long idle refills to the burst, never beyond it.
    expect([b.take(1, 3_600_000), b.take(1, 3_600_000), b.take(1, 3_600_000)]).toEqual([0, 0, 1000])
  })

  it('keep at most `capacity` buckets, dropping the least recently used', () => {
    const b = tokenBuckets({ perMinute: 1, burst: 1 }, 3)
    for (const key of [1, 2, 3]) expect(b.take(key, 0)).toBe(0)
    expect(b.take(1, 0)).toBeGreaterThan(0) // 1 is now the most recently used
    expect(b.take(4, 0)).toBe(0) // evicts 2, the least recently used
    expect(b.size).toBe(3)
    expect(b.take(3, 0)).toBeGreaterThan(0) // 3 was kept
    expect(b.take(2, 0)).toBe(0) // 2 was dropped: it starts full again
    expect(b.size).toBe(3)
  })
})

describe('rate limit settings', () => {
  it('default to on and generous, and refuse bad values naming them', () => {
    const { admin, session } = loadConfig({}).rateLimit
    expect(admin.perMinute).toBeGreaterThanOrEqual(60_000)
    expect(session.perMinute).toBeGreaterThan(0)
    expect(loadConfig({ PARLEY_RATE_LIMIT_ADMIN: '0' }).rateLimit.admin.perMinute).toBe(0)
    expect(() => loadConfig({ PARLEY_RATE_LIMIT_SESSION: '-1' })).toThrow(/PARLEY_RATE_LIMIT_SESSION/)
    expect(() => loadConfig({ PARLEY_RATE_LIMIT_ADMIN_BURST: '0' })).toThrow(/PARLEY_RATE_LIMIT_ADMIN_BURST/)
    expect(() => loadConfig({ PARLEY_HEADERS_TIMEOUT: '5000', PARLEY_REQUEST_TIMEOUT: '1000' })).toThrow(/PARLEY_HEADERS_TIMEOUT/)
  })
})

for (const kind of STORES) {
  describe(`rate limits over HTTP (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    beforeAll(async () => {
      db = await kind.open()
      // One request a minute after the burst: no refill can happen while the test runs.
      server = await startChatServer(db.store, {
        PARLEY_RATE_LIMIT_ADMIN: '1',
        PARLEY_RATE_LIMIT_ADMIN_BURST: '3',
        PARLEY_RATE_LIMIT_SESSION: '1',
        PARLEY_RATE_LIMIT_SESSION_BURST: '2',
      })
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const expectThrottled = (r: { status: number; headers: Record<string, unknown>; json: { errors?: unknown } }) => {
      expect(r.status).toBe(429)
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(r.json.errors).toEqual([expect.stringMatching(/Too many requests/)])
    }

    it('throttles an admin key after its burst, and no other key', async () => {
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await server.get('/admin/chat/list?limit=1')).status)
      expect(statuses).toEqual([200, 200, 200])
      expectThrottled(await server.get('/admin/chat/list?limit=1'))
      expectThrottled(await server.call('PUT', '/admin/chat/61721539107bd9002fdb84ed', { body: { name: 'x' } }))
      const other = await createAdminKey(db.store, 'other')
      expect((await server.get('/admin/chat/list?limit=1', { key: other.key })).status).toBe(200)
      // A wrong key is refused by authentication and takes nothing from anyone's bucket.
      expect((await server.get('/admin/chat/list', { key: 'wrong' })).status).toBe(401)
    })

    it('throttles a session after its burst, and no other session', async () => {
      const ann = await server.user('ann')
      const bob = await server.user('bob')
      expect((await ann.call('GET', '/session')).status).toBe(200)
      expect((await ann.call('GET', '/chat/Dialog')).status).toBe(200)
      expectThrottled(await ann.call('GET', '/chat/Dialog'))
      expectThrottled(await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: '61721539107bd9002fdb84ed', message: 'x' } }))
      expect((await bob.call('GET', '/chat/Dialog')).status).toBe(200)
      // Routes without credentials have no bucket.
      for (let i = 0; i < 5; i++) expect((await send(`${server.url}/health`, 'GET')).status).toBe(200)
    })
  })

  describe(`rate limits off (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store, { PARLEY_RATE_LIMIT_ADMIN: '0', PARLEY_RATE_LIMIT_ADMIN_BURST: '1', PARLEY_RATE_LIMIT_SESSION: '0', PARLEY_RATE_LIMIT_SESSION_BURST: '1' })
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('never throttles with 0', async () => {
      const ann = await server.user('ann')
      for (let i = 0; i < 20; i++) {
        expect((await server.get('/admin/chat/list?limit=1')).status).toBe(200)
        expect((await ann.call('GET', '/chat/Dialog')).status).toBe(200)
      }
    })
  })
}
