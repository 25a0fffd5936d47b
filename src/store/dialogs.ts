// Dialog rows: the reads and writes that dialog services need beyond whole-item lists and upserts.
import { toJson } from './dialect.ts'
import type { Store } from './connect.ts'
import type { DialogRow } from './schema.ts'

const JSON_COLUMNS = new Set(['occupants_ids', 'admins_ids', 'pinned_messages_ids', 'silent_ids', 'deleted_ids', 'extensions', 'permissions', 'absent'])

/** The dialog's row, locked for the rest of the transaction where the engine has row locks. */
export async function lockDialog(store: Store, id: string): Promise<DialogRow | undefined> {
  let q = store.db.selectFrom('dialogs').selectAll().where('id', '=', id)
  // SQLite has no row locks; its single writer already serialises the read-modify-write.
  if (store.dialect.rowLocks) q = q.forUpdate()
  return q.executeTakeFirst()
}

/** Which of `ids` are messages of dialog `dialogId`. */
export async function messagesInDialog(store: Store, dialogId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await store.db.selectFrom('messages').select('id').where('chat_dialog_id', '=', dialogId).where('id', 'in', ids).execute()
  return rows.map((r) => r.id)
}

/** Writes the given item fields (wire names and values, plus `absent`) and updated_at; returns the new row. */
export async function writeDialog(store: Store, id: string, fields: Record<string, unknown>, updatedAt: number): Promise<DialogRow> {
  const set: Record<string, unknown> = { updated_at: updatedAt }
  for (const [k, v] of Object.entries(fields)) set[k] = JSON_COLUMNS.has(k) ? toJson(v) : v
  return store.db
    .updateTable('dialogs')
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .set(set as any)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}
