// The CB-Administration-API-Key header: missing, unknown or revoked keys get a 401 with
// {"errors": [...]} on every admin route; a live key works; /health needs none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import { createAdminKey, listAdminKeys, revokeAdminKey } from '../../src/services/keys.ts'
import { startServer, type Answer, type TestServer } from '../helpers/app.ts'
import { dialogItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const B = 1645095700

function expectUnauthorized(r: Answer): void {
  expect(r.status, r.text).toBe(401)
  expect(Object.keys(r.json)).toEqual(['errors'])
  expect(Array.isArray(r.json.errors)).toBe(true)
  expect(r.json.errors.length).toBeGreaterThan(0)
  expect(typeof r.json.errors[0]).toBe('string')
  // nothing of the data leaks into a refusal
  expect(r.text).not.toContain('total_entries')
  expect(r.text).not.toContain('Secret room')
}

for (const kind of STORES) {
  describe(`admin key (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    let dialogId: string
    const requests = (): Array<[string, string, object | undefined]> => [
      ['GET', '/admin/chat/list', undefined],
      ['GET', '/admin/chat/messages/list', undefined],
      ['GET', '/admin/chat/list?count=1', undefined],
      ['PUT', `/admin/chat/${dialogId}`, { name: 'Hijacked' }],
    ]

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      const d = dialogItem(B, { type: 2, name: 'Secret room' })
      dialogId = d._id as string
      await importValues(db.store, 'dialogs', [d])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('refuses a request without the header', async () => {
      for (const [method, path, body] of requests()) expectUnauthorized(await server.call(method, path, { key: null, body }))
    })

    it('refuses an empty or unknown key', async () => {
      for (const key of ['', 'nope', server.key.slice(0, -1), server.key + 'x', server.key.toUpperCase()]) {
        if (key === server.key) continue
        for (const [method, path, body] of requests()) expectUnauthorized(await server.call(method, path, { key, body }))
      }
    })

    it('refuses a revoked key, and only that one', async () => {
      const { key } = await createAdminKey(db.store, 'to-revoke')
      expect((await server.get('/admin/chat/list', { key })).status).toBe(200)
      const revoked = await revokeAdminKey(db.store, 'to-revoke')
      expect(revoked.map((k) => k.name)).toEqual(['to-revoke'])
      for (const [method, path, body] of requests()) expectUnauthorized(await server.call(method, path, { key, body }))
      // the server's own key still works
      expect((await server.get('/admin/chat/list')).status).toBe(200)
      const keys = await listAdminKeys(db.store)
      expect(keys.find((k) => k.name === 'to-revoke')?.revoked_at).not.toBeNull()
      expect(keys.find((k) => k.name === 'test')?.revoked_at).toBeNull()
    })

    it('a refused PUT changes nothing', async () => {
      const r = await server.get(`/admin/chat/list?_id=${dialogId}`)
      expect(r.json.items[0].name).toBe('Secret room')
    })

    it('accepts a live key, with the header in any case', async () => {
      const r = await server.get('/admin/chat/list', { key: null, headers: { 'cb-administration-api-key': server.key } })
      expect(r.status).toBe(200)
      expect(r.json.total_entries).toBe(1)
      expect(r.json.items[0]._id).toBe(dialogId)
      const { key } = await createAdminKey(db.store, 'second')
      const m = await server.get('/admin/chat/messages/list', { key })
      expect(m.status).toBe(200)
      expect(m.json).toEqual({ total_entries: 0, skip: 0, limit: 100, items: [] })
    })

    it('checks the key before the parameters', async () => {
      expectUnauthorized(await server.get('/admin/chat/list?updatd_at=1', { key: null }))
      expectUnauthorized(await server.get('/admin/chat/list', { key: 'nope', body: '{broken', contentType: 'application/json' }))
    })

    it('serves /health without a key', async () => {
      const r = await server.get('/health', { key: null })
      expect(r.status).toBe(200)
      expect(r.json).toEqual({ status: 'ok' })
      const withBadKey = await server.get('/health', { key: 'nope' })
      expect(withBadKey.status).toBe(200)
    })
  })
}
