// The configurable request limits (docs/limits.md) take effect: a server started with small values
// refuses what a default one accepts, with the documented status and the parameter named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { send, startServer, type Answer, type TestServer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const SMALL = {
  PARLEY_BODY_LIMIT: '2048',
  PARLEY_PARAMETER_LIMIT: '10',
  PARLEY_BRACKET_DEPTH: '2',
  PARLEY_ARRAY_LIMIT: '5',
  PARLEY_MAX_HEADER_SIZE: '2048',
  PARLEY_LIST_LIMIT: '3',
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

    it('array length and index: the array named, in the query string and in a form body', async () => {
      const six = (key: string) => Array.from({ length: 6 }, (_, i) => `${key}=${i + 1}`).join('&')
      const cases: Array<[TestServer, string, string]> = [
        [small, 'sender_id[in]', six('sender_id[in][]')],
        [small, 'sender_id', six('sender_id')],
        [small, 'x', 'x[5]=1'],
        [small, '_id[in]', '_id[in][5]=1'],
        [normal, 'x', 'x[1001]=1'],
        [normal, '_id[in]', '_id[in][5000]=1'],
        [normal, 'extensions[a]', 'extensions%5Ba%5D%5B1000%5D=1'],
      ]
      const named = []
      for (const [server, , params] of cases) {
        for (const r of [await server.get(`/admin/chat/list?${params}`), await server.get('/admin/chat/list', { body: params })]) {
          expect(r.status, r.text).toBe(400)
          named.push(Object.keys(errorsOf(r)))
          expect(Object.values(errorsOf(r)).flat().join(' ')).toMatch(/Array limit exceeded/)
        }
      }
      expect(named).toEqual(cases.flatMap(([, name]) => [[name], [name]]))
      // Within the limits, no array error.
      expect((await small.get(`/admin/chat/messages/list?${Array.from({ length: 5 }, (_, i) => `sender_id[in][]=${i + 1}`).join('&')}&x[4]=1`)).text).not.toMatch(/Array limit/)
    })

    it('in / nin / all list length, comma-separated or as an array, in the query or a GET body', async () => {
      const ids = ['61721539107bd9002fdb84e1', '61721539107bd9002fdb84e2', '61721539107bd9002fdb84e3', '61721539107bd9002fdb84e4']
      const answers = [
        await small.get('/admin/chat/messages/list?sender_id[in]=1,2,3,4'),
        await small.get('/admin/chat/messages/list', { body: 'sender_id[nin]=1,2,3,4' }),
        await small.get('/admin/chat/list', { body: { _id: { in: ids } } }),
        await small.get(`/admin/chat/export?${ids.map((id) => `_id[in][]=${id}`).join('&')}`),
      ]
      const names = ['sender_id[in]', 'sender_id[nin]', '_id[in]', '_id[in]']
      answers.forEach((r, i) => {
        expect(r.status, r.text).toBe(400)
        expect(errorsOf(r)).toEqual({ [names[i]!]: ['at most 3 values'] })
      })
      expect((await small.get('/admin/chat/messages/list?sender_id[in]=1,2,3')).status).toBe(200)
      expect((await normal.get('/admin/chat/messages/list?sender_id[in]=1,2,3,4')).status).toBe(200)
      expect(() => loadConfig({ PARLEY_LIST_LIMIT: '1001' })).toThrow(/PARLEY_LIST_LIMIT/)
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
