// Per-user dialog state (dialog_users): who is in a dialog, and each member's unread counter. The
// counters are kept by the writes — +1 for the other members per message sent, −n when n messages
// are read or deleted — so no read of a dialog ever counts its history (docs/chat.md).
import { sql } from 'kysely'
import type { Store } from './connect.ts'

/**
 * `joinedAt`: messages created at or after it count for the member (times are whole seconds). The
 * services pass the next second when a dialog may already have messages of the current one, so that
 * the sending side (countSent) and the reading side agree on every message.
 */
export async function addMembers(store: Store, dialogId: string, userIds: number[], joinedAt: number): Promise<number[]> {
  if (userIds.length === 0) return []
  const rows = await store.db
    .insertInto('dialog_users')
    .values(userIds.map((user_id) => ({ dialog_id: dialogId, user_id, joined_at: joinedAt })))
    .onConflict((oc) => oc.columns(['dialog_id', 'user_id']).doNothing())
    .returning('user_id')
    .execute()
  return rows.map((r) => r.user_id)
}

export async function removeMembers(store: Store, dialogId: string, userIds: number[]): Promise<number[]> {
  if (userIds.length === 0) return []
  const rows = await store.db.deleteFrom('dialog_users').where('dialog_id', '=', dialogId).where('user_id', 'in', userIds).returning('user_id').execute()
  return rows.map((r) => r.user_id)
}

export async function removeAllMembers(store: Store, dialogId: string): Promise<void> {
  await store.db.deleteFrom('dialog_users').where('dialog_id', '=', dialogId).execute()
}

/** When the user joined the dialog (ms), or undefined when not a member. */
export async function memberSince(store: Store, dialogId: string, userId: number): Promise<number | undefined> {
  const row = await store.db.selectFrom('dialog_users').select('joined_at').where('dialog_id', '=', dialogId).where('user_id', '=', userId).executeTakeFirst()
  return row?.joined_at
}

type MarkedAll = 'read_all_at' | 'delivered_all_at'

/** Since when the member's "mark all" must look (null: from the beginning; undefined: not a member). */
export async function markedAllAt(store: Store, dialogId: string, userId: number, column: MarkedAll): Promise<number | null | undefined> {
  const row = await store.db.selectFrom('dialog_users').select(column).where('dialog_id', '=', dialogId).where('user_id', '=', userId).executeTakeFirst()
  return row === undefined ? undefined : (row[column] as number | null)
}

export async function setMarkedAllAt(store: Store, dialogId: string, userId: number, column: MarkedAll, at: number): Promise<void> {
  await store.db.updateTable('dialog_users').set({ [column]: at }).where('dialog_id', '=', dialogId).where('user_id', '=', userId).execute()
}

export async function isMember(store: Store, dialogId: string, userId: number): Promise<boolean> {
  const row = await store.db.selectFrom('dialog_users').select('user_id').where('dialog_id', '=', dialogId).where('user_id', '=', userId).executeTakeFirst()
  return row !== undefined
}

/** The user's unread counters for the given dialogs (absent: not a member). */
export async function unreadCounts(store: Store, userId: number, dialogIds?: string[]): Promise<Map<string, number>> {
  if (dialogIds && dialogIds.length === 0) return new Map()
  let q = store.db.selectFrom('dialog_users').select(['dialog_id', 'unread_count']).where('user_id', '=', userId)
  if (dialogIds) q = q.where('dialog_id', 'in', dialogIds)
  return new Map((await q.execute()).map((r) => [r.dialog_id, r.unread_count]))
}

/** One more unread message for every member but the sender: one UPDATE, however long the history. */
export async function countSent(store: Store, dialogId: string, senderId: number, createdAt: number): Promise<void> {
  await store.db
    .updateTable('dialog_users')
    .set({ unread_count: sql`unread_count + 1` })
    .where('dialog_id', '=', dialogId)
    .where('user_id', '<>', senderId)
    .where('joined_at', '<=', createdAt)
    .execute()
}

/** `n` fewer unread messages for the given members (never below zero). */
export async function countRead(store: Store, dialogId: string, userIds: number[], n: number): Promise<void> {
  if (n <= 0 || userIds.length === 0) return
  await store.db
    .updateTable('dialog_users')
    .set({ unread_count: sql`case when unread_count > ${n} then unread_count - ${n} else 0 end` })
    .where('dialog_id', '=', dialogId)
    .where('user_id', 'in', userIds)
    .execute()
}

/** One fewer unread message for every member it was counted for, except `except` (a message deleted for everyone). */
export async function uncountForAllBut(store: Store, dialogId: string, except: number[], createdAt: number): Promise<void> {
  let q = store.db
    .updateTable('dialog_users')
    .set({ unread_count: sql`case when unread_count > 0 then unread_count - 1 else 0 end` })
    .where('dialog_id', '=', dialogId)
    .where('joined_at', '<=', createdAt)
  if (except.length > 0) q = q.where('user_id', 'not in', except)
  await q.execute()
}

export async function resetUnread(store: Store, dialogId: string, userId?: number): Promise<void> {
  let q = store.db.updateTable('dialog_users').set({ unread_count: 0 }).where('dialog_id', '=', dialogId)
  if (userId !== undefined) q = q.where('user_id', '=', userId)
  await q.execute()
}

/** A page of a dialog's members' ids, in the order they joined. */
export async function memberIds(store: Store, dialogId: string, skip: number, limit: number): Promise<number[]> {
  const rows = await store.db
    .selectFrom('dialog_users')
    .select('user_id')
    .where('dialog_id', '=', dialogId)
    .orderBy('joined_at')
    .orderBy('user_id')
    .limit(limit)
    .offset(skip)
    .execute()
  return rows.map((r) => r.user_id)
}

export async function findPrivatePair(store: Store, a: number, b: number): Promise<string | undefined> {
  const row = await store.db
    .selectFrom('private_pairs')
    .select('dialog_id')
    .where('low_id', '=', Math.min(a, b))
    .where('high_id', '=', Math.max(a, b))
    .executeTakeFirst()
  return row?.dialog_id
}

/** Claims the pair for `dialogId`; false when another dialog holds it already (a concurrent creation won). */
export async function claimPrivatePair(store: Store, a: number, b: number, dialogId: string): Promise<boolean> {
  const rows = await store.db
    .insertInto('private_pairs')
    .values({ low_id: Math.min(a, b), high_id: Math.max(a, b), dialog_id: dialogId })
    .onConflict((oc) => oc.columns(['low_id', 'high_id']).doNothing())
    .returning('dialog_id')
    .execute()
  return rows.length > 0
}

export async function releasePrivatePair(store: Store, dialogId: string): Promise<void> {
  await store.db.deleteFrom('private_pairs').where('dialog_id', '=', dialogId).execute()
}
