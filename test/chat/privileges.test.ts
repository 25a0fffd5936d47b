// The spec's "Roles and privileges" table, transcribed here (not imported from the code), walked
// through real HTTP: for each dialog type and role, each action is done on a fresh dialog and the
// answer checked. "hidden" means 404 / NotFound, answered exactly like a dialog that does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

type Role = 'owner' | 'admin' | 'member' | 'outsider'
type Outcome = 'yes' | 'no' | 'hidden' | 'n/a'
const ACTIONS = [
  'read',
  'send',
  'delete own message for all',
  'delete a message for me',
  "delete another's message for all",
  'delete dialog for me',
  'add occupants',
  'remove occupants',
  'change name, photo, description',
  'pin messages',
  'add admins',
  'delete dialog for all',
] as const
type Action = (typeof ACTIONS)[number]

// Row by row from the spec. Y yes, N refused (403 / WrongPermissions), H hidden (404), - not applicable.
const SPEC: Record<number, Partial<Record<Role, string>>> = {
  // read send ownAll forMe anyAll dlgMe addOcc rmOcc info pin admins dlgAll
  3: { owner: 'Y Y Y Y N Y - - N N - Y', member: 'Y Y Y Y N Y - - N N - N', outsider: 'H H - H H H - - H H - H' },
  2: {
    owner: 'Y Y Y Y Y Y Y Y Y Y Y Y',
    admin: 'Y Y Y Y Y Y Y Y Y Y N N',
    member: 'Y Y Y Y N Y Y N Y N N N',
    outsider: 'H H - H H H H H H H H H',
  },
  4: {
    owner: 'Y Y Y Y Y Y - - Y Y Y Y',
    admin: 'Y Y Y Y Y Y - - Y Y N N',
    member: 'Y Y Y Y N Y - - N N N N',
    outsider: 'N N - H H H - - N N N N',
  },
  // Broadcast: regular users only receive and delete the dialog for themselves; every user is one.
  1: { owner: 'Y Y Y Y Y Y - - Y Y Y Y', admin: 'Y Y Y Y Y Y - - Y Y N N', member: 'Y N - N N Y - - N N N N' },
}
const OUTCOME: Record<string, Outcome> = { Y: 'yes', N: 'no', H: 'hidden', '-': 'n/a' }

for (const kind of STORES) {
  describe(`roles and privileges, per the spec's table (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    const u = {} as Record<Role | 'eve', ChatUser>
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      for (const r of ['owner', 'admin', 'member', 'outsider', 'eve'] as const) u[r] = await server.user(r)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    /** A fresh dialog of `type` with its cast, and a message from someone other than `actor`. */
    async function fixture(type: number, actor: Role) {
      const { owner, admin, member, eve } = u
      let id: string
      if (type === 3) {
        id = (await owner.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: [member.id] } })).json._id
      } else if (type === 2) {
        id = (await owner.call('POST', '/chat/Dialog', { body: { type: 2, name: 'g', occupants_ids: [admin.id, member.id, eve.id], admins_ids: [admin.id] } })).json._id
      } else {
        id = (await owner.call('POST', '/chat/Dialog', { body: { type, name: 'x' } })).json._id
        if (type === 4) for (const x of [admin, member, eve]) await x.call('POST', `/chat/Dialog/${id}/subscribe`)
        expect((await owner.call('PUT', `/chat/Dialog/${id}/admins`, { body: { push_all: { admins_ids: [admin.id] } } })).status).toBe(200)
      }
      // Someone else's message: the owner's, or (for the owner) the admin's or, in a private dialog, the other's.
      const otherSender = actor === 'owner' ? (type === 3 ? member : admin) : owner
      const other = await otherSender.call('POST', '/chat/Message', { body: { chat_dialog_id: id, message: 'other' } })
      expect(other.status, other.text).toBe(201)
      return { id, other: other.json._id as string }
    }

    const status = (s: number): Outcome => (s === 200 || s === 201 ? 'yes' : s === 403 ? 'no' : s === 404 ? 'hidden' : (`status ${s}` as Outcome))
    const deleted = (json: { SuccessfullyDeleted: { ids: string[] }; WrongPermissions: { ids: string[] }; NotFound: { ids: string[] } }): Outcome =>
      json.SuccessfullyDeleted.ids.length ? 'yes' : json.WrongPermissions.ids.length ? 'no' : json.NotFound.ids.length ? 'hidden' : ('none' as Outcome)

    async function attempt(type: number, role: Role, action: Action): Promise<Outcome> {
      const me = u[role]
      const { id, other } = await fixture(type, role)
      switch (action) {
        case 'read':
          return status((await me.call('GET', `/chat/Message?chat_dialog_id=${id}`)).status)
        case 'send':
          return status((await me.call('POST', '/chat/Message', { body: { chat_dialog_id: id, message: 'hi' } })).status)
        case 'delete own message for all': {
          const mine = await me.call('POST', '/chat/Message', { body: { chat_dialog_id: id, message: 'mine' } })
          return deleted((await me.call('DELETE', `/chat/Message/${mine.json._id}?force=1`)).json)
        }
        case 'delete a message for me':
          return deleted((await me.call('DELETE', `/chat/Message/${other}`)).json)
        case "delete another's message for all":
          return deleted((await me.call('DELETE', `/chat/Message/${other}?force=1`)).json)
        case 'delete dialog for me':
          return status((await me.call('DELETE', `/chat/Dialog/${id}`)).status)
        case 'delete dialog for all':
          return status((await me.call('DELETE', `/chat/Dialog/${id}?force=1`)).status)
        case 'add occupants':
          return status((await me.call('PUT', `/chat/Dialog/${id}`, { body: { push_all: { occupants_ids: [u.outsider.id === me.id ? u.eve.id : u.outsider.id] } } })).status)
        case 'remove occupants':
          return status((await me.call('PUT', `/chat/Dialog/${id}`, { body: { pull_all: { occupants_ids: [u.eve.id] } } })).status)
        case 'change name, photo, description':
          return status((await me.call('PUT', `/chat/Dialog/${id}`, { body: { name: 'new', photo: 'p.png', description: 'd' } })).status)
        case 'pin messages':
          return status((await me.call('PUT', `/chat/Dialog/${id}`, { body: { push_all: { pinned_messages_ids: [other] } } })).status)
        case 'add admins':
          return status((await me.call('PUT', `/chat/Dialog/${id}/admins`, { body: { push_all: { admins_ids: [u.eve.id] } } })).status)
      }
    }

    for (const [type, roles] of Object.entries(SPEC)) {
      for (const [role, row] of Object.entries(roles)) {
        const expected = row.split(' ').map((c) => OUTCOME[c])
        it(`type ${type}, ${role}`, async () => {
          const got: Record<string, Outcome> = {}
          const want: Record<string, Outcome> = {}
          for (const [i, action] of ACTIONS.entries()) {
            if (expected[i] === 'n/a') continue
            want[action] = expected[i] as Outcome
            got[action] = await attempt(Number(type), role as Role, action)
          }
          expect(got).toEqual(want)
        })
      }
    }

    it('answers a hidden dialog exactly like a missing one', async () => {
      const { id } = await fixture(2, 'member')
      const missing = 'ffffffffffffffffffffffff'
      for (const [method, path, body] of [
        ['GET', `/chat/Message?chat_dialog_id=${'@'}`, undefined],
        ['PUT', '/chat/Dialog/@', { name: 'x' }],
        ['DELETE', '/chat/Dialog/@', undefined],
        ['GET', '/chat/Dialog/@/notifications', undefined],
        ['GET', '/chat/Dialog/@/occupants', undefined],
        ['POST', '/chat/Dialog/@/subscribe', undefined],
        ['DELETE', '/chat/Dialog/clearHistory/@', undefined],
      ] as const) {
        const hidden = await u.outsider.call(method, path.replace('@', id), body ? { body } : {})
        const absent = await u.outsider.call(method, path.replace('@', missing), body ? { body } : {})
        expect([hidden.status, hidden.json], `${method} ${path}`).toEqual([absent.status, absent.json])
        expect(hidden.status).toBe(404)
      }
    })
  })
}
