// Administration API keys. Only a SHA-256 of each key is stored; keys are 256 random bits, so a
// fast hash is enough (there is nothing to brute-force) and lets a request find its key by index.
import { sql } from 'kysely'
import { compiledOnce } from './compiled.ts'
import type { Store } from './connect.ts'
import type { AdminKeyRow } from './schema.ts'

export async function insertKey(store: Store, name: string, keyHash: string, now: number): Promise<AdminKeyRow> {
  return store.db
    .insertInto('admin_keys')
    .values({ name, key_hash: keyHash, created_at: now, last_used_at: null, revoked_at: null })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Every Administration API request's first query: compiled once (store/compiled.ts). */
export async function findKeyByHash(store: Store, keyHash: string): Promise<AdminKeyRow | undefined> {
  const query = compiledOnce(store, 'admin key by hash', [keyHash], ([hash]) =>
    store.db.selectFrom('admin_keys').selectAll().where('key_hash', '=', hash as string),
  )
  return (await store.db.executeQuery<AdminKeyRow>(query)).rows[0]
}

/**
 * A key an admin list page confirms in the statement that reads the page, instead of a look-up of
 * its own before it (services/keys.ts deferAdmin): `live` is set once such a statement has run.
 */
export interface KeyCheck {
  readonly keyHash: string
  live?: boolean
}

/** A column for that statement: 1 while the key is live in its snapshot, 0 once revoked (or gone). */
export const liveKeyColumn = (keyHash: string) =>
  sql<number>`(select count(*) from admin_keys where key_hash = ${keyHash} and revoked_at is null)`

export async function listKeys(store: Store): Promise<AdminKeyRow[]> {
  return store.db.selectFrom('admin_keys').selectAll().orderBy('id').execute()
}

export async function countActiveKeys(store: Store): Promise<number> {
  const rows = await store.db.selectFrom('admin_keys').select('id').where('revoked_at', 'is', null).execute()
  return rows.length
}

/** Revokes by id or by name; returns the keys revoked now. */
export async function revokeKeys(store: Store, idOrName: string, now: number): Promise<AdminKeyRow[]> {
  const byId = /^\d+$/.test(idOrName) ? Number(idOrName) : -1
  return store.db
    .updateTable('admin_keys')
    .set({ revoked_at: now })
    .where((eb) => eb.or([eb('id', '=', byId), eb('name', '=', idOrName)]))
    .where('revoked_at', 'is', null)
    .returningAll()
    .execute()
}

export async function touchKey(store: Store, id: number, now: number): Promise<void> {
  await store.db.updateTable('admin_keys').set({ last_used_at: now }).where('id', '=', id).execute()
}
