// /chat/Message through real HTTP: send (to a dialog, or to a recipient: the private dialog appears),
// retrieve with filters and mark_as_read, unread counters, read / delivered / edit, mark all, delete
// for me / for everyone, reactions, views, preview, and the dialog's last_message*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`chat messages (${kind.name})`, () => {
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

    const group = async (owner: ChatUser, others: ChatUser[], extra: object = {}) =>
      (await owner.call('POST', '/chat/Dialog', { body: { type: 2, name: 'g', occupants_ids: others.map((u) => u.id), ...extra } })).json._id as string
    const send = async (u: ChatUser, body: object) => {
      const r = await u.call('POST', '/chat/Message', { body })
      expect(r.status, r.text).toBe(201)
      return r.json
    }
    const dialogOf = async (u: ChatUser, id: string) => (await u.call('GET', `/chat/Dialog?_id=${id}`)).json.items[0]
    const unread = async (u: ChatUser, id: string) => (await dialogOf(u, id))?.unread_messages_count

    it('sends to a recipient: the private dialog is created on the first message, then reused', async () => {
      const m = await send(ann, { recipient_id: dan.id, message: 'hi dan', attachments: { 3: { type: 'image', id: '3004' }, 7: { type: 'image', id: '24504' } }, country: 'USA', markable: '1' })
      expect(m).toMatchObject({ message: 'hi dan', sender_id: ann.id, recipient_id: dan.id, read_ids: [ann.id], delivered_ids: [ann.id], views_count: 0, read: 0, country: 'USA', markable: '1' })
      expect(m.attachments).toEqual([{ type: 'image', id: '3004' }, { type: 'image', id: '24504' }])
      expect(m.date_sent).toBe(Math.floor(Date.parse(m.created_at) / 1000))
      const again = await send(ann, { recipient_id: dan.id, message: 'again' })
      expect(again.chat_dialog_id).toBe(m.chat_dialog_id)
      const d = await dialogOf(dan, m.chat_dialog_id)
      expect(d).toMatchObject({ type: 3, occupants_ids: [ann.id, dan.id], last_message: 'again', last_message_id: again._id, last_message_user_id: ann.id, unread_messages_count: 2, last_message_status: null })
      expect((await dialogOf(ann, m.chat_dialog_id)).last_message_status).toBe('sent')
      const viaDialog = await send(dan, { chat_dialog_id: m.chat_dialog_id, message: 'yo' })
      expect(viaDialog.recipient_id).toBe(ann.id)
    })

    it('accepts a form body, and names bad input', async () => {
      const d = await group(ann, [bob])
      const r = await ann.call('POST', '/chat/Message', { body: `chat_dialog_id=${d}&message=form&attachments[0][type]=video&attachments[0][id]=9&mood=ok` })
      expect(r.status).toBe(201)
      expect(r.json).toMatchObject({ message: 'form', attachments: [{ type: 'video', id: '9' }], mood: 'ok' })
      const cases: Array<[object, string, number]> = [
        [{ message: 'x' }, 'chat_dialog_id', 422],
        [{ chat_dialog_id: d }, 'message', 422],
        [{ chat_dialog_id: d, message: 'x', sender_id: 5 }, 'sender_id', 422],
        [{ chat_dialog_id: d, message: 'x', attachments: 'img' }, 'attachments', 422],
        [{ recipient_id: 999999, message: 'x' }, 'recipient_id', 422],
        [{ recipient_id: ann.id, message: 'x' }, 'recipient_id', 422],
        [{ chat_dialog_id: 'nope', message: 'x' }, 'chat_dialog_id', 422],
      ]
      for (const [body, param, status] of cases) {
        const res = await ann.call('POST', '/chat/Message', { body })
        expect(res.status, JSON.stringify(body)).toBe(status)
        expect(res.json.errors, JSON.stringify(body)).toHaveProperty([param])
      }
      expect((await dan.call('POST', '/chat/Message', { body: { chat_dialog_id: d, message: 'x' } })).status).toBe(404)
    })

    it('counts unread per user and marks read on retrieve (or not, with mark_as_read=0)', async () => {
      const d = await group(ann, [bob, cat])
      for (let i = 1; i <= 3; i++) await send(ann, { chat_dialog_id: d, message: `m${i}` })
      await send(bob, { chat_dialog_id: d, message: 'bob says' })
      expect(await unread(ann, d)).toBe(1)
      expect(await unread(bob, d)).toBe(3)
      expect(await unread(cat, d)).toBe(4)
      const peek = await cat.call('GET', `/chat/Message?chat_dialog_id=${d}&mark_as_read=0`)
      expect(peek.json.items.map((m: { message: string }) => m.message)).toEqual(['m1', 'm2', 'm3', 'bob says'])
      expect(await unread(cat, d)).toBe(4)
      const page = await cat.call('GET', '/chat/Message', { body: `chat_dialog_id=${d}&limit=2` })
      expect(page.json).toMatchObject({ skip: 0, limit: 2 })
      expect(page.json.items.map((m: { message: string }) => m.message)).toEqual(['m1', 'm2'])
      expect(await unread(cat, d)).toBe(2)
      const total = await cat.call('GET', `/chat/Message/unread?chat_dialog_ids=${d}`)
      expect(total.json[d]).toBe(2)
      expect(total.json.total).toBeGreaterThanOrEqual(2)
      const after = await cat.call('GET', `/chat/Message?chat_dialog_id=${d}&mark_as_read=0`)
      expect(after.json.items.map((m: { read: number }) => m.read)).toEqual([1, 1, 0, 0])
      // Reading again changes nothing.
      await cat.call('GET', `/chat/Message?chat_dialog_id=${d}&limit=2`)
      expect(await unread(cat, d)).toBe(2)
      expect((await dialogOf(ann, d)).last_message_status).toBe(null)
      expect((await dialogOf(bob, d)).last_message_status).toBe('sent')
      await cat.call('PUT', '/chat/Message', { body: { chat_dialog_id: d, read: 1 } })
      expect(await unread(cat, d)).toBe(0)
      expect((await dialogOf(bob, d)).last_message_status).toBe('read')
      // A later "mark all" reaches what came since (it starts where the last one ended).
      const later = await send(ann, { chat_dialog_id: d, message: 'later' })
      expect(await unread(cat, d)).toBe(1)
      await cat.call('PUT', '/chat/Message', { body: { chat_dialog_id: d, read: '1' } })
      expect(await unread(cat, d)).toBe(0)
      const seen = (await cat.call('GET', `/chat/Message?chat_dialog_id=${d}&_id=${later._id}&mark_as_read=0`)).json.items[0]
      expect(seen.read_ids).toEqual([ann.id, cat.id])
      expect(seen.read).toBe(1)
    })

    it('filters and sorts retrieved messages with the list language', async () => {
      const d = await group(ann, [bob])
      await send(ann, { chat_dialog_id: d, message: 'alpha', attachments: [{ type: 'image', id: '1' }] })
      await send(bob, { chat_dialog_id: d, message: 'beta' })
      await send(ann, { chat_dialog_id: d, message: 'gamma' })
      const q = (params: string) => bob.call('GET', `/chat/Message?chat_dialog_id=${d}&mark_as_read=0&${params}`)
      expect((await q(`sender_id=${ann.id}`)).json.items.map((m: { message: string }) => m.message)).toEqual(['alpha', 'gamma'])
      expect((await q('sort_desc=_id')).json.items.map((m: { message: string }) => m.message)).toEqual(['gamma', 'beta', 'alpha'])
      expect((await q('message[ctn]=amm')).json.items.map((m: { message: string }) => m.message)).toEqual(['gamma'])
      expect((await q('attachments.type=image')).json.items).toHaveLength(1)
      expect((await q('count=1')).json).toEqual({ items: { count: 3 } })
      const bad = await q('colour=red&sender_id[gt]=x')
      expect(bad.status).toBe(400)
      expect(Object.keys(bad.json.errors).sort()).toEqual(['colour'])
      expect((await q('sender_id[gt]=x')).json.errors).toHaveProperty(['sender_id[gt]'])
      expect((await bob.call('GET', '/chat/Message')).json.errors).toHaveProperty('chat_dialog_id')
      expect((await dan.call('GET', `/chat/Message?chat_dialog_id=${d}`)).status).toBe(404)
    })

    it('marks read and delivered by id, and edits only own messages', async () => {
      const d = await group(ann, [bob])
      const m1 = await send(ann, { chat_dialog_id: d, message: 'one' })
      const m2 = await send(ann, { chat_dialog_id: d, message: 'two' })
      expect((await bob.call('PUT', `/chat/Message/${m1._id}`, { body: { delivered: 1, chat_dialog_id: d } })).status).toBe(200)
      expect((await dialogOf(ann, d)).last_message_status).toBe('sent')
      await bob.call('PUT', `/chat/Message/${m2._id}`, { body: { delivered: '1' } })
      expect((await dialogOf(ann, d)).last_message_status).toBe('delivered')
      expect((await bob.call('PUT', `/chat/Message/${m1._id},${m2._id}`, { body: { read: 1 } })).status).toBe(200)
      expect(await unread(bob, d)).toBe(0)
      expect((await dialogOf(ann, d)).last_message_status).toBe('read')
      expect((await bob.call('PUT', `/chat/Message/${m1._id}`, { body: { message: 'hacked' } })).status).toBe(403)
      expect((await ann.call('PUT', `/chat/Message/${m2._id}`, { body: { message: 'two!' } })).status).toBe(200)
      const list = (await ann.call('GET', `/chat/Message?chat_dialog_id=${d}`)).json.items
      expect(list[1].message).toBe('two!')
      expect(list[1].edited_at).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect((await dialogOf(ann, d)).last_message).toBe('two!')
      expect((await ann.call('PUT', `/chat/Message/${m2._id}`, { body: {} })).status).toBe(422)
      expect((await ann.call('PUT', `/chat/Message/${m2._id}`, { body: { read: 1, chat_dialog_id: 'ffffffffffffffffffffffff' } })).status).toBe(404)
      expect((await dan.call('PUT', `/chat/Message/${m2._id}`, { body: { read: 1 } })).status).toBe(404)
      expect((await ann.call('PUT', '/chat/Message/zzz', { body: { read: 1 } })).status).toBe(400)
      expect((await ann.call('PUT', '/chat/Message', { body: { read: 1 } })).status).toBe(422)
    })

    it('deletes for me and for everyone, with the documented answer, and keeps counters and last message right', async () => {
      const d = await group(ann, [bob, cat])
      const a1 = await send(ann, { chat_dialog_id: d, message: 'a1' })
      const b1 = await send(bob, { chat_dialog_id: d, message: 'b1' })
      const a2 = await send(ann, { chat_dialog_id: d, message: 'a2' })
      expect(await unread(cat, d)).toBe(3)
      // cat hides a1 for herself: one fewer unread, and she no longer sees it.
      const mine = await cat.call('DELETE', `/chat/Message/${a1._id}`)
      expect(mine.json).toEqual({ SuccessfullyDeleted: { ids: [a1._id] }, NotFound: { ids: [] }, WrongPermissions: { ids: [] } })
      expect(await unread(cat, d)).toBe(2)
      expect((await cat.call('GET', `/chat/Message?chat_dialog_id=${d}&mark_as_read=0`)).json.items.map((m: { _id: string }) => m._id)).toEqual([b1._id, a2._id])
      expect((await ann.call('GET', `/chat/Message?chat_dialog_id=${d}&mark_as_read=0`)).json.items).toHaveLength(3)
      // bob may delete his own for all but not ann's.
      const r = await bob.call('DELETE', `/chat/Message/${a2._id},${b1._id},ffffffffffffffffffffffff,bad?force=1`)
      expect(r.json).toEqual({ SuccessfullyDeleted: { ids: [b1._id] }, NotFound: { ids: ['bad', 'ffffffffffffffffffffffff'] }, WrongPermissions: { ids: [a2._id] } })
      expect(await unread(cat, d)).toBe(1)
      expect(await unread(ann, d)).toBe(0)
      // ann (owner) deletes the last message for everyone: the dialog's last message steps back.
      await ann.call('DELETE', `/chat/Message/${a2._id}?force=1`)
      const after = await dialogOf(ann, d)
      expect(after).toMatchObject({ last_message: 'a1', last_message_id: a1._id, last_message_user_id: ann.id })
      expect(await unread(cat, d)).toBe(0)
      expect((await dan.call('DELETE', `/chat/Message/${a1._id}`)).json.NotFound.ids).toEqual([a1._id])
    })

    it('clears history for me and for everyone', async () => {
      const d = await group(ann, [bob])
      await send(ann, { chat_dialog_id: d, message: 'x' })
      await send(ann, { chat_dialog_id: d, message: 'y' })
      expect((await bob.call('DELETE', `/chat/Dialog/clearHistory/${d}`)).status).toBe(200)
      expect((await bob.call('GET', `/chat/Message?chat_dialog_id=${d}`)).json.items).toEqual([])
      expect(await unread(bob, d)).toBe(0)
      expect((await ann.call('GET', `/chat/Message?chat_dialog_id=${d}`)).json.items).toHaveLength(2)
      expect((await bob.call('DELETE', `/chat/Dialog/clearHistory/${d}?force=1`)).status).toBe(403)
      expect((await ann.call('DELETE', `/chat/Dialog/clearHistory/${d}?force=1`)).status).toBe(200)
      expect((await ann.call('GET', `/chat/Message?chat_dialog_id=${d}`)).json.items).toEqual([])
      expect((await dialogOf(ann, d)).last_message).toBe(null)
    })

    it('keeps one reaction of a type per user and shows own and total', async () => {
      const d = await group(ann, [bob, cat])
      const m = await send(ann, { chat_dialog_id: d, message: 'react' })
      expect((await bob.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '👍' } })).status).toBe(200)
      await bob.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '👍' } })
      await cat.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '👍' } })
      await cat.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '🚀' } })
      await cat.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '👎', remove: '🚀' } })
      const all = await ann.call('GET', `/chat/Message/${m._id}/reactions`)
      expect(all.json).toEqual({ '👍': [bob.id, cat.id], '👎': [cat.id] })
      const seen = (await cat.call('GET', `/chat/Message?chat_dialog_id=${d}&mark_as_read=0`)).json.items[0]
      expect(seen.reactions).toEqual({ own: ['👍', '👎'], total: { '👍': 2, '👎': 1 } })
      expect((await cat.call('PUT', `/chat/Message/${m._id}/reactions`, { body: {} })).status).toBe(422)
      expect((await dan.call('GET', `/chat/Message/${m._id}/reactions`)).status).toBe(404)
      expect((await dan.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '👍' } })).status).toBe(404)
    })

    it('counts views on public and broadcast dialogs, once per reader', async () => {
      const pub = (await ann.call('POST', '/chat/Dialog', { body: { type: 4, name: 'news', permissions: { allow_preview: true } } })).json._id
      const bc = (await ann.call('POST', '/chat/Dialog', { body: { type: 1, name: 'broadcast' } })).json._id
      const m = await send(ann, { chat_dialog_id: pub, message: 'public news' })
      const b = await send(ann, { chat_dialog_id: bc, message: 'to all' })
      expect((await bob.call('POST', '/chat/Message', { body: { chat_dialog_id: pub, message: 'x' } })).status).toBe(403)
      expect((await bob.call('POST', '/chat/Message', { body: { chat_dialog_id: bc, message: 'x' } })).status).toBe(403)
      // bob previews without subscribing: no view counted.
      expect((await bob.call('GET', `/chat/Message?chat_dialog_id=${pub}`)).status).toBe(403)
      const preview = await bob.call('GET', `/chat/Message?chat_dialog_id=${pub}&preview=1&limit=1&sort_desc=_id`)
      expect(preview.status).toBe(200)
      expect(preview.json.items.map((x: { _id: string }) => x._id)).toEqual([m._id])
      await bob.call('POST', `/chat/Dialog/${pub}/subscribe`)
      await bob.call('GET', `/chat/Message?chat_dialog_id=${pub}`)
      await bob.call('GET', `/chat/Message?chat_dialog_id=${pub}`)
      await cat.call('GET', `/chat/Message?chat_dialog_id=${bc}`)
      await dan.call('GET', `/chat/Message?chat_dialog_id=${bc}`)
      expect((await ann.call('GET', `/chat/Message?chat_dialog_id=${pub}`)).json.items[0].views_count).toBe(1)
      expect((await ann.call('GET', `/chat/Message?chat_dialog_id=${bc}`)).json.items[0].views_count).toBe(2)
      expect((await dialogOf(cat, bc)).unread_messages_count).toBe(null)
      const g = await group(ann, [bob])
      expect((await dan.call('GET', `/chat/Message?chat_dialog_id=${g}&preview=1`)).status).toBe(404)
      void b
    })

    it('brings a private dialog deleted for me back with the next message', async () => {
      const first = await send(bob, { recipient_id: cat.id, message: 'hello' })
      const id = first.chat_dialog_id
      expect((await cat.call('DELETE', `/chat/Dialog/${id}`)).status).toBe(200)
      expect(await dialogOf(cat, id)).toBeUndefined()
      expect(await dialogOf(bob, id)).toBeDefined()
      await send(bob, { recipient_id: cat.id, message: 'are you there?' })
      expect((await dialogOf(cat, id)).unread_messages_count).toBe(1)
      // Without the history cat deleted; bob still has it.
      expect((await cat.call('GET', `/chat/Message?chat_dialog_id=${id}&mark_as_read=0`)).json.items.map((m: { message: string }) => m.message)).toEqual(['are you there?'])
      expect((await bob.call('GET', `/chat/Message?chat_dialog_id=${id}`)).json.items).toHaveLength(2)
    })
  })
}
