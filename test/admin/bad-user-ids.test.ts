// Dialog Update (PUT /admin/chat/{dialog_id}) and user ids, through real HTTP on both stores: a
// value that cannot be a user id (not a positive 32-bit integer) is a 422 naming the field, in the
// chat API's words; an id of a user this server does not know is still taken (docs/api-notes.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { addMembers } from '../../src/store/members.ts'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { dialogItem, iso } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const B = 1645095700

for (const kind of STORES) {
  describe(`Dialog Update refuses what cannot be a user id (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser
    const imported = dialogItem(B, { type: 2, name: 'imported', user_id: 1, occupants_ids: [1, 2], admins_ids: [1], updated_at: iso(B + 5) })

    const put = (id: unknown, body: object | string, contentType?: string) => server.call('PUT', `/admin/chat/${id as string}`, { body, contentType })
    const listed = async (id: unknown): Promise<Item> => (await server.get(`/admin/chat/list?_id=${id as string}`)).json.items[0] as Item

    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
      await importValues(db.store, 'dialogs', [imported])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('answers 422 naming the field for ids that are not positive 32-bit integers, and changes nothing', async () => {
      const before = await listed(imported._id)
      const cases: Array<[string, string, RegExp]> = [
        ['{"push_all": {"occupants_ids": [-1]}}', 'push_all.occupants_ids', /-1 is not a user id/],
        ['{"push_all": {"occupants_ids": [0]}}', 'push_all.occupants_ids', /0 is not a user id/],
        ['{"push_all": {"occupants_ids": ["-1"]}}', 'push_all.occupants_ids', /^-1 is not a user id/],
        ['{"push_all": {"occupants_ids": ["999999999999999"]}}', 'push_all.occupants_ids', /999999999999999 is not a user id/],
        ['{"push_all": {"occupants_ids": [1e300]}}', 'push_all.occupants_ids', /1e\+300 is not a user id/],
        ['{"push_all": {"occupants_ids": [2147483648]}}', 'push_all.occupants_ids', /2147483648 is not a user id/],
        ['{"push_all": {"occupants_ids": [3, 99999999999]}}', 'push_all.occupants_ids', /99999999999 is not a user id/],
        ['{"push_all": {"admins_ids": [1e20]}}', 'push_all.admins_ids', /100000000000000000000 is not a user id/],
        ['{"pull_all": {"occupants_ids": [9223372036854775808]}}', 'pull_all.occupants_ids', /is not a user id/],
        ['{"pull_all": {"admins_ids": [-5]}}', 'pull_all.admins_ids', /-5 is not a user id/],
        ['{"user_id": 1e300, "is_muted": true}', 'user_id', /1e\+300 is not a user id/],
        ['{"user_id": 0, "is_muted": false}', 'user_id', /0 is not a user id/],
        ['{"user_id": 3000000000, "is_muted": true}', 'user_id', /3000000000 is not a user id/],
      ]
      for (const [body, field, says] of cases) {
        const r = await put(imported._id, body, 'application/json')
        expect(r.status, `${body}: ${r.text}`).toBe(422)
        expect(Object.keys(r.json.errors), `${body}: ${r.text}`).toContain(field)
        expect(r.json.errors[field].join(' '), body).toMatch(says)
      }
      expect(await listed(imported._id)).toEqual(before)
    })

    it('takes ids of users this server does not know: imported dialogs name users of elsewhere', async () => {
      const r = await put(imported._id, { push_all: { occupants_ids: [2147483647, '77'], admins_ids: [2] }, user_id: 2147483647, is_muted: true })
      expect(r.status, r.text).toBe(200)
      expect(r.json).toMatchObject({ occupants_ids: [1, 2, 2147483647, 77], admins_ids: [1, 2], silent_ids: [2147483647] })
      expect(await listed(imported._id)).toEqual(r.json)
    })

    it("keeps a chat dialog's occupants readable: no id beyond 32 bits gets into its membership", async () => {
      const dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'g', occupants_ids: [bob.id] } })).json._id as string
      const pushed = await put(dialog, { push_all: { occupants_ids: [99999999999] } })
      expect(pushed.status, pushed.text).toBe(422)
      const r = await ann.call('GET', `/chat/Dialog/${dialog}/occupants`)
      expect(r.status, r.text).toBe(200)
      expect(r.json.items.map((u: Item) => u.id)).toEqual([ann.id, bob.id])
    })

    it('reads occupants past a membership row of an id beyond 32 bits written before ids were checked', async () => {
      const dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'old', occupants_ids: [bob.id] } })).json._id as string
      await addMembers(db.store, dialog, [99999999999, 2 ** 53 - 1], Date.now())
      const r = await ann.call('GET', `/chat/Dialog/${dialog}/occupants`)
      expect(r.status, r.text).toBe(200)
      expect(r.json.items.map((u: Item) => u.id)).toEqual([ann.id, bob.id])
    })
  })
}
