// Deleting a whole dialog's messages for everyone (delete with force=1, clear history with force=1),
// or hiding them all for one user (clear history, leaving a private dialog), goes a chunk at a time,
// with a turn of the event loop between chunks, so that a large dialog does not hold SQLite's one
// thread; the end state is the same as one statement's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearHistory, DELETE_CHUNK, deleteDialogs } from '../../src/services/chat-dialogs.ts'
import { importValues } from '../../src/services/import.ts'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

/** Enough messages for two full chunks and a part of one. */
const MESSAGES = 2 * DELETE_CHUNK + 300
let serial = 1_690_000_000

for (const kind of STORES) {
  describe(`deleting a large dialog's messages (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser

    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    /** A group of ann's with bob, holding MESSAGES messages; and a second dialog whose messages must stay. */
    async function largeGroup(): Promise<string> {
      const r = await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'archive', occupants_ids: [bob.id] } })
      expect(r.status).toBe(201)
      const id = r.json._id as string
      await importValues(db.store, 'messages', Array.from({ length: MESSAGES }, () => messageItem(id, serial++)))
      return id
    }
    /** How many of the dialog's messages are hidden for `userId` (their deleted_for_ids holds it). */
    async function hiddenFor(id: string, userId: number): Promise<number> {
      const rows = await db.store.db.selectFrom('messages').select('deleted_for_ids').where('chat_dialog_id', '=', id).execute()
      return rows.filter((r) => ((db.store.dialect.decodeJson(r.deleted_for_ids) as number[] | null) ?? []).includes(userId)).length
    }
    const messagesOf = async (id: string) =>
      Number((await db.store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('chat_dialog_id', '=', id).executeTakeFirstOrThrow()).n)

    it('deletes the dialog and every message for everyone; a member who may not deletes nothing', async () => {
      const id = await largeGroup()
      const other = await largeGroup()
      expect((await bob.call('DELETE', `/chat/Dialog/${id}?force=1`)).status).toBe(403)
      expect(await messagesOf(id)).toBe(MESSAGES)
      expect((await ann.call('DELETE', `/chat/Dialog/${id}?force=1`)).status).toBe(200)
      expect(await messagesOf(id)).toBe(0)
      expect((await ann.call('GET', `/chat/Message?chat_dialog_id=${id}`)).status).toBe(404)
      expect(await messagesOf(other)).toBe(MESSAGES)
    })

    it('clears the history for everyone and keeps the dialog', async () => {
      const id = await largeGroup()
      expect((await bob.call('DELETE', `/chat/Dialog/clearHistory/${id}?force=1`)).status).toBe(403)
      expect(await messagesOf(id)).toBe(MESSAGES)
      expect((await ann.call('DELETE', `/chat/Dialog/clearHistory/${id}?force=1`)).status).toBe(200)
      expect(await messagesOf(id)).toBe(0)
      const dialog = (await ann.call('GET', '/chat/Dialog')).json.items.find((d: { _id: string }) => d._id === id)
      expect(dialog).toMatchObject({ last_message: null, last_message_id: null })
    })

    it('clears the history for me alone: every message hidden for ann, none for bob, none deleted', async () => {
      const id = await largeGroup()
      expect((await ann.call('DELETE', `/chat/Dialog/clearHistory/${id}`)).status).toBe(200)
      expect(await hiddenFor(id, ann.id)).toBe(MESSAGES)
      expect(await hiddenFor(id, bob.id)).toBe(0)
      expect(await messagesOf(id)).toBe(MESSAGES)
      const mine = await ann.call('GET', `/chat/Message?chat_dialog_id=${id}&limit=1`)
      expect(mine.status).toBe(200)
      expect(mine.json.items).toEqual([])
      expect((await bob.call('GET', `/chat/Message?chat_dialog_id=${id}&limit=1`)).json.items).toHaveLength(1)
      // Asked again: nothing left to hide, still 200.
      expect((await ann.call('DELETE', `/chat/Dialog/clearHistory/${id}`)).status).toBe(200)
      expect(await hiddenFor(id, ann.id)).toBe(MESSAGES)
    })

    it('leaves a long private dialog with its history hidden for the one who left', async () => {
      const r = await ann.call('POST', '/chat/Dialog', { body: { type: 3, occupants_ids: [bob.id] } })
      expect([200, 201]).toContain(r.status)
      const id = r.json._id as string
      await importValues(db.store, 'messages', Array.from({ length: MESSAGES }, () => messageItem(id, serial++)))
      expect((await ann.call('DELETE', `/chat/Dialog/${id}`)).status).toBe(200)
      expect(await hiddenFor(id, ann.id)).toBe(MESSAGES)
      expect(await hiddenFor(id, bob.id)).toBe(0)
    })

    it('lets the event loop run while it hides messages for one user', async () => {
      const id = await largeGroup()
      let finished = false
      const clearing = clearHistory(db.store, ann.id, id, false).then(() => {
        finished = true
      })
      const left = await new Promise<number | null>((resolve) => setImmediate(() => resolve(finished ? null : 0)))
      expect(left, 'the clear ended before a callback queued beside it ran').toBe(0)
      await clearing
      expect(await hiddenFor(id, ann.id)).toBe(MESSAGES)
    })

    it('lets the event loop run while it deletes', async () => {
      const id = await largeGroup()
      // better-sqlite3 runs a transaction in microtasks: a callback queued now runs before the
      // delete ends only if the delete gives the event loop a turn (on PostgreSQL every query does).
      let finished = false
      const deleting = deleteDialogs(db.store, ann.id, id, true).then((r) => {
        finished = true
        return r
      })
      const left = await new Promise<number | null>((resolve) => setImmediate(() => resolve(finished ? null : 0)))
      expect(left, 'the delete ended before a callback queued beside it ran').toBe(0)
      expect((await deleting).answer.SuccessfullyDeleted.ids).toEqual([id])
      expect(await messagesOf(id)).toBe(0)
    })
  })
}
