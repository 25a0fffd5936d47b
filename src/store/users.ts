// User rows: sign-up, look-ups by id / login / email, and a filtered page for the users list.
import { sql } from 'kysely'
import { isInt32 } from '../int32.ts'
import { applyPage, whereOf } from '../query/apply.ts'
import type { ListPlan } from '../query/plan.ts'
import type { Store } from './connect.ts'
import { deleteOtherSessions } from './sessions.ts'
import { withTransaction } from './transaction.ts'
import type { UserRow, UserTable } from './schema.ts'

export type NewUser = Omit<UserTable, 'id'>

/** The new user's row, or undefined when the login or email is taken (a unique index decides, race-free). */
export async function insertUser(store: Store, user: NewUser): Promise<UserRow | undefined> {
  return store.db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst()
}

/**
 * Updates a user, and with `signOutOthersBut` deletes every other session of theirs, in one
 * transaction. The updated row; 'taken' when a new login or email is another user's (the unique
 * index decides, race-free; caught outside the transaction, which PostgreSQL aborts on the error);
 * undefined when the user is gone or their password is no longer `passwordHash` (changed meanwhile).
 */
export async function updateUserRow(
  store: Store,
  id: number,
  set: Partial<NewUser>,
  passwordHash: string,
  signOutOthersBut?: number,
): Promise<UserRow | 'taken' | undefined> {
  try {
    return await withTransaction(store, async (tx) => {
      const row = await tx.db.updateTable('users').set(set).where('id', '=', id).where('password_hash', '=', passwordHash).returningAll().executeTakeFirst()
      if (row && signOutOthersBut !== undefined) await deleteOtherSessions(tx, id, signOutOthersBut)
      return row
    })
  } catch (error) {
    if (store.dialect.isUniqueViolation(error)) return 'taken'
    throw error
  }
}

/**
 * Removes the account and its sessions, nothing else: dialogs, memberships and messages keep the
 * id, as they keep the ids of an imported app's users who have no account here. One transaction;
 * whether the user existed.
 */
export async function deleteUserRows(store: Store, id: number): Promise<boolean> {
  return withTransaction(store, async (tx) => {
    await tx.db.deleteFrom('sessions').where('user_id', '=', id).execute()
    const { numDeletedRows } = await tx.db.deleteFrom('users').where('id', '=', id).executeTakeFirst()
    return numDeletedRows > 0n
  })
}

export async function findUser(store: Store, id: number): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function findUserBy(store: Store, by: 'login' | 'email', value: string): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where(by, '=', value).executeTakeFirst()
}

/**
 * The ids users.id can hold (a serial: 32 bits on PostgreSQL, which refuses to compare it with a
 * wider value, 22003): no other id is a user's. Membership rows may hold wider ones, written by the
 * admin Dialog Update before it checked its ids.
 */
const possibleIds = (ids: number[]): number[] => ids.filter(isInt32)

/** Which of `ids` are users. */
export async function existingUserIds(store: Store, ids: number[]): Promise<number[]> {
  const possible = possibleIds(ids)
  if (possible.length === 0) return []
  const rows = await store.db.selectFrom('users').select('id').where('id', 'in', possible).execute()
  return rows.map((r) => r.id)
}

export async function listUsers(store: Store, plan: ListPlan): Promise<{ rows: UserRow[]; total: number }> {
  const rows = (await applyPage(store.db.selectFrom('users').selectAll(), plan, store.dialect).execute()) as UserRow[]
  const { n } = await store.db
    .selectFrom('users')
    .select(sql<number>`count(*)`.as('n'))
    .where(whereOf({ conditions: plan.conditions }, store.dialect))
    .executeTakeFirstOrThrow()
  return { rows, total: Number(n) }
}

/** Users by id, in the given order of ids (the occupants of a dialog). */
export async function usersByIds(store: Store, ids: number[]): Promise<UserRow[]> {
  const possible = possibleIds(ids)
  if (possible.length === 0) return []
  const rows = await store.db.selectFrom('users').selectAll().where('id', 'in', possible).execute()
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.flatMap((id) => byId.get(id) ?? [])
}

export async function touchUser(store: Store, id: number, now: number): Promise<void> {
  await store.db.updateTable('users').set({ last_request_at: now }).where('id', '=', id).execute()
}
