// Message rows for the chat API: insert, read marks, deletes for one user or for all, edits. Each
// write touches only the messages named (or, for "mark all", the dialog's messages the user has not
// read yet); counters live in dialog_users (store/members.ts).
import { sql, type Expression, type SqlBool } from 'kysely'
import type { Store } from './connect.ts'
import { writeRow } from './items.ts'
import type { MessageRow } from './schema.ts'

const JSON_COLUMNS = new Set(['read_ids', 'delivered_ids', 'deleted_for_ids', 'attachments', 'reactions', 'edited_at', 'extra', 'absent'])

/** The JSON array in `column` does not hold `userId` (a missing array holds nothing). */
function lacks(store: Store, column: string, userId: number): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.ref(column)} is null or not ${store.dialect.arrayHas(column, undefined, [userId], 'any')})`
}

export async function insertMessage(store: Store, row: Record<string, unknown>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await store.db.insertInto('messages').values(row as any).execute()
}

export async function findMessages(store: Store, ids: string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return []
  return store.db.selectFrom('messages').selectAll().where('id', 'in', ids).execute()
}

export interface Mark {
  column: 'read_ids' | 'delivered_ids'
  dialogId: string
  userId: number
  /** Only these messages; null: every message of the dialog. */
  ids: string[] | null
  now: number
  /** Count a view (broadcast and public dialogs): the user's first read of the message. */
  countView: boolean
  /** With ids null: only messages created at or after this time (ms) need looking at. */
  since?: number | null
}

/**
 * Adds the user to `column` of the dialog's messages that others sent and the user has not marked
 * yet; returns the ids marked now (so counters move by exactly that many).
 */
export async function markMessages(store: Store, m: Mark): Promise<Array<{ id: string; created_at: number }>> {
  const set: Record<string, unknown> = { [m.column]: store.dialect.arrayAppend(m.column, m.userId), updated_at: m.now }
  if (m.countView) set.views_count = sql`coalesce(views_count, 0) + 1`
  let q = store.db
    .updateTable('messages')
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .set(set as any)
    .where('chat_dialog_id', '=', m.dialogId)
    .where((eb) => eb.or([eb('sender_id', 'is', null), eb('sender_id', '<>', m.userId)]))
    .where(lacks(store, m.column, m.userId))
    .where(lacks(store, 'deleted_for_ids', m.userId))
  if (m.ids !== null) {
    if (m.ids.length === 0) return []
    q = q.where('id', 'in', m.ids)
  } else if (m.since !== undefined && m.since !== null) {
    // A range of the (chat_dialog_id, created_at, id) index: the messages since the last "mark all".
    q = q.where('created_at', '>=', m.since)
  }
  return q.returning(['id', 'created_at']).execute()
}

/** The columns that hide a message from `userId` (delete for me): the user added to deleted_for_ids. */
const hiddenFrom = (store: Store, userId: number, now: number) => ({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  deleted_for_ids: store.dialect.arrayAppend('deleted_for_ids', userId) as any,
  updated_at: now,
})

/** Hides messages from one user (delete for me); returns those hidden now, with their sender and read_ids. */
export async function hideMessagesFor(store: Store, dialogId: string, userId: number, ids: string[] | null, now: number) {
  let q = store.db
    .updateTable('messages')
    .set(hiddenFrom(store, userId, now))
    .where('chat_dialog_id', '=', dialogId)
    .where(lacks(store, 'deleted_for_ids', userId))
  if (ids !== null) {
    if (ids.length === 0) return []
    q = q.where('id', 'in', ids)
  }
  return q.returning(['id', 'sender_id', 'read_ids', 'created_at']).execute()
}

export async function deleteMessageRows(store: Store, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  await store.db.deleteFrom('messages').where('id', 'in', ids).execute()
}

export async function deleteDialogMessages(store: Store, dialogId: string): Promise<void> {
  await store.db.deleteFrom('messages').where('chat_dialog_id', '=', dialogId).execute()
}

/** Up to `limit` of the dialog's messages not yet hidden for `userId` hidden for them (services/chat-dialogs.ts inChunks); how many. */
export async function hideSomeMessagesFor(store: Store, dialogId: string, userId: number, limit: number, now: number): Promise<number> {
  const { numUpdatedRows } = await store.db
    .updateTable('messages')
    .set(hiddenFrom(store, userId, now))
    .where('id', 'in', (eb) => eb.selectFrom('messages').select('id').where('chat_dialog_id', '=', dialogId).where(lacks(store, 'deleted_for_ids', userId)).limit(limit))
    .executeTakeFirst()
  return Number(numUpdatedRows)
}

/** Up to `limit` of the dialog's messages deleted (services/chat-dialogs.ts inChunks); how many went. */
export async function deleteSomeDialogMessages(store: Store, dialogId: string, limit: number): Promise<number> {
  const { numDeletedRows } = await store.db
    .deleteFrom('messages')
    .where('id', 'in', (eb) => eb.selectFrom('messages').select('id').where('chat_dialog_id', '=', dialogId).limit(limit))
    .executeTakeFirst()
  return Number(numDeletedRows)
}

/** The dialog's newest message (by date_sent, then id): one step down the (chat_dialog_id, date_sent, id) index. */
export async function latestMessage(store: Store, dialogId: string): Promise<MessageRow | undefined> {
  return store.db
    .selectFrom('messages')
    .selectAll()
    .where('chat_dialog_id', '=', dialogId)
    // NULLs sort first on one engine and last on the other: a message without date_sent is never "latest".
    .where('date_sent', 'is not', null)
    .orderBy('date_sent', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Writes the given columns (JSON ones given as values); returns the new row. */
export async function writeMessage(store: Store, id: string, fields: Record<string, unknown>): Promise<MessageRow> {
  return (await writeRow(store, 'messages', id, fields, JSON_COLUMNS)) as MessageRow
}
