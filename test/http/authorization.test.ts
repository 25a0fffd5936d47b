// The authorization matrix: every route of the app, each tried by every kind of caller, the answer
// checked against one table. The route list is read from the app itself, so a new route without a
// row here fails the first test. Chat routes are tried on a fresh dialog per cell by: its owner, an
// admin of it (admins_ids), a member, a former member (left the dialog: now a non-member), a
// stranger (another user of the app, never in it), no token, and a bad token. Admin routes: no key,
// a revoked key, a valid key. The rules are docs/chat.md's and the spec's (src/services/privileges.ts).
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdminKey, revokeAdminKey } from '../../src/services/keys.ts'
import { send, type Answer } from '../helpers/app.ts'
import { AUTH_KEY, startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

/** `METHOD /path` of every route the app serves; HEAD is left out (Fastify derives it from GET, with the GET's hooks). */
export function routesOf(app: FastifyInstance): string[] {
  const routes: string[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!m) continue
    const depth = m[1]!.length / 4
    stack.length = depth
    const path = stack.join('') + m[2]!
    stack.push(m[2]!)
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) if (method !== 'HEAD') routes.push(`${method} ${path}`)
  }
  return routes
}

type Who = 'owner' | 'admin' | 'member' | 'former' | 'stranger' | 'none' | 'bad'
const WHO: Who[] = ['owner', 'admin', 'member', 'former', 'stranger', 'none', 'bad']
type AdminWho = 'none' | 'revoked' | 'valid'
const ADMIN_WHO: AdminWho[] = ['none', 'revoked', 'valid']

interface Fixture {
  /** The dialog (group, or public for the subscribe routes) and a message of its owner. */
  id: string
  msg: string
  /** Another occupant (group), and the dialog's admin. */
  extra: number
  admin: number
}
interface Request {
  method: string
  path: string
  body?: object
}
interface ChatCase {
  /** A variant of the route (force=1); the route's first case needs none. */
  variant?: string
  dialog?: 'group' | 'public'
  /** CB-AuthKey routes (sign-up, sign-in): users send the right key, `none` no key, `bad` a wrong one. */
  authKey?: true
  request(fx: Fixture, me: ChatUser | null): Request
  /** One outcome per WHO, in order: a status, or for the three-list delete answer: del / wrong / nf. */
  expect: string
}

const deletedOutcome = (a: Answer): string =>
  a.status !== 200 ? String(a.status) : a.json.SuccessfullyDeleted.ids.length ? 'del' : a.json.WrongPermissions.ids.length ? 'wrong' : a.json.NotFound.ids.length ? 'nf' : 'none'

let serial = 0
// Outcome order: owner admin member former stranger none bad
const MEMBERS_ONLY = '200 200 200 404 404 401 401'
const ANY_USER = '200 200 200 200 200 401 401'
const CHAT: Record<string, ChatCase[]> = {
  'POST /users': [{ authKey: true, request: () => ({ method: 'POST', path: '/users', body: { user: { login: `new${++serial}`, password: 'password1' } } }), expect: '201 201 201 201 201 401 401' }],
  'POST /session': [{ authKey: true, request: (_, me) => ({ method: 'POST', path: '/session', body: { user: { login: me?.login ?? 'nobody', password: 'password1' } } }), expect: '201 201 201 201 201 401 401' }],
  'GET /session': [{ request: () => ({ method: 'GET', path: '/session' }), expect: ANY_USER }],
  'DELETE /session': [{ request: () => ({ method: 'DELETE', path: '/session' }), expect: ANY_USER }],
  'GET /users': [{ request: (_, me) => ({ method: 'GET', path: `/users?id[in]=${me?.id ?? 1}` }), expect: ANY_USER }],
  'GET /users/v2': [{ request: (_, me) => ({ method: 'GET', path: `/users/v2?id[in]=${me?.id ?? 1}` }), expect: ANY_USER }],
  'GET /users/:user_id': [{ request: (_, me) => ({ method: 'GET', path: `/users/${me?.id ?? 1}` }), expect: ANY_USER }],
  // A user changes and deletes their own account only (deleting it is test/chat/user-account.test.ts's:
  // the callers here are shared by every cell).
  'PUT /users/:user_id': [
    { request: (_, me) => ({ method: 'PUT', path: `/users/${me?.id ?? 1}`, body: { user: { full_name: 'me' } } }), expect: ANY_USER },
    { variant: "another's", request: (fx) => ({ method: 'PUT', path: `/users/${fx.extra}`, body: { user: { full_name: 'not me' } } }), expect: '403 403 403 403 403 401 401' },
  ],
  'DELETE /users/:user_id': [{ variant: "another's", request: (fx) => ({ method: 'DELETE', path: `/users/${fx.extra}` }), expect: '403 403 403 403 403 401 401' }],
  'DELETE /users/external/:external_user_id': [
    { variant: "another's", request: () => ({ method: 'DELETE', path: '/users/external/52691165' }), expect: '403 403 403 403 403 401 401' },
  ],
  'GET /chat/Dialog': [{ request: () => ({ method: 'GET', path: '/chat/Dialog' }), expect: ANY_USER }],
  'POST /chat/Dialog': [{ request: () => ({ method: 'POST', path: '/chat/Dialog', body: { type: 4, name: 'new' } }), expect: '201 201 201 201 201 401 401' }],
  'PUT /chat/Dialog/:dialog_id': [
    { request: (fx) => ({ method: 'PUT', path: `/chat/Dialog/${fx.id}`, body: { name: 'renamed' } }), expect: MEMBERS_ONLY },
    { variant: 'remove occupants', request: (fx) => ({ method: 'PUT', path: `/chat/Dialog/${fx.id}`, body: { pull_all: { occupants_ids: [fx.extra] } } }), expect: '200 200 403 404 404 401 401' },
  ],
  'DELETE /chat/Dialog/:dialog_id': [
    { request: (fx) => ({ method: 'DELETE', path: `/chat/Dialog/${fx.id}` }), expect: MEMBERS_ONLY },
    { variant: 'force=1', request: (fx) => ({ method: 'DELETE', path: `/chat/Dialog/${fx.id}?force=1` }), expect: '200 403 403 404 404 401 401' },
  ],
  'DELETE /chat/Dialog/clearHistory/:dialog_id': [
    { request: (fx) => ({ method: 'DELETE', path: `/chat/Dialog/clearHistory/${fx.id}` }), expect: MEMBERS_ONLY },
    { variant: 'force=1', request: (fx) => ({ method: 'DELETE', path: `/chat/Dialog/clearHistory/${fx.id}?force=1` }), expect: '200 403 403 404 404 401 401' },
  ],
  // Public dialogs are discoverable: anyone subscribes; unsubscribing when not subscribed is a no-op.
  'POST /chat/Dialog/:dialog_id/subscribe': [{ dialog: 'public', request: (fx) => ({ method: 'POST', path: `/chat/Dialog/${fx.id}/subscribe` }), expect: ANY_USER }],
  'DELETE /chat/Dialog/:dialog_id/subscribe': [{ dialog: 'public', request: (fx) => ({ method: 'DELETE', path: `/chat/Dialog/${fx.id}/subscribe` }), expect: ANY_USER }],
  'POST /chat/dialog/:dialog_id/subscribe': [{ dialog: 'public', request: (fx) => ({ method: 'POST', path: `/chat/dialog/${fx.id}/subscribe` }), expect: ANY_USER }],
  'DELETE /chat/dialog/:dialog_id/subscribe': [{ dialog: 'public', request: (fx) => ({ method: 'DELETE', path: `/chat/dialog/${fx.id}/subscribe` }), expect: ANY_USER }],
  'PUT /chat/Dialog/:dialog_id/admins': [
    { request: (fx) => ({ method: 'PUT', path: `/chat/Dialog/${fx.id}/admins`, body: { pull_all: { admins_ids: [fx.admin] } } }), expect: '200 403 403 404 404 401 401' },
  ],
  'PUT /chat/Dialog/:dialog_id/notifications': [{ request: (fx) => ({ method: 'PUT', path: `/chat/Dialog/${fx.id}/notifications`, body: { enabled: 0 } }), expect: MEMBERS_ONLY }],
  'GET /chat/Dialog/:dialog_id/notifications': [{ request: (fx) => ({ method: 'GET', path: `/chat/Dialog/${fx.id}/notifications` }), expect: MEMBERS_ONLY }],
  'GET /chat/Dialog/:dialog_id/occupants': [{ request: (fx) => ({ method: 'GET', path: `/chat/Dialog/${fx.id}/occupants` }), expect: MEMBERS_ONLY }],
  'GET /chat/Message': [{ request: (fx) => ({ method: 'GET', path: `/chat/Message?chat_dialog_id=${fx.id}` }), expect: MEMBERS_ONLY }],
  'POST /chat/Message': [{ request: (fx) => ({ method: 'POST', path: '/chat/Message', body: { chat_dialog_id: fx.id, message: 'hi' } }), expect: '201 201 201 404 404 401 401' }],
  'PUT /chat/Message': [{ request: (fx) => ({ method: 'PUT', path: '/chat/Message', body: { chat_dialog_id: fx.id, read: 1 } }), expect: MEMBERS_ONLY }],
  'GET /chat/search': [{ request: () => ({ method: 'GET', path: '/chat/search?search_text=from the owner' }), expect: ANY_USER }],
  'GET /chat/Message/unread': [{ request: (fx) => ({ method: 'GET', path: `/chat/Message/unread?chat_dialog_ids=${fx.id}` }), expect: ANY_USER }],
  'PUT /chat/Message/:message_id': [
    { request: (fx) => ({ method: 'PUT', path: `/chat/Message/${fx.msg}`, body: { read: 1 } }), expect: MEMBERS_ONLY },
    // Editing is the sender's (the owner sent fx.msg).
    { variant: 'edit', request: (fx) => ({ method: 'PUT', path: `/chat/Message/${fx.msg}`, body: { message: 'edited' } }), expect: '200 403 403 404 404 401 401' },
  ],
  'DELETE /chat/Message/:message_id': [
    { request: (fx) => ({ method: 'DELETE', path: `/chat/Message/${fx.msg}` }), expect: 'del del del nf nf 401 401' },
    { variant: 'force=1', request: (fx) => ({ method: 'DELETE', path: `/chat/Message/${fx.msg}?force=1` }), expect: 'del del wrong nf nf 401 401' },
  ],
  'PUT /chat/Message/:message_id/reactions': [{ request: (fx) => ({ method: 'PUT', path: `/chat/Message/${fx.msg}/reactions`, body: { add: 'x' } }), expect: MEMBERS_ONLY }],
  'GET /chat/Message/:message_id/reactions': [{ request: (fx) => ({ method: 'GET', path: `/chat/Message/${fx.msg}/reactions` }), expect: MEMBERS_ONLY }],
}

/** Admin routes: no key, a revoked key, a valid key. */
const ADMIN: Record<string, { request(dialogId: string): Request; expect: string }> = {
  'GET /admin/chat/list': { request: () => ({ method: 'GET', path: '/admin/chat/list' }), expect: '401 401 200' },
  'GET /admin/chat/messages/list': { request: () => ({ method: 'GET', path: '/admin/chat/messages/list' }), expect: '401 401 200' },
  'GET /admin/chat/export': { request: () => ({ method: 'GET', path: '/admin/chat/export' }), expect: '401 401 200' },
  'GET /admin/chat/messages/export': { request: () => ({ method: 'GET', path: '/admin/chat/messages/export' }), expect: '401 401 200' },
  'GET /admin/chat/messages/per_day': { request: () => ({ method: 'GET', path: '/admin/chat/messages/per_day' }), expect: '401 401 200' },
  'PUT /admin/chat/:dialog_id': { request: (id) => ({ method: 'PUT', path: `/admin/chat/${id}`, body: { name: 'by admin' } }), expect: '401 401 200' },
  // Operations: /metrics takes an admin key (or PARLEY_METRICS_TOKEN, test/ops/ready-metrics.test.ts).
  'GET /metrics': { request: () => ({ method: 'GET', path: '/metrics' }), expect: '401 401 200' },
}

/**
 * Open to anyone by design: probes, the API description and its viewer, and the admin console's
 * page and assets (no data in them; the console's own API calls carry the admin key).
 */
const PUBLIC = ['GET /health', 'GET /ready', 'GET /openapi.json']
const isDocsUi = (route: string) => / \/(docs|admin\/ui)(\/|$)/.test(route)

for (const kind of STORES) {
  describe(`authorization matrix (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    const u = {} as Record<'owner' | 'admin' | 'member' | 'former' | 'stranger' | 'extra', ChatUser>
    let revokedKey: string

    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      for (const r of ['owner', 'admin', 'member', 'former', 'stranger', 'extra'] as const) u[r] = await server.user(r)
      revokedKey = (await createAdminKey(db.store, 'revoked')).key
      await revokeAdminKey(db.store, 'revoked')
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    async function fixture(kind: 'group' | 'public'): Promise<Fixture> {
      const { owner, admin, member, former, extra } = u
      let id: string
      if (kind === 'group') {
        const d = await owner.call('POST', '/chat/Dialog', { body: { type: 2, name: 'g', occupants_ids: [admin.id, member.id, former.id, extra.id], admins_ids: [admin.id] } })
        expect(d.status, d.text).toBe(201)
        id = d.json._id
        expect((await former.call('DELETE', `/chat/Dialog/${id}`)).status).toBe(200)
      } else {
        const d = await owner.call('POST', '/chat/Dialog', { body: { type: 4, name: 'p' } })
        expect(d.status, d.text).toBe(201)
        id = d.json._id
        for (const x of [admin, member, former]) expect((await x.call('POST', `/chat/Dialog/${id}/subscribe`)).status).toBe(200)
        expect((await owner.call('PUT', `/chat/Dialog/${id}/admins`, { body: { push_all: { admins_ids: [admin.id] } } })).status).toBe(200)
        expect((await former.call('DELETE', `/chat/Dialog/${id}/subscribe`)).status).toBe(200)
      }
      const m = await owner.call('POST', '/chat/Message', { body: { chat_dialog_id: id, message: 'from the owner' } })
      expect(m.status, m.text).toBe(201)
      return { id, msg: m.json._id, extra: extra.id, admin: admin.id }
    }

    /** A session of its own, so that DELETE /session in one cell signs nobody else out. */
    async function freshToken(user: ChatUser): Promise<string> {
      const s = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login: user.login, password: 'password1' } } })
      expect(s.status).toBe(201)
      return s.json.session.token
    }

    it('has a row for every route the app serves, and no row for a route it does not serve', () => {
      const served = routesOf(server.app).filter((r) => !isDocsUi(r))
      expect(served.length).toBeGreaterThan(30)
      const rows = [...Object.keys(CHAT), ...Object.keys(ADMIN), ...PUBLIC]
      expect([...served].sort()).toEqual([...rows].sort())
    })

    it('public routes answer without credentials', async () => {
      for (const route of PUBLIC) {
        const [, path] = route.split(' ')
        expect((await server.anonymous('GET', path!)).status, route).toBe(200)
      }
    })

    for (const [route, { request, expect: want }] of Object.entries(ADMIN)) {
      it(`${route}: no key, revoked key, valid key`, async () => {
        const got: string[] = []
        for (const who of ADMIN_WHO) {
          const { id } = await fixture('group')
          const r = request(id)
          const key = who === 'none' ? null : who === 'revoked' ? revokedKey : server.key
          got.push(String((await server.call(r.method, r.path, { key, ...(r.body ? { body: r.body } : {}) })).status))
        }
        expect(Object.fromEntries(ADMIN_WHO.map((w, i) => [w, got[i]]))).toEqual(Object.fromEntries(ADMIN_WHO.map((w, i) => [w, want.split(' ')[i]])))
      })
    }

    for (const [route, cases] of Object.entries(CHAT)) {
      for (const c of cases) {
        it(`${route}${c.variant ? ` (${c.variant})` : ''}: ${WHO.join(', ')}`, async () => {
          const got: Record<string, string> = {}
          for (const who of WHO) {
            const fx = await fixture(c.dialog ?? 'group')
            const me = who === 'none' || who === 'bad' ? null : u[who]
            const r = c.request(fx, me)
            const headers: Record<string, string> = {}
            if (c.authKey) {
              if (who === 'bad') headers['CB-AuthKey'] = 'not-the-auth-key'
              else if (who !== 'none') headers['CB-AuthKey'] = AUTH_KEY
            } else if (who === 'bad') headers['CB-Token'] = 'f'.repeat(40)
            else if (me) headers['CB-Token'] = route === 'DELETE /session' ? await freshToken(me) : me.token
            const answer = await send(server.url + r.path, r.method, { headers, ...(r.body ? { body: r.body } : {}) })
            got[who] = route === 'DELETE /chat/Message/:message_id' ? deletedOutcome(answer) : String(answer.status)
          }
          expect(got).toEqual(Object.fromEntries(WHO.map((w, i) => [w, c.expect.split(' ')[i]])))
        })
      }
    }
  })
}
