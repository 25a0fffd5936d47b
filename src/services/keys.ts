// Administration API keys: minted here, shown once, stored hashed, checked in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors.ts'
import type { Store } from '../store/connect.ts'
import { countActiveKeys, findKeyByHash, insertKey, listKeys, revokeKeys, touchKey } from '../store/keys.ts'
import type { AdminKeyRow } from '../store/schema.ts'

const hash = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest()
/** last_used_at is a hint for operators, not an audit trail: written at most once a minute per key. */
const TOUCH_EVERY_MS = 60_000

export interface KeyInfo {
  id: number
  name: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
const info = (row: AdminKeyRow): KeyInfo => ({
  id: row.id,
  name: row.name,
  created_at: iso(row.created_at) as string,
  last_used_at: iso(row.last_used_at),
  revoked_at: iso(row.revoked_at),
})

export async function createAdminKey(store: Store, name: string): Promise<{ key: string; info: KeyInfo }> {
  if (name.length === 0 || name.length > 100) throw new AppError('invalid_field', { name: ['must be 1 to 100 characters'] })
  const key = randomBytes(32).toString('base64url')
  const row = await insertKey(store, name, hash(key).toString('hex'), Date.now())
  return { key, info: info(row) }
}

export async function listAdminKeys(store: Store): Promise<KeyInfo[]> {
  return (await listKeys(store)).map(info)
}

export async function revokeAdminKey(store: Store, idOrName: string): Promise<KeyInfo[]> {
  return (await revokeKeys(store, idOrName, Date.now())).map(info)
}

export const hasActiveKey = async (store: Store): Promise<boolean> => (await countActiveKeys(store)) > 0

/** Who a request is: what the audit log and the rate limit need of its key. */
export type AdminIdentity = Pick<KeyInfo, 'id' | 'name'>

/** The key's id and name when `presented` is a live key; throws 401 otherwise. */
export async function authenticateAdmin(store: Store, presented: string | undefined): Promise<AdminIdentity> {
  if (!presented) throw new AppError('unauthorized', ['CB-Administration-API-Key header is required'])
  const digest = hash(presented)
  const row = await findKeyByHash(store, digest.toString('hex'))
  // The index lookup finds the candidate; the byte comparison itself is constant-time.
  const stored = row ? Buffer.from(row.key_hash, 'hex') : Buffer.alloc(digest.length)
  if (!row || !timingSafeEqual(stored, digest) || row.revoked_at !== null) {
    throw new AppError('unauthorized', ['CB-Administration-API-Key is not a valid key'])
  }
  const now = Date.now()
  if (row.last_used_at === null || now - row.last_used_at > TOUCH_EVERY_MS) await touchKey(store, row.id, now)
  return { id: row.id, name: row.name }
}
