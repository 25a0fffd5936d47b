// Administration API keys: minted here, shown once, stored hashed, checked in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors.ts'
import type { Store } from '../store/connect.ts'
import { countActiveKeys, findKeyByHash, insertKey, listKeys, revokeKeys, touchKey, type KeyCheck } from '../store/keys.ts'
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

const notValid = () => new AppError('unauthorized', ['CB-Administration-API-Key is not a valid key'])

/** The key's id and name when `presented` is a live key; throws 401 otherwise. */
export async function authenticateAdmin(store: Store, presented: string | undefined): Promise<AdminIdentity> {
  if (!presented) throw new AppError('unauthorized', ['CB-Administration-API-Key header is required'])
  const digest = hash(presented)
  const keyHash = digest.toString('hex')
  const row = await findKeyByHash(store, keyHash)
  // The index lookup finds the candidate; the byte comparison itself is constant-time.
  const stored = row ? Buffer.from(row.key_hash, 'hex') : Buffer.alloc(digest.length)
  if (!row || !timingSafeEqual(stored, digest) || row.revoked_at !== null) {
    forgetKey(store, keyHash)
    throw notValid()
  }
  const now = Date.now()
  let touched = row.last_used_at ?? 0
  if (now - touched > TOUCH_EVERY_MS) await touchKey(store, row.id, (touched = now))
  const identity = { id: row.id, name: row.name }
  if (store.dialect.statementsCostRoundTrips) rememberKey(store, keyHash, { identity, touched })
  return identity
}

// Deferred keys. On PostgreSQL the look-up above is a round trip of its own, a fifth of an admin
// page's time (docs/performance.md §6l). A key found live here before may instead be confirmed by
// the statement that reads the page (store/items.ts), in the same snapshot as the page: as exact
// as looking it up first — a key revoked a moment ago, by any process, is refused — with one round
// trip instead of two. Only for keys this process found live itself, so an unknown key never
// reaches the page's statement; and at most TOUCH_EVERY_MS after the key was last touched, so
// last_used_at is still written as often as before. Whoever defers must confirm (confirmAdmin)
// before anything of the answer is sent.

interface LiveKey {
  readonly identity: AdminIdentity
  /** Its last_used_at as this process last wrote or read it. */
  readonly touched: number
}

/** Per store (keyed by its counts, which a store's views share), the keys found live, oldest first. */
const liveKeys = new WeakMap<Store['counts'], Map<string, LiveKey>>()
/** Keys remembered per store: an app has a handful. */
const MAX_LIVE_KEYS = 64

function rememberKey(store: Store, keyHash: string, key: LiveKey): void {
  let known = liveKeys.get(store.counts)
  if (!known) liveKeys.set(store.counts, (known = new Map()))
  known.delete(keyHash)
  known.set(keyHash, key)
  if (known.size > MAX_LIVE_KEYS) known.delete(known.keys().next().value as string)
}

function forgetKey(store: Store, keyHash: string): void {
  liveKeys.get(store.counts)?.delete(keyHash)
}

/** A key whose confirmation is left to the answer's own statement. */
export interface DeferredKey {
  readonly identity: AdminIdentity
  readonly check: KeyCheck
}

/** The identity of `presented` without a look-up, when this process found it live and touched it lately; null otherwise. */
export function deferAdmin(store: Store, presented: string | undefined): DeferredKey | null {
  if (!presented) return null
  const keyHash = hash(presented).toString('hex')
  const known = liveKeys.get(store.counts)?.get(keyHash)
  if (!known || Date.now() - known.touched > TOUCH_EVERY_MS) return null
  return { identity: known.identity, check: { keyHash } }
}

/**
 * Confirms a deferred key: live in the statement that read the answer, or else looked up now (when
 * no such statement ran: the page took another path, or the request failed before it). Throws 401
 * when the key is not live.
 */
export async function confirmAdmin(store: Store, presented: string | undefined, check: KeyCheck): Promise<void> {
  if (check.live === true) return
  if (check.live === false) {
    forgetKey(store, check.keyHash)
    throw notValid()
  }
  await authenticateAdmin(store, presented)
}
