// The configurable request limits (docs/limits.md) take effect: a server started with small values
// refuses what a default one accepts, with the documented status and the parameter named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send, startServer, type Answer, type TestServer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const SMALL = {
  PARLEY_BODY_LIMIT: '2048',
  PARLEY_PARAMETER_LIMIT: '10',
  PARLEY_BRACKET_DEPTH: '2',
  PARLEY_ARRAY_LIMIT: '5',
  PARLEY_MAX_HEADER_SIZE: '2048',
}

const errorsOf = (r: Answer): Record<string, string[]> => r.json.errors

for (const kind of STORES) {
  describe(`configured limits (${kind.name})`, () => {
    let db: TestStore
    let small: TestServer
    let normal: TestServer
    beforeAll(async () => {
      db = await kind.open()
      small = await startServer(db.store, SMALL)
      normal = await startServer(db.store)
    })
    afterAll(async () => {
      await small.close()
      await normal.close()
      await db.drop()
    })

    it('bracket depth', async () => {
      const q = '/admin/chat/list?extensions[a][b][c]=1'
      const r = await small.get(q)
      expect(r.status).toBe(400)
      expect(errorsOf(r)['extensions[a][b][c]']).toEqual(['brackets nested more than 2 deep'])
      expect((await normal.get(q)).status).not.toBe(413)
      expect(errorsOf(await normal.get(q))['extensions[a][b][c]']).toBeUndefined()
    })

    it('array length', async () => {
      const q = '/admin/chat/messages/list?' + Array.from({ length: 6 }, (_, i) => `sender_id[in][]=${i + 1}`).join('&')
      const r = await small.get(q)
      expect(r.status).toBe(400)
      expect(r.text).toMatch(/Array limit exceeded/)
      expect((await normal.get(q)).status).toBe(200)
    })

    it('parameter count, in the query string and in a form body', async () => {
      const params = Array.from({ length: 11 }, (_, i) => `p${i}=1`).join('&')
      for (const r of [await small.get(`/admin/chat/list?${params}`), await small.get('/admin/chat/list', { body: params })]) {
        expect(r.status).toBe(400)
        expect(r.text).toMatch(/Parameter limit exceeded/)
      }
    })

    it('body size: 413', async () => {
      const body = { description: 'x'.repeat(3000) }
      const r = await small.call('PUT', '/admin/chat/61721539107bd9002fdb84ed', { body })
      expect(r.status).toBe(413)
      expect(r.json).toHaveProperty('errors')
      expect((await normal.call('PUT', '/admin/chat/61721539107bd9002fdb84ed', { body })).status).toBe(404)
      expect((await small.get('/admin/chat/list', { body: `name=${'x'.repeat(3000)}` })).status).toBe(413)
    })

    it('header size: 431', async () => {
      const headers = { 'X-Big': 'x'.repeat(3000) }
      const r = await send(`${small.url}/health`, 'GET', { headers })
      expect(r.status).toBe(431)
      expect(r.json).toHaveProperty('errors')
      expect((await send(`${normal.url}/health`, 'GET', { headers })).status).toBe(200)
    })
  })
}
