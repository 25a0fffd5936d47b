import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`smoke (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })
    it('lists what was imported', async () => {
      const d = dialogItem(1645095700)
      const m = messageItem(d._id as string, 1669548990, { mission: 'take over the planet' })
      await importValues(db.store, 'dialogs', [d])
      await importValues(db.store, 'messages', [m])
      const r1 = await server.get('/admin/chat/list')
      expect(r1.status).toBe(200)
      expect(r1.json).toEqual({ total_entries: 1, skip: 0, limit: 100, items: [d] })
      const r2 = await server.get('/admin/chat/messages/list', { body: `chat_dialog_id=${d._id}` })
      expect(r2.json.items).toEqual([m])
      const r3 = await server.get('/admin/chat/messages/list?updated_at[foo]=1')
      expect(r3.status).toBe(400)
      expect(r3.json.errors['updated_at[foo]']).toBeDefined()
    })
    it("says how long it took in Server-Timing, errors included", async () => {
      for (const path of ['/admin/chat/list', '/admin/chat/list?limit=x', '/health', '/no/such/route']) {
        const r = await server.get(path)
        const timing = /^app;dur=(\d+\.\d{3})$/.exec(String(r.headers['server-timing']))
        expect(timing, `${path}: ${r.headers['server-timing']}`).not.toBeNull()
        expect(Number(timing![1]), path).toBeGreaterThan(0)
      }
    })
  })
}
