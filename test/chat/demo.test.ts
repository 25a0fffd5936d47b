// The --demo data set is made through the chat services, and after all its sends, reads, deletes and
// edits every kept unread counter equals a recount from the messages themselves (the invariant the
// counters promise: sent by someone else since the member joined, not read, not hidden).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, loadChatDemo } from '../../src/services/demo-chat.ts'
import { AUTH_KEY, startChatServer, type ChatServer } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`chat demo data (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let loaded: { users: number; dialogs: number; messages: number }
    beforeAll(async () => {
      db = await kind.open()
      loaded = await loadChatDemo(db.store, { users: 12, dialogs: 60, messagesPerDialog: 6, seed: 3 })
      server = await startChatServer(db.store)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('has all four types, and the admin lists show what was loaded', async () => {
      expect(loaded.dialogs).toBeGreaterThan(40)
      const types = await db.store.db.selectFrom('dialogs').select('type').distinct().execute()
      expect(types.map((t) => t.type).sort()).toEqual([1, 2, 3, 4])
      expect((await server.get('/admin/chat/list?count=1')).json.items.count).toBe(loaded.dialogs)
      expect((await server.get('/admin/chat/messages/list?count=1')).json.items.count).toBe(loaded.messages)
    })

    it('keeps every unread counter equal to a recount from the messages', async () => {
      const members = await db.store.db.selectFrom('dialog_users').innerJoin('dialogs', 'dialogs.id', 'dialog_users.dialog_id').select(['dialog_users.dialog_id', 'dialog_users.user_id', 'dialog_users.unread_count', 'dialog_users.joined_at', 'dialogs.type']).execute()
      const messages = await db.store.db.selectFrom('messages').selectAll().execute()
      const ids = (v: unknown): number[] => (db.store.dialect.decodeJson(v) as number[] | null) ?? []
      let checked = 0
      for (const m of members) {
        if (m.type !== 2 && m.type !== 3) continue
        const expected = messages.filter(
          (x) => x.chat_dialog_id === m.dialog_id && x.sender_id !== m.user_id && x.created_at >= m.joined_at && !ids(x.read_ids).includes(m.user_id) && !ids(x.deleted_for_ids).includes(m.user_id),
        ).length
        expect(m.unread_count, `dialog ${m.dialog_id} user ${m.user_id}`).toBe(expected)
        checked++
      }
      expect(checked).toBeGreaterThan(50)
    })

    it('lets a demo user sign in and see their dialogs', async () => {
      const s = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login: 'demo1', password: DEMO_PASSWORD } } })
      expect(s.status).toBe(201)
      const list = await server.anonymous('GET', '/chat/Dialog', { headers: { 'CB-Token': s.json.session.token } })
      expect(list.status).toBe(200)
      expect(list.json.items.length).toBeGreaterThan(0)
    })
  })
}
