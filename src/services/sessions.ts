// Sessions and the application's auth key. Tokens are 160 random bits shown once and stored as a
// SHA-256; a token is valid for 2 hours after its last use (the spec's "any API request prolongs").
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors.ts'
import type { Store } from '../store/connect.ts'
import { deleteExpiredSessions, deleteSession, findSession, findSessionByHash, insertSession, prolongSession, readSetting, settingOrInsert } from '../store/sessions.ts'
import type { SessionRow, UserRow } from '../store/schema.ts'
import { findUser, findUserBy, touchUser } from '../store/users.ts'
import { formatTime } from './time.ts'
import { checkPassword, signUp, toUserItem } from './users.ts'

export const SESSION_TTL_MS = 2 * 60 * 60 * 1000
/** Prolonging writes at most once a minute per session: a busy client is not one UPDATE per request. */
const PROLONG_EVERY_MS = 60_000
const AUTH_KEY_SETTING = 'auth_key'

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/** The auth key in force: the configured one, or the stored one (generated and stored on first call). */
export async function ensureAuthKey(store: Store, configured: string | null): Promise<string> {
  if (configured !== null) return configured
  return settingOrInsert(store, AUTH_KEY_SETTING, randomBytes(16).toString('base64url'))
}

export const storedAuthKey = (store: Store): Promise<string | undefined> => readSetting(store, AUTH_KEY_SETTING)

export function checkAuthKey(presented: string | undefined, expected: string): void {
  if (!presented) throw new AppError('unauthorized', ['The application auth key is required: CB-AuthKey header or auth_key parameter'])
  if (!timingSafeEqual(sha256(presented), sha256(expected))) throw new AppError('unauthorized', ['Unknown application auth key'])
}

export interface Credentials {
  login?: string
  email?: string
  password?: string
}

export interface SessionInfo {
  id: number
  userId: number
}

function sessionItem(row: SessionRow, user: UserRow, token: string | null) {
  return {
    session: {
      id: row.id,
      user_id: row.user_id,
      application_id: 1,
      ...(token === null ? {} : { token }),
      ts: Math.floor(row.created_at / 1000),
      created_at: formatTime(Math.floor(row.created_at / 1000) * 1000),
      updated_at: formatTime(Math.floor(row.updated_at / 1000) * 1000),
      user: toUserItem(user),
    },
  }
}

const badCredentials = () => new AppError('unauthorized', ['Unauthorized'])

export async function createSession(store: Store, credentials: Credentials, createsUsers: boolean) {
  const by = credentials.login !== undefined ? 'login' : credentials.email !== undefined ? 'email' : null
  if (by === null) throw new AppError('invalid_field', { 'user[login]': ['user[login] or user[email] is required'] })
  if (credentials.password === undefined) throw new AppError('invalid_field', { 'user[password]': ['is required'] })
  const value = by === 'email' ? (credentials.email as string).trim().toLowerCase() : (credentials.login as string).trim()
  let user = await findUserBy(store, by, value)
  if (!user && createsUsers) user = await signUp(store, { [by]: value, password: credentials.password })
  // One answer for an unknown user and a wrong password: a caller cannot probe which logins exist.
  if (!user || !(await checkPassword(credentials.password, user.password_hash))) throw badCredentials()
  const token = randomBytes(20).toString('hex')
  const now = Date.now()
  await deleteExpiredSessions(store, user.id, now)
  const row = await insertSession(store, user.id, sha256(token).toString('hex'), now, now + SESSION_TTL_MS)
  await touchUser(store, user.id, Math.floor(now / 1000) * 1000)
  return sessionItem(row, { ...user, last_request_at: Math.floor(now / 1000) * 1000 }, token)
}

/** The live session a CB-Token names, prolonged; 401 otherwise. */
export async function authenticateToken(store: Store, token: string | undefined): Promise<SessionInfo> {
  if (!token) throw new AppError('unauthorized', ['CB-Token header is required'])
  const row = await findSessionByHash(store, sha256(token).toString('hex'))
  const now = Date.now()
  if (!row || row.expires_at <= now) throw new AppError('unauthorized', ['Token is not valid or has expired'])
  if (now + SESSION_TTL_MS - row.expires_at > PROLONG_EVERY_MS) await prolongSession(store, row.id, now, now + SESSION_TTL_MS)
  return { id: row.id, userId: row.user_id }
}

export async function describeSession(store: Store, session: SessionInfo) {
  const row = await findSession(store, session.id)
  if (!row) throw new AppError('unauthorized', ['Token is not valid or has expired'])
  const user = await findUser(store, session.userId)
  if (!user) throw new AppError('unauthorized', ['The session user no longer exists'])
  return sessionItem(row, user, null)
}

export const destroySession = (store: Store, session: SessionInfo): Promise<void> => deleteSession(store, session.id)
