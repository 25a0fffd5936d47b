// End to end: users act through the chat API, and the Administration API's items show what they did
// (mute → silent_ids, delete for me → deleted_ids / deleted_for_ids, read → read_ids, edit →
// edited_at, pin → pinned_messages_ids, last_message*). And the kept counts behind admin totals stay
// exact through every kind of chat write.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`chat actions as the Administration API shows them (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser
    let cat: ChatUser
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
      cat = await server.user('cat')
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const adminDialog = async (id: string) => (await server.get(`/admin/chat/list?_id=${id}`)).json.items[0]
    const adminMessage = async (id: string) => (await server.get(`/admin/chat/messages/list?_id=${id}`)).json.items[0]
    const send = async (u: ChatUser, body: object) => (await u.call('POST', '/chat/Message', { body })).json

    it('mute → silent_ids; leave → deleted_ids; pin → pinned_messages_ids; last_message*', async () => {
      const d = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'team', occupants_ids: [bob.id, cat.id] } })).json
      const m = await send(bob, { chat_dialog_id: d._id, message: 'pin me', mission: 'take over the planet' })
      await bob.call('PUT', `/chat/Dialog/${d._id}/notifications`, { body: { enabled: 0 } })
      await ann.call('PUT', `/chat/Dialog/${d._id}`, { body: { push_all: { pinned_messages_ids: [m._id] } } })
      await cat.call('DELETE', `/chat/Dialog/${d._id}`)
      const item = await adminDialog(d._id)
      expect(item).toMatchObject({
        silent_ids: [bob.id],
        deleted_ids: [cat.id],
        occupants_ids: [ann.id, bob.id],
        pinned_messages_ids: [m._id],
        last_message: 'pin me',
        last_message_id: m._id,
        last_message_user_id: bob.id,
        last_message_date_sent: m.date_sent,
        last_message_status: 'sent',
        user_id: ann.id,
        type: 2,
        is_muted: null,
        unread_messages_count: null,
      })
      expect(Date.parse(item.updated_at)).toBeGreaterThanOrEqual(Date.parse(m.created_at))
      const msg = await adminMessage(m._id)
      expect(msg).toMatchObject({ mission: 'take over the planet', sender_id: bob.id, chat_dialog_id: d._id, read: 0 })
    })

    it('read → read_ids (and last_message_status); edit → edited_at; delete for me → deleted_for_ids; reactions', async () => {
      const d = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'x', occupants_ids: [bob.id, cat.id] } })).json
      const m = await send(ann, { chat_dialog_id: d._id, message: 'hello' })
      await bob.call('PUT', `/chat/Message/${m._id}`, { body: { read: 1, chat_dialog_id: d._id } })
      await cat.call('DELETE', `/chat/Message/${m._id}`)
      await ann.call('PUT', `/chat/Message/${m._id}`, { body: { message: 'hello, edited' } })
      await bob.call('PUT', `/chat/Message/${m._id}/reactions`, { body: { add: '👍' } })
      const msg = await adminMessage(m._id)
      expect(msg).toMatchObject({ message: 'hello, edited', read_ids: [ann.id, bob.id], delivered_ids: [ann.id, bob.id], deleted_for_ids: [cat.id], reactions: { '👍': [bob.id] } })
      expect(msg.edited_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      expect(await adminDialog(d._id)).toMatchObject({ last_message: 'hello, edited', last_message_status: 'read' })
      // Admin views are filterable on what chat wrote.
      const bySender = await server.get(`/admin/chat/messages/list?chat_dialog_id=${d._id}&sender_id=${ann.id}&count=1`)
      expect(bySender.json).toEqual({ items: { count: 1 } })
    })

    it('a message to a recipient creates a private dialog the admin list shows', async () => {
      const m = await send(cat, { recipient_id: ann.id, message: 'psst' })
      const d = await adminDialog(m.chat_dialog_id)
      expect(d).toMatchObject({ type: 3, occupants_ids: [cat.id, ann.id], user_id: cat.id, last_message: 'psst', xmpp_room_jid: null })
      const byOccupant = await server.get(`/admin/chat/list?occupants_ids=${ann.id}&type=3`)
      expect(byOccupant.json.items.map((x: { _id: string }) => x._id)).toContain(m.chat_dialog_id)
    })

    it("an occupant added or removed through the admin Dialog Update gains or loses the dialog in chat", async () => {
      const d = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'admin-managed', occupants_ids: [bob.id] } })).json._id
      expect((await server.call('PUT', `/admin/chat/${d}`, { body: { push_all: { occupants_ids: [cat.id] } } })).status).toBe(200)
      expect((await cat.call('GET', `/chat/Dialog?_id=${d}`)).json.items).toHaveLength(1)
      // A newcomer counts messages from the second after joining (docs/chat.md).
      await new Promise((r) => setTimeout(r, 1100))
      await send(ann, { chat_dialog_id: d, message: 'welcome cat' })
      expect((await cat.call('GET', `/chat/Dialog?_id=${d}`)).json.items[0].unread_messages_count).toBe(1)
      await server.call('PUT', `/admin/chat/${d}`, { body: { pull_all: { occupants_ids: [cat.id] } } })
      expect((await cat.call('GET', `/chat/Dialog?_id=${d}`)).json.items).toEqual([])
      expect((await cat.call('GET', `/chat/Message?chat_dialog_id=${d}`)).status).toBe(404)
    })

    it('keeps admin totals exact (kept counts, count=1) through every kind of chat write', async () => {
      const truth = async (table: 'dialogs' | 'messages', where = sql`1 = 1`) =>
        Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db.store.db)).rows[0]!.n)
      const g = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'churn', occupants_ids: [bob.id, cat.id] } })).json._id
      const check = async () => {
        for (const [path, table, where] of [
          ['/admin/chat/messages/list?count=1', 'messages', sql`1 = 1`],
          [`/admin/chat/messages/list?chat_dialog_id=${g}&count=1`, 'messages', sql`chat_dialog_id = ${g}`],
          [`/admin/chat/messages/list?sender_id=${bob.id}&count=1`, 'messages', sql`sender_id = ${bob.id}`],
          ['/admin/chat/list?count=1', 'dialogs', sql`1 = 1`],
          ['/admin/chat/list?type=3&count=1', 'dialogs', sql`type = 3`],
        ] as const) {
          const r = await server.get(path)
          expect(r.json.items.count, path).toBe(await truth(table, where))
        }
      }
      db.store.counts.clear()
      const before = { ...db.store.counts.stats }
      await check()
      const writes: Array<() => Promise<unknown>> = [
        () => send(bob, { chat_dialog_id: g, message: 'one' }),
        () => send(cat, { chat_dialog_id: g, message: 'two' }),
        () => send(bob, { recipient_id: cat.id, message: 'private' }),
        async () => {
          const m = await send(bob, { chat_dialog_id: g, message: 'gone' })
          await bob.call('DELETE', `/chat/Message/${m._id}?force=1`)
        },
        () => ann.call('GET', `/chat/Message?chat_dialog_id=${g}`),
        () => ann.call('PUT', '/chat/Message', { body: { chat_dialog_id: g, read: 1 } }),
        () => cat.call('DELETE', `/chat/Dialog/clearHistory/${g}`),
        async () => {
          const d = (await cat.call('POST', '/chat/Dialog', { body: { type: 2, name: 'short-lived', occupants_ids: [bob.id] } })).json._id
          await send(cat, { chat_dialog_id: d, message: 'bye' })
          await cat.call('DELETE', `/chat/Dialog/${d}?force=1`)
        },
        () => ann.call('DELETE', `/chat/Dialog/clearHistory/${g}?force=1`),
        () => send(ann, { chat_dialog_id: g, message: 'after clear' }),
      ]
      for (const write of writes) {
        await write()
        await check()
      }
      // Served from kept counts brought up to date, not recounted each time.
      expect(db.store.counts.stats.delta - before.delta).toBeGreaterThan(0)
      expect(db.store.counts.stats.anomalies).toBe(before.anomalies)
    })
  })
}
