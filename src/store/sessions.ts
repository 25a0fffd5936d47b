// Session rows (tokens stored as SHA-256 hex) and app settings such as the generated auth key.
import type { Store } from './connect.ts'
import type { SessionRow } from './schema.ts'

export async function insertSession(store: Store, userId: number, tokenHash: string, now: number, expiresAt: number): Promise<SessionRow> {
  return store.db
    .insertInto('sessions')
    .values({ token_hash: tokenHash, user_id: userId, created_at: now, updated_at: now, expires_at: expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findSessionByHash(store: Store, tokenHash: string): Promise<SessionRow | undefined> {
  return store.db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
}

export async function findSession(store: Store, id: number): Promise<SessionRow | undefined> {
  return store.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function prolongSession(store: Store, id: number, now: number, expiresAt: number): Promise<void> {
  await store.db.updateTable('sessions').set({ updated_at: now, expires_at: expiresAt }).where('id', '=', id).execute()
}

export async function deleteSession(store: Store, id: number): Promise<void> {
  await store.db.deleteFrom('sessions').where('id', '=', id).execute()
}

/** Every session of a user but one: a password change signs the user out everywhere else. */
export async function deleteOtherSessions(store: Store, userId: number, keepId: number): Promise<void> {
  await store.db.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', keepId).execute()
}

/** Expired sessions go when their user signs in again, so the table does not grow without bound. */
export async function deleteExpiredSessions(store: Store, userId: number, now: number): Promise<void> {
  await store.db.deleteFrom('sessions').where('user_id', '=', userId).where('expires_at', '<', now).execute()
}

export async function readSetting(store: Store, name: string): Promise<string | undefined> {
  const row = await store.db.selectFrom('app_settings').select('value').where('name', '=', name).executeTakeFirst()
  return row?.value
}

/** Stores `value` unless the setting exists; returns what is stored (a concurrent first start keeps one). */
export async function settingOrInsert(store: Store, name: string, value: string): Promise<string> {
  await store.db.insertInto('app_settings').values({ name, value }).onConflict((oc) => oc.column('name').doNothing()).execute()
  return (await readSetting(store, name)) as string
}
