// Malformed requests to every chat route get a 4xx with {"errors": …}, never a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_KEY, startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`chat routes refuse bad input clearly (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser
    let dialog: string
    let message: string
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
      dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'x', occupants_ids: [bob.id] } })).json._id
      message = (await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: 'm' } })).json._id
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('answers each with a 4xx and errors', async () => {
      const d = () => dialog
      const m = () => message
      const cases: Array<[string, string, (string | object)?, string?]> = [
        ['POST', '/session', 'not json at all {', 'application/json'],
        ['POST', '/session', { user: 'dacia' }],
        ['POST', '/session', [1, 2]],
        ['POST', '/users', { user: { login: ['a', 'b'], password: 'password1' } }],
        ['POST', '/users', 'user[login][x]=1&user[password]=password1'],
        ['GET', '/users?id[in]=a,b'],
        ['GET', '/users?sort_desc=password_hash'],
        ['GET', '/users/1.5'],
        ['GET', '/chat/Dialog?limit=0'],
        ['GET', '/chat/Dialog?limit=abc&skip=-1'],
        ['GET', '/chat/Dialog?type[gt][x]=1'],
        ['GET', '/chat/Dialog?created_at[gt]=yesterday'],
        ['GET', '/chat/Dialog?extensions=flat'],
        ['POST', '/chat/Dialog', { type: '2', name: 'x', occupants_ids: { a: 1 } }],
        ['POST', '/chat/Dialog', { type: 2, name: 'x', occupants_ids: [1.5] }],
        ['POST', '/chat/Dialog', { type: 2, name: { a: 1 }, occupants_ids: [1] }],
        ['POST', '/chat/Dialog', { type: 2, name: 'x', occupants_ids: [1], extensions: 'loc' }],
        ['POST', '/chat/Dialog', { type: 2, name: 'x', occupants_ids: [1], permissions: { allow_preview: 'maybe' } }],
        ['PUT', `/chat/Dialog/${d()}`, { push_all: { occupants_ids: 'x' } }],
        ['PUT', `/chat/Dialog/${d()}`, { push_all: { pinned_messages_ids: ['zz'] } }],
        ['PUT', `/chat/Dialog/${d()}`, { pull_all: { colours: [1] } }],
        ['PUT', `/chat/Dialog/${d()}/admins`, {}],
        ['PUT', `/chat/Dialog/${d()}/notifications`, {}],
        ['PUT', `/chat/Dialog/${d()}/notifications`, { enabled: 'sometimes' }],
        ['GET', `/chat/Dialog/${d()}/occupants?limit=x`],
        ['GET', `/chat/Dialog/${d()}/occupants?colour=red`],
        ['DELETE', `/chat/Dialog/${d()}?force=yes`],
        ['DELETE', '/chat/Dialog/clearHistory/xyz'],
        ['GET', '/chat/Message?chat_dialog_id[]=1'],
        ['GET', `/chat/Message?chat_dialog_id=${d()}&mark_as_read=maybe`],
        ['GET', `/chat/Message?chat_dialog_id=${d()}&sort_asc=message`],
        ['GET', `/chat/Message?chat_dialog_id=${d()}&date_sent[lt]=soon`],
        ['GET', '/chat/Message/unread?chat_dialog_ids=nope'],
        ['GET', '/chat/Message/unread?chat_dialog_ids[x]=1'],
        ['GET', '/chat/Message/unread?colour=red'],
        ['POST', '/chat/Message', { chat_dialog_id: d(), message: { nested: true } }],
        ['POST', '/chat/Message', { chat_dialog_id: d(), message: 'x', attachments: [1, 2] }],
        ['POST', '/chat/Message', { chat_dialog_id: d(), message: 'x', 'bad key!': 1 }],
        ['POST', '/chat/Message', { recipient_id: 'abc', message: 'x' }],
        ['POST', '/chat/Message', `chat_dialog_id=${d()}&message[a]=1`],
        ['PUT', `/chat/Message/${m()}`, { read: 'yes' }],
        ['PUT', `/chat/Message/${m()}`, { read: 1, extra: 1 }],
        ['PUT', `/chat/Message/${m()},zz`, { read: 1 }],
        ['PUT', '/chat/Message', { chat_dialog_id: d(), message: 'edit all' }],
        ['DELETE', `/chat/Message/${m()}?force=maybe`],
        ['PUT', `/chat/Message/${m()}/reactions`, { add: '' }],
        ['PUT', `/chat/Message/${m()}/reactions`, { add: 'x'.repeat(100) }],
        ['GET', '/chat/Message/nope/reactions'],
      ]
      for (const [method, path, body, contentType] of cases) {
        const r = await ann.call(method, path, { ...(body === undefined ? {} : { body }), ...(contentType ? { contentType } : {}) })
        const what = `${method} ${path} ${JSON.stringify(body)} → ${r.status} ${r.text}`
        expect(r.status, what).toBeGreaterThanOrEqual(400)
        expect(r.status, what).toBeLessThan(500)
        expect(r.json, what).toHaveProperty('errors')
      }
    })

    it('refuses a session body without credentials and an auth key in the wrong place', async () => {
      const r = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY } })
      expect(r.status).toBe(422)
      expect((await server.anonymous('POST', '/session', { headers: { 'CB-AuthKey': '' }, body: { user: { login: 'x', password: 'y' } } })).status).toBe(401)
    })
  })
}
