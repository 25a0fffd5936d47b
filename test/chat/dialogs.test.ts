// /chat/Dialog through real HTTP: create (each type's rules), retrieve (filters, sort, count, per-user
// fields), update, delete for me / for everyone / several, subscribe, admins, notifications, occupants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`chat dialogs (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser
    let cat: ChatUser
    let dan: ChatUser
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
      cat = await server.user('cat')
      dan = await server.user('dan')
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const group = async (owner: ChatUser, others: ChatUser[], extra: object = {}) => {
      const r = await owner.call('POST', '/chat/Dialog', { body: { type: 2, name: 'Night party', occupants_ids: others.map((u) => u.id), ...extra } })
      expect(r.status).toBe(201)
      return r.json
    }

    it('needs a session', async () => {
      expect((await server.anonymous('GET', '/chat/Dialog')).status).toBe(401)
      expect((await server.anonymous('POST', '/chat/Dialog', { body: { type: 2 } })).status).toBe(401)
    })

    it('creates a group dialog with the documented shape; the creator is added', async () => {
      const d = await group(ann, [bob, cat], { extensions: { location: 'Sun bar', floor: 3 }, permissions: { allow_preview: true } })
      expect(d).toMatchObject({
        type: 2,
        name: 'Night party',
        user_id: ann.id,
        occupants_ids: [ann.id, bob.id, cat.id],
        admins_ids: [],
        pinned_messages_ids: [],
        last_message: null,
        last_message_status: null,
        unread_messages_count: 0,
        is_muted: false,
        extensions: { location: 'Sun bar', floor: '3' },
        permissions: { allow_preview: true },
      })
      expect(d._id).toMatch(/^[0-9a-f]{24}$/)
      expect(d.xmpp_room_jid).toContain(d._id)
      expect(d).not.toHaveProperty('silent_ids')
      expect(d).not.toHaveProperty('deleted_ids')
    })

    it('accepts a form body with a comma list of occupants', async () => {
      const r = await ann.call('POST', '/chat/Dialog', { body: `type=2&name=Form&occupants_ids=${bob.id},${cat.id}` })
      expect(r.status).toBe(201)
      expect(r.json.occupants_ids).toEqual([ann.id, bob.id, cat.id])
    })

    it('checks each type rules and names the parameter', async () => {
      const cases: Array<[object, string]> = [
        [{ type: 2, occupants_ids: [bob.id] }, 'name'],
        [{ type: 2, name: 'x' }, 'occupants_ids'],
        [{ type: 3, occupants_ids: [bob.id, cat.id] }, 'occupants_ids'],
        [{ type: 2, name: 'x', occupants_ids: [999999] }, 'occupants_ids'],
        [{ type: 2, name: 'x', occupants_ids: ['abc'] }, 'occupants_ids'],
        [{ type: 4, name: 'x', occupants_ids: [bob.id] }, 'occupants_ids'],
        [{ type: 2, name: 'x', occupants_ids: [bob.id], admins_ids: [cat.id] }, 'admins_ids'],
        [{ type: 1, name: 'x', admins_ids: [1, 2, 3, 4, 5, 6] }, 'admins_ids'],
      ]
      for (const [body, param] of cases) {
        const r = await ann.call('POST', '/chat/Dialog', { body })
        expect(r.status, JSON.stringify(body)).toBe(422)
        expect(r.json.errors, JSON.stringify(body)).toHaveProperty([param])
      }
      const badType = await ann.call('POST', '/chat/Dialog', { body: { type: 7, name: 'x' } })
      expect(badType.status).toBe(422)
      expect(badType.json.errors).toHaveProperty('type')
      const unknown = await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'x', occupants_ids: [bob.id], colour: 'red' } })
      expect(unknown.status).toBe(422)
      expect(unknown.json.errors).toHaveProperty('colour')
    })

    it('keeps one private dialog per pair, whoever creates it', async () => {
      const first = await dan.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: [cat.id], name: 'ignored' } })
      expect(first.status).toBe(201)
      expect(first.json).toMatchObject({ type: 3, name: null, occupants_ids: [dan.id, cat.id], xmpp_room_jid: null })
      const again = await cat.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: `${dan.id}` } })
      expect(again.status).toBe(200)
      expect(again.json._id).toBe(first.json._id)
    })

    it("retrieves the user's dialogs only, with filters, sort, count and paging", async () => {
      const mine = await bob.call('GET', '/chat/Dialog')
      expect(mine.status).toBe(200)
      expect(mine.json.items.every((d: { occupants_ids: number[] }) => d.occupants_ids.includes(bob.id))).toBe(true)
      expect(mine.json.total_entries).toBe(mine.json.items.length)
      const dans = await dan.call('GET', '/chat/Dialog')
      expect(dans.json.items.map((d: { type: number }) => d.type)).toEqual([3])
      const groups = await bob.call('GET', '/chat/Dialog?type=2&sort_asc=created_at&limit=1')
      expect(groups.json.items).toHaveLength(1)
      expect(groups.json.items[0].name).toBe('Night party')
      const ext = await bob.call('GET', '/chat/Dialog', { body: 'extensions[location]=Sun bar' })
      expect(ext.json.items.map((d: { name: string }) => d.name)).toEqual(['Night party'])
      const count = await bob.call('GET', '/chat/Dialog?count=1&type[in]=2,3')
      expect(count.json).toEqual({ items: { count: 2 } })
      const named = await bob.call('GET', '/chat/Dialog?name[ctn]=Form')
      expect(named.json.items).toHaveLength(1)
      const bad = await bob.call('GET', '/chat/Dialog?occupants=1&sort_desc=name')
      expect(bad.status).toBe(400)
      expect(Object.keys(bad.json.errors).sort()).toEqual(['occupants'])
      const badSort = await bob.call('GET', '/chat/Dialog?sort_desc=name')
      expect(badSort.json.errors).toHaveProperty('sort_desc')
    })

    it('sorts dialogs without messages last by last_message_date_sent, both ways, on both stores', async () => {
      const eve = await server.user('eve')
      const quiet = (await eve.call('POST', '/chat/Dialog', { body: { type: 2, name: 'quiet', occupants_ids: [ann.id] } })).json._id
      const busy = (await eve.call('POST', '/chat/Dialog', { body: { type: 2, name: 'busy', occupants_ids: [ann.id] } })).json._id
      await eve.call('POST', '/chat/Message', { body: { chat_dialog_id: busy, message: 'hi' } })
      for (const dir of ['sort_asc', 'sort_desc']) {
        const r = await eve.call('GET', `/chat/Dialog?${dir}=last_message_date_sent`)
        expect(r.json.items.map((d: { _id: string }) => d._id), dir).toEqual([busy, quiet])
      }
    })

    it('lists the latest message first by default; muting does not reorder', async () => {
      const fay = await server.user('fay')
      const older = (await fay.call('POST', '/chat/Dialog', { body: { type: 2, name: 'older', occupants_ids: [ann.id] } })).json._id
      const newer = (await fay.call('POST', '/chat/Dialog', { body: { type: 2, name: 'newer', occupants_ids: [ann.id] } })).json._id
      const empty = (await fay.call('POST', '/chat/Dialog', { body: { type: 2, name: 'empty', occupants_ids: [ann.id] } })).json._id
      await fay.call('POST', '/chat/Message', { body: { chat_dialog_id: older, message: 'first' } })
      // A second later: date_sent is in seconds.
      await new Promise((r) => setTimeout(r, 1100))
      await fay.call('POST', '/chat/Message', { body: { chat_dialog_id: newer, message: 'second' } })
      await fay.call('PUT', `/chat/Dialog/${older}/notifications`, { body: { enabled: 0 } })
      const ids = (await fay.call('GET', '/chat/Dialog')).json.items.map((d: { _id: string }) => d._id)
      expect(ids).toEqual([newer, older, empty])
    })

    it('brings back a private dialog deleted for me when it is created again', async () => {
      const gil = await server.user('gil')
      const p = (await gil.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: [ann.id] } })).json._id
      await gil.call('DELETE', `/chat/Dialog/${p}`)
      expect((await gil.call('GET', `/chat/Dialog?_id=${p}`)).json.items).toEqual([])
      const again = await gil.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: [ann.id] } })
      expect([again.status, again.json._id]).toEqual([200, p])
      expect((await gil.call('GET', `/chat/Dialog?_id=${p}`)).json.items).toHaveLength(1)
    })

    it('updates by role: members rename and add, admins remove and pin, the owner manages admins', async () => {
      const d = await group(ann, [bob, cat])
      const rename = await bob.call('PUT', `/chat/Dialog/${d._id}`, { body: { name: 'Crossfit2', photo: 'gym2.jpeg', description: 'strong', push_all: { occupants_ids: [dan.id] } } })
      expect(rename.status).toBe(200)
      expect(rename.json).toMatchObject({ name: 'Crossfit2', photo: 'gym2.jpeg', description: 'strong', occupants_ids: [ann.id, bob.id, cat.id, dan.id] })
      expect((await bob.call('PUT', `/chat/Dialog/${d._id}`, { body: { pull_all: { occupants_ids: [dan.id] } } })).status).toBe(403)
      expect((await bob.call('PUT', `/chat/Dialog/${d._id}`, { body: { push_all: { admins_ids: [cat.id] } } })).status).toBe(403)
      const admins = await ann.call('PUT', `/chat/Dialog/${d._id}/admins`, { body: { push_all: { admins_ids: [bob.id] } } })
      expect(admins.status).toBe(200)
      expect(admins.json.admins_ids).toEqual([bob.id])
      const removed = await bob.call('PUT', `/chat/Dialog/${d._id}`, { body: { pull_all: { occupants_ids: [dan.id] } } })
      expect(removed.status).toBe(200)
      expect(removed.json.occupants_ids).toEqual([ann.id, bob.id, cat.id])
      // Dan no longer sees it, and cannot tell it exists.
      const gone = await dan.call('PUT', `/chat/Dialog/${d._id}`, { body: { name: 'x' } })
      expect(gone.status).toBe(404)
      expect(gone.json).toEqual((await dan.call('PUT', '/chat/Dialog/ffffffffffffffffffffffff', { body: { name: 'x' } })).json)
      const notAdmin = await ann.call('PUT', `/chat/Dialog/${d._id}/admins`, { body: { push_all: { admins_ids: [dan.id] } } })
      expect(notAdmin.status).toBe(422)
      const ext = await ann.call('PUT', `/chat/Dialog/${d._id}`, { body: { extensions: null, permissions: { allow_preview: false } } })
      expect(ext.json).toMatchObject({ extensions: null, permissions: { allow_preview: false } })
      expect((await ann.call('PUT', `/chat/Dialog/${d._id}`, { body: { push_all: { pinned_messages_ids: ['ffffffffffffffffffffffff'] } } })).status).toBe(422)
      expect((await ann.call('PUT', `/chat/Dialog/${d._id}`, { body: { type: 3 } })).status).toBe(422)
      expect((await ann.call('PUT', '/chat/Dialog/nope', { body: { name: 'x' } })).status).toBe(400)
    })

    it('refuses to rename a private dialog or change its occupants', async () => {
      const p = (await dan.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: [ann.id] } })).json
      expect((await dan.call('PUT', `/chat/Dialog/${p._id}`, { body: { name: 'ours' } })).status).toBe(403)
      expect((await dan.call('PUT', `/chat/Dialog/${p._id}`, { body: { push_all: { occupants_ids: [bob.id] } } })).status).toBe(422)
      expect((await dan.call('PUT', `/chat/Dialog/${p._id}/admins`, { body: { push_all: { admins_ids: [ann.id] } } })).status).toBe(422)
    })

    it('mutes and unmutes through notifications (is_muted)', async () => {
      const d = await group(ann, [bob])
      const off = await bob.call('PUT', `/chat/Dialog/${d._id}/notifications`, { body: { enabled: '0' } })
      expect(off.json).toEqual({ notifications: { enabled: 0 } })
      expect((await bob.call('GET', `/chat/Dialog/${d._id}/notifications`)).json).toEqual({ notifications: { enabled: 0 } })
      const listed = (await bob.call('GET', `/chat/Dialog?_id=${d._id}`)).json.items[0]
      expect(listed.is_muted).toBe(true)
      expect((await ann.call('GET', `/chat/Dialog?_id=${d._id}`)).json.items[0].is_muted).toBe(false)
      await bob.call('PUT', `/chat/Dialog/${d._id}/notifications`, { body: { enabled: 1 } })
      expect((await bob.call('GET', `/chat/Dialog/${d._id}/notifications`)).json.notifications.enabled).toBe(1)
      expect((await bob.call('PUT', `/chat/Dialog/${d._id}/notifications`, { body: { enabled: 5 } })).status).toBe(422)
      expect((await dan.call('GET', `/chat/Dialog/${d._id}/notifications`)).status).toBe(404)
    })

    it('subscribes to and unsubscribes from public dialogs, counting occupants', async () => {
      const pub = await ann.call('POST', '/chat/Dialog', { body: { type: 4, name: 'Public chat', description: 'good news' } })
      expect(pub.status).toBe(201)
      expect(pub.json).toMatchObject({ occupants_count: 1, occupants_ids: [], unread_messages_count: null })
      const id = pub.json._id
      expect((await bob.call('GET', `/chat/Dialog?_id=${id}`)).json.items).toEqual([])
      const sub = await bob.call('POST', `/chat/Dialog/${id}/subscribe`)
      expect(sub.status).toBe(200)
      expect(sub.json.occupants_count).toBe(2)
      expect((await bob.call('POST', `/chat/Dialog/${id}/subscribe`)).json.occupants_count).toBe(2)
      expect((await bob.call('GET', `/chat/Dialog?_id=${id}`)).json.items).toHaveLength(1)
      const occ = await cat.call('GET', `/chat/Dialog/${id}/occupants`)
      expect(occ.status).toBe(403)
      await cat.call('POST', `/chat/Dialog/${id}/subscribe`)
      const list = await cat.call('GET', `/chat/Dialog/${id}/occupants?limit=2`)
      expect(list.status).toBe(200)
      expect(list.json.items.map((u: { id: number }) => u.id)).toEqual([ann.id, bob.id])
      expect((await cat.call('GET', `/chat/Dialog/${id}/occupants?skip=2`)).json.items.map((u: { id: number }) => u.id)).toEqual([cat.id])
      expect((await cat.call('GET', `/chat/Dialog/${id}/occupants?limit=0`)).status).toBe(400)
      expect((await bob.call('DELETE', `/chat/dialog/${id}/subscribe`)).status).toBe(200)
      expect((await ann.call('GET', `/chat/Dialog?_id=${id}`)).json.items[0].occupants_count).toBe(2)
      const g = await group(ann, [bob])
      expect((await bob.call('POST', `/chat/Dialog/${g._id}/subscribe`)).status).toBe(422)
      expect((await dan.call('POST', `/chat/Dialog/${g._id}/subscribe`)).status).toBe(404)
    })

    it('deletes for me (leaving a group), for everyone with force=1, and several at once', async () => {
      const d = await group(ann, [bob, cat])
      expect((await bob.call('DELETE', `/chat/Dialog/${d._id}?force=1`)).status).toBe(403)
      expect((await bob.call('DELETE', `/chat/Dialog/${d._id}`)).status).toBe(200)
      expect((await bob.call('GET', `/chat/Dialog?_id=${d._id}`)).json.items).toEqual([])
      const left = (await ann.call('GET', `/chat/Dialog?_id=${d._id}`)).json.items[0]
      expect(left.occupants_ids).toEqual([ann.id, cat.id])
      expect((await bob.call('DELETE', `/chat/Dialog/${d._id}`)).status).toBe(404)

      const e = await group(ann, [bob])
      const f = await group(bob, [ann])
      const several = await bob.call('DELETE', `/chat/Dialog/${e._id},${f._id},${d._id},ffffffffffffffffffffffff?force=1`)
      expect(several.status).toBe(200)
      expect(several.json).toEqual({
        SuccessfullyDeleted: { ids: [f._id] },
        NotFound: { ids: [d._id, 'ffffffffffffffffffffffff'] },
        WrongPermissions: { ids: [e._id] },
      })
      expect((await ann.call('GET', `/chat/Dialog?_id=${f._id}`)).json.items).toEqual([])
      expect((await ann.call('DELETE', `/chat/Dialog/${e._id}?force=1`)).status).toBe(200)
      expect((await ann.call('DELETE', `/chat/Dialog/${e._id}?force=2`)).status).toBe(400)
    })

    it('refuses an extension key that no filter could name, on create and update', async () => {
      const rule = ['keys are letters, digits and _ (at most 64), as filters name them']
      const created = await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'ext', occupants_ids: [bob.id], extensions: { 'the location': 'x' } } })
      expect(created.status, created.text).toBe(422)
      expect(created.json.errors).toEqual({ 'extensions.the location': rule })
      const d = await group(ann, [bob], { extensions: { location: 'x' } })
      const updated = await ann.call('PUT', `/chat/Dialog/${d._id}`, { body: { name: 'renamed', extensions: { 'a.b': 'y' } } })
      expect(updated.status, updated.text).toBe(422)
      expect(updated.json.errors).toEqual({ 'extensions.a.b': rule })
      const listed = await ann.call('GET', '/chat/Dialog', { body: 'extensions[location]=x' })
      expect(listed.json.items.map((i: { _id: string; name: string }) => [i._id, i.name])).toEqual([[d._id, d.name]])
    })
  })
}
