// Dialog rows: the reads and writes that dialog services need beyond whole-item lists and upserts,
// and the user's own dialogs for the chat API's Retrieve Dialogs.
import { sql, type ExpressionBuilder, type SqlBool } from 'kysely'
import { applyPage, whereOf } from '../query/apply.ts'
import type { ListPlan } from '../query/plan.ts'
import type { Store } from './connect.ts'
import { writeRow } from './items.ts'
import { deleteDialogMessages } from './messages.ts'
import type { Database, DialogRow } from './schema.ts'

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
  return (await writeRow(store, 'dialogs', id, { ...fields, updated_at: updatedAt }, JSON_COLUMNS)) as DialogRow
}

/** A new dialog row (made complete by the item codec). */
export async function insertDialog(store: Store, row: Record<string, unknown>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await store.db.insertInto('dialogs').values(row as any).execute()
}

export async function findDialog(store: Store, id: string): Promise<DialogRow | undefined> {
  return store.db.selectFrom('dialogs').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A dialog, its messages and its per-user state, gone (delete for everyone). */
export async function deleteDialogRows(store: Store, id: string): Promise<void> {
  await deleteDialogMessages(store, id)
  await store.db.deleteFrom('dialog_users').where('dialog_id', '=', id).execute()
  await store.db.deleteFrom('private_pairs').where('dialog_id', '=', id).execute()
  await store.db.deleteFrom('dialogs').where('id', '=', id).execute()
}

/**
 * The dialogs a user sees in Retrieve Dialogs: every broadcast, and those they are a member of
 * (dialog_users), except those they deleted for themselves (deleted_ids).
 */
export function visibleTo(store: Store, userId: number) {
  const d = store.dialect
  return (eb: ExpressionBuilder<Database, 'dialogs'>) =>
    eb.and([
      eb.or([eb('type', '=', 1), eb('id', 'in', eb.selectFrom('dialog_users').select('dialog_id').where('user_id', '=', userId))]),
      sql<SqlBool>`(deleted_ids is null or not ${d.arrayHas('deleted_ids', undefined, [userId], 'any')})`,
    ])
}

export async function listUserDialogs(store: Store, userId: number, plan: ListPlan): Promise<DialogRow[]> {
  const qb = store.db.selectFrom('dialogs').selectAll().where(visibleTo(store, userId))
  return (await applyPage(qb, plan, store.dialect).execute()) as DialogRow[]
}

export async function countUserDialogs(store: Store, userId: number, plan: Pick<ListPlan, 'conditions'>): Promise<number> {
  const { n } = await store.db
    .selectFrom('dialogs')
    .select(sql<number>`count(*)`.as('n'))
    .where(visibleTo(store, userId))
    .where(whereOf({ conditions: plan.conditions }, store.dialect))
    .executeTakeFirstOrThrow()
  return Number(n)
}
