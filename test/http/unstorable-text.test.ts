// Text PostgreSQL cannot keep (NUL, unpaired surrogates) is refused the same way on both stores —
// writes with a 422 naming the field, filters with a 400 naming the parameter, import per record —
// while well-formed text (emoji: surrogate pairs) goes through untouched.
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importItems, readItems } from '../../src/services/import.ts'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`text the stores cannot keep (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let dialog: string
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      const bob = await server.user('bob')
      dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'x', occupants_ids: [bob.id] } })).json._id
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const expectNamed = (r: { status: number; json: { errors: Record<string, string[]> } }, status: number, name: string, what: RegExp) => {
      expect(r.status, JSON.stringify(r.json)).toBe(status)
      expect(Object.keys(r.json.errors)).toEqual([name])
      expect(r.json.errors[name]!.join(' ')).toMatch(what)
    }

    it('refuses them in chat writes with a 422 naming the field', async () => {
      expectNamed(await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: 'a\u0000b' } }), 422, 'message', /NUL/)
      expectNamed(await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: 'a\ud800b' } }), 422, 'message', /surrogate/)
      expectNamed(await ann.call('POST', '/chat/Message', { body: `chat_dialog_id=${dialog}&message=a%00b` }), 422, 'message', /NUL/)
      expectNamed(await ann.call('PUT', `/chat/Dialog/${dialog}`, { body: { push_all: { occupants_ids: [1, '\udfff'] } } }), 422, 'push_all.occupants_ids.1', /surrogate/)
      const named = await ann.call('PUT', `/chat/Dialog/${dialog}`, { body: { extensions: { 'k\u0000': 'v' } } })
      expectNamed(named, 422, 'extensions.k\u0000', /name contains a NUL/)
    })

    it('refuses them in the admin update and in list filters', async () => {
      expectNamed(await server.call('PUT', `/admin/chat/${dialog}`, { body: { name: '\u0000' } }), 422, 'name', /NUL/)
      expectNamed(await server.get('/admin/chat/messages/list?message=%00'), 400, 'message', /NUL/)
      expectNamed(await server.get('/admin/chat/list', { body: { name: 'x\ud800' } }), 400, 'name', /surrogate/)
    })

    it('refuses them in a path, naming the path parameter, or path for a wildcard or an unmatched path', async () => {
      expectNamed(await ann.call('PUT', '/chat/Dialog/%00', { body: { name: 'x' } }), 400, 'dialog_id', /NUL/)
      // Fastify calls the rest of a path `*` (the not-found route's too): not a name a caller wrote.
      for (const [method, path] of [['GET', '/admin/chat/%00'], ['PUT', '/admin/chat/%00/'], ['GET', '/admin/ui/%00'], ['GET', '/docs/%00'], ['GET', '/no/such/%00']]) {
        expectNamed(await server.call(method!, path!), 400, 'path', /NUL/)
      }
    })

    it('keeps well-formed text, surrogate pairs included, as given', async () => {
      const text = 'emoji 👋 and 𝄞, quotes "x", backslash \\'
      const sent = await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: text } })
      expect(sent.status).toBe(201)
      const back = await server.get(`/admin/chat/messages/list?_id=${sent.json._id}`)
      expect(back.json.items[0].message).toBe(text)
    })

    it('import rejects such a record by itself, naming it, and keeps the rest of the batch', async () => {
      const good = dialogItem(1700000001)
      const bad = { ...dialogItem(1700000002), name: 'a\u0000b' }
      const badMessage = messageItem(good._id as string, 1700000003, { message: 'x\ud800' })
      const lines = [good, bad, badMessage].map((v) => JSON.stringify(v)).join('\n')
      const dialogs = await importItems(db.store, 'dialogs', readItems(Readable.from([lines.split('\n').slice(0, 2).join('\n')])))
      expect(dialogs.imported).toBe(1)
      expect(dialogs.rejected).toEqual([{ where: 'line 2', reason: 'name: contains a NUL character (\\u0000)' }])
      const messages = await importItems(db.store, 'messages', readItems(Readable.from([JSON.stringify(badMessage)])))
      expect(messages).toEqual({ imported: 0, rejected: [{ where: 'line 1', reason: 'message: contains an unpaired UTF-16 surrogate (not valid Unicode)' }] })
      expect((await server.get(`/admin/chat/list?_id=${good._id}`)).json.items).toHaveLength(1)
    })

    it('import rejects a record nested too deep to walk by itself, and keeps the others', async () => {
      const deep = { ...dialogItem(1700000011), extra: JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown }
      const fine = dialogItem(1700000012)
      const report = await importItems(db.store, 'dialogs', [{ where: 'item 1', value: deep }, { where: 'item 2', value: fine }])
      expect(report.imported).toBe(1)
      expect(report.rejected).toEqual([{ where: 'item 1', reason: expect.stringMatching(/^cannot be read: Maximum call stack/) }])
    })
  })
}
