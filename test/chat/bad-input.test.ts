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
        ['PUT', '/users/1', { user: { email: ['a@b.co', 'c@d.co'] } }],
        ['PUT', '/users/1', 'user[timezone]=noon'],
        ['PUT', '/users/1', { user: { password: 'x'.repeat(201), old_password: 'password1' } }],
        ['PUT', '/users/1', [1]],
        ['DELETE', '/users/external/-4'],
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

    /** Each case gets its status, with `key` among the names in `errors` and, where given, a message saying `says`. */
    type Case = [method: string, path: string, body: string | object | undefined, status: number, key: string, says?: RegExp]
    async function expectRefused(cases: Case[]): Promise<void> {
      for (const [method, path, body, status, key, says] of cases) {
        const contentType = typeof body === 'string' && body.startsWith('{') ? 'application/json' : undefined
        const r = await ann.call(method, path, { ...(body === undefined ? {} : { body }), ...(contentType ? { contentType } : {}) })
        const what = `${method} ${path} ${(typeof body === 'string' ? body : JSON.stringify(body))?.slice(0, 100)} → ${r.status} ${r.text.slice(0, 300)}`
        expect(r.status, what).toBe(status)
        expect(Object.keys(r.json.errors), what).toContain(key)
        if (says) expect(r.json.errors[key].join(' '), what).toMatch(says)
      }
    }

    it('refuses a filter value past a 32-bit column (dialog type, user id) with a 400 naming the parameter', async () => {
      await expectRefused([
        ['GET', '/chat/Dialog?type=4294967295', undefined, 400, 'type', /an integer from -2147483648 to 2147483647/],
        ['GET', '/chat/Dialog?type[gt]=2147483648', undefined, 400, 'type[gt]', /2147483647/],
        ['GET', '/chat/Dialog?type[in]=1,4294967295', undefined, 400, 'type[in]', /2147483647/],
        ['GET', '/chat/Dialog?type[ne]=-2147483649', undefined, 400, 'type[ne]', /-2147483648/],
        ['GET', '/users?id=3000000000', undefined, 400, 'id', /2147483647/],
        ['GET', '/users?id[in]=1,3000000000', undefined, 400, 'id[in]', /2147483647/],
        ['GET', '/users?id[lt]=-2147483649', undefined, 400, 'id[lt]', /-2147483648/],
      ])
      for (const path of ['/chat/Dialog?type=2147483647', '/chat/Dialog?type[gte]=-2147483648', '/users?id[in]=2147483647,1', '/users?id[gt]=-2147483648']) {
        const r = await ann.call('GET', path)
        expect(r.status, `${path}: ${r.text}`).toBe(200)
      }
    })

    it('refuses a body user id that is not a positive 32-bit integer with a 422, in the words the API has for one', async () => {
      await expectRefused([
        ['POST', '/chat/Message', { recipient_id: 2147483648, message: 'm' }, 422, 'recipient_id', /^2147483648 is not a user id/],
        ['POST', '/chat/Message', '{"recipient_id": 1e300, "message": "m"}', 422, 'recipient_id', /^1e\+300 is not a user id/],
        ['POST', '/chat/Dialog', { type: 2, name: 'n', occupants_ids: [3000000000] }, 422, 'occupants_ids', /^3000000000 is not a user id/],
        ['POST', '/chat/Dialog', { type: 2, name: 'n', occupants_ids: '3000000000' }, 422, 'occupants_ids', /^"3000000000" is not a user id/],
        ['POST', '/chat/Dialog', { type: 3, occupants_ids: [4294967297] }, 422, 'occupants_ids', /4294967297 is not a user id/],
        ['POST', '/chat/Dialog', { type: 2, name: 'n', occupants_ids: [bob.id], admins_ids: [2147483648] }, 422, 'admins_ids', /2147483648 is not a user id/],
        ['PUT', `/chat/Dialog/${dialog}`, { push_all: { occupants_ids: [3000000000] } }, 422, 'push_all.occupants_ids', /3000000000 is not a user id/],
        ['PUT', `/chat/Dialog/${dialog}`, { push_all: { admins_ids: ['3000000000'] } }, 422, 'push_all.admins_ids', /3000000000 is not a user id/],
        ['PUT', `/chat/Dialog/${dialog}/admins`, { push_all: { admins_ids: [2147483648] } }, 422, 'push_all.admins_ids', /2147483648 is not a user id/],
      ])
      // The largest id there can be is only no such user.
      await expectRefused([['POST', '/chat/Message', { recipient_id: 2147483647, message: 'm' }, 422, 'recipient_id', /^no such user$/]])
    })

    it('answers 404 for a user id past 32 bits, as for any unknown user', async () => {
      for (const id of ['2147483647', '2147483648', '3000000000', '999999999999999']) {
        const r = await ann.call('GET', `/users/${id}`)
        expect(r.status, `${id}: ${r.text}`).toBe(404)
        expect(r.json.errors).toEqual(['User not found'])
      }
    })

    it('refuses a body integer kept in a bigint column that is not a safe integer, with a 422 naming the field', async () => {
      const signUp = (extra: string) => `{"auth_key": "${AUTH_KEY}", "user": {"login": "big1", "password": "pw12345678", ${extra}}}`
      await expectRefused([
        ['POST', '/users', signUp('"external_user_id": 1e300'), 422, 'user.external_user_id', /9007199254740991/],
        ['POST', '/users', signUp('"external_user_id": 1e21'), 422, 'user.external_user_id', /9007199254740991/],
        ['POST', '/users', signUp('"external_user_id": 9223372036854775808'), 422, 'user.external_user_id', /9007199254740991/],
        ['POST', '/users', signUp('"external_user_id": 9007199254740992'), 422, 'user.external_user_id', /9007199254740991/],
        ['POST', '/users', signUp('"external_user_id": -1e300'), 422, 'user.external_user_id', /-9007199254740991/],
        ['POST', '/users', signUp('"blob_id": 1e300'), 422, 'user.blob_id', /9007199254740991/],
        ['POST', '/users', `auth_key=${AUTH_KEY}&user[login]=big1&user[password]=pw12345678&user[blob_id]=1e300`, 422, 'user.blob_id', /9007199254740991/],
      ])
      // none of them was signed up; the bounds themselves are kept as sent
      expect((await ann.call('GET', '/users?login=big1')).json.total_entries).toBe(0)
      const max = Number.MAX_SAFE_INTEGER
      const up = await server.anonymous('POST', '/users', { body: { auth_key: AUTH_KEY, user: { login: 'big2', password: 'pw12345678', external_user_id: max, blob_id: -max } } })
      expect(up.status, up.text).toBe(201)
      expect(up.json.user).toMatchObject({ external_user_id: max, blob_id: -max })
      expect((await ann.call('GET', `/users/${up.json.user.id}`)).json.user).toMatchObject({ external_user_id: max, blob_id: -max })
    })

    it('refuses more than 3000 filter values in all with a 400 naming the parameter where the count passes it', async () => {
      const list = (at: (i: number) => string | number) => Array.from({ length: 1000 }, (_, i) => at(i))
      const extensions = Object.fromEntries(Array.from({ length: 66 }, (_, k) => [`k${k}`, { nin: list((i) => `v${i}`) }]))
      await expectRefused([
        ['GET', '/chat/Dialog', { extensions }, 400, 'extensions[k3][nin]', /at most 3000 values in all/],
        ['GET', '/users', `id[in]=${list((i) => i + 1).join(',')}&login[in]=${list((i) => `u${i}`).join(',')}&email[nin]=${list((i) => `e${i}`).join(',')}&full_name=x`, 400, 'full_name', /at most 3000 values in all/],
      ])
    })

    it('refuses a session body without credentials and an auth key in the wrong place', async () => {
      const r = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY } })
      expect(r.status).toBe(422)
      expect((await server.anonymous('POST', '/session', { headers: { 'CB-AuthKey': '' }, body: { user: { login: 'x', password: 'y' } } })).status).toBe(401)
    })
  })
}
