// Users: sign-up with a scrypt-hashed password, the wire item, and the users list (through the
// same list language as every other list, src/query).
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { AppError, ParameterErrors, notFound } from '../errors.ts'
import { USERS } from '../query/catalogue.ts'
import { parseListQuery } from '../query/parse.ts'
import { planList } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import type { UserRow } from '../store/schema.ts'
import { deleteUserRows, findUser, findUserBy, insertUser, listUsers, updateUserRow, type NewUser } from '../store/users.ts'
import type { SessionInfo } from './sessions.ts'
import { formatTime } from './time.ts'
import { isUserId } from './user-ids.ts'

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>
// N=2^14, r=8, p=1: OWASP's minimum for scrypt; the parameters are stored with each hash so they can grow.
const COST = { N: 16384, r: 8, p: 1 }

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, 32, COST)
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(N), r: Number(r), p: Number(p) })
  return timingSafeEqual(actual, expected)
}

export interface SignUp {
  login?: string
  email?: string
  password?: string
  full_name?: string
  phone?: string
  website?: string
  custom_data?: string
  external_user_id?: number
  external_id?: string
  facebook_id?: string
  twitter_id?: string
  blob_id?: number
  avatar?: string
  tag_list?: string
  timezone?: number
}

const iso = (ms: number | null): string | null => (ms === null ? null : formatTime(ms))

export function toUserItem(row: UserRow): Record<string, unknown> {
  return {
    id: row.id,
    full_name: row.full_name,
    email: row.email,
    login: row.login,
    phone: row.phone,
    website: row.website,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    last_request_at: iso(row.last_request_at),
    external_user_id: row.external_user_id,
    external_id: row.external_id,
    facebook_id: row.facebook_id,
    twitter_id: row.twitter_id,
    blob_id: row.blob_id,
    custom_data: row.custom_data,
    avatar: row.avatar,
    user_tags: row.user_tags,
    timezone: row.timezone,
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

// The rules of sign-up and Update User alike. A login or email given blank is no login or email.
const givenLogin = (login: string | null | undefined): string | null => login?.trim() || null
const givenEmail = (email: string | null | undefined): string | null => email?.trim().toLowerCase() || null

function checkIdentity(login: string | null, email: string | null, errors: ParameterErrors): void {
  if (login === null && email === null) errors.add('user[login]', 'login or email is required')
  if (login !== null && !/^\S{3,50}$/.test(login)) errors.add('user[login]', 'must be 3 to 50 characters without spaces')
  if (email !== null && (!EMAIL.test(email) || email.length > 255)) errors.add('user[email]', 'is not a valid email address')
}

function checkNewPassword(password: string | undefined, errors: ParameterErrors): void {
  if (password === undefined || password.length < 8 || password.length > 200) errors.add('user[password]', 'must be 8 to 200 characters')
}

/** Which of a new login and email another user holds, once the unique index has refused one of them. */
async function takenField(store: Store, login: string | null, email: string | null, me?: number): Promise<string> {
  const owner = login === null ? undefined : await findUserBy(store, 'login', login)
  return owner !== undefined && owner.id !== me ? 'user[login]' : email === null ? 'user[login]' : 'user[email]'
}

export async function signUp(store: Store, input: SignUp): Promise<UserRow> {
  const errors = new ParameterErrors()
  const login = givenLogin(input.login)
  const email = givenEmail(input.email)
  checkIdentity(login, email, errors)
  checkNewPassword(input.password, errors)
  errors.throwIfAny('invalid_field')
  const now = Date.now()
  const user: NewUser = {
    login,
    email,
    password_hash: await hashPassword(input.password as string),
    full_name: input.full_name ?? null,
    phone: input.phone ?? null,
    website: input.website ?? null,
    custom_data: input.custom_data ?? null,
    external_user_id: input.external_user_id ?? null,
    external_id: input.external_id ?? null,
    facebook_id: input.facebook_id ?? null,
    twitter_id: input.twitter_id ?? null,
    blob_id: input.blob_id ?? null,
    avatar: input.avatar ?? null,
    user_tags: input.tag_list ?? null,
    timezone: input.timezone ?? null,
    created_at: Math.floor(now / 1000) * 1000,
    updated_at: Math.floor(now / 1000) * 1000,
    last_request_at: null,
  }
  const row = await insertUser(store, user)
  if (!row) throw new AppError('invalid_field', { [await takenField(store, login, email)]: ['has already been taken'] })
  return row
}

/** A path's whole number (`user_id`, `external_user_id`): a safe integer, or a 400 naming it. */
function pathNumber(raw: string, name: string): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n)) throw new AppError('bad_parameter', { [name]: ['must be an integer'] })
  return n
}

const parseUserId = (rawId: string): number => pathNumber(rawId, 'user_id')

export async function getUser(store: Store, rawId: string): Promise<Record<string, unknown>> {
  const id = parseUserId(rawId)
  // An id users.id cannot hold is no user's: not looked up, as PostgreSQL would refuse the comparison.
  const row = isUserId(id) ? await findUser(store, id) : undefined
  if (!row) throw notFound('User')
  return toUserItem(row)
}

/** Update User's fields: sign-up's, each also null to clear it, and the current password to change it. */
export type UserUpdate = { [K in Exclude<keyof SignUp, 'password'>]?: SignUp[K] | null } & { password?: string; old_password?: string }

/** Profile fields: copied as given (tag_list is stored as user_tags). */
const PROFILE = ['full_name', 'phone', 'website', 'custom_data', 'external_user_id', 'external_id', 'facebook_id', 'twitter_id', 'blob_id', 'avatar', 'timezone'] as const

/** A user changes their own account only; an id that is not the session's is refused whether or not it exists. */
function ownAccount(session: SessionInfo, id: number, what: string): void {
  if (id !== session.userId) throw new AppError('forbidden', [`Users can ${what} their own account only`])
}

/**
 * Update User (`PUT /users/{id}`). A new password needs the current one (`old_password`), and signs
 * the user out of every other session. The password is checked and hashed before the transaction
 * (scrypt takes tens of ms, and SQLite's one connection would wait for it); the update then applies
 * only if the password is still the one checked.
 */
export async function updateUser(store: Store, session: SessionInfo, rawId: string, input: UserUpdate): Promise<Record<string, unknown>> {
  const id = parseUserId(rawId)
  ownAccount(session, id, 'update')
  // The session's own id: always one users.id can hold.
  const current = await findUser(store, id)
  if (!current) throw notFound('User')

  const errors = new ParameterErrors()
  const set: Partial<NewUser> = {}
  if (input.login !== undefined) set.login = givenLogin(input.login)
  if (input.email !== undefined) set.email = givenEmail(input.email)
  const login = set.login !== undefined ? set.login : current.login
  const email = set.email !== undefined ? set.email : current.email
  if (input.login !== undefined || input.email !== undefined) checkIdentity(login, email, errors)
  if (input.password !== undefined) {
    checkNewPassword(input.password, errors)
    if (input.old_password === undefined) errors.add('user[old_password]', 'is required to change the password')
  } else if (input.old_password !== undefined) {
    errors.add('user[old_password]', 'is only used with user[password]')
  }
  errors.throwIfAny('invalid_field')
  if (input.password !== undefined && !(await checkPassword(input.old_password as string, current.password_hash))) {
    throw new AppError('invalid_field', { 'user[old_password]': ['is not the current password'] })
  }

  for (const field of PROFILE) if (input[field] !== undefined) Object.assign(set, { [field]: input[field] })
  if (input.tag_list !== undefined) set.user_tags = input.tag_list
  if (input.password !== undefined) set.password_hash = await hashPassword(input.password)
  set.updated_at = Math.floor(Date.now() / 1000) * 1000

  const row = await updateUserRow(store, id, set, current.password_hash, input.password === undefined ? undefined : session.id)
  if (row === 'taken') throw new AppError('invalid_field', { [await takenField(store, set.login ?? null, set.email ?? null, id)]: ['has already been taken'] })
  if (row === undefined) throw new AppError('conflict', ['The account changed while this update was checked (a new password, or deleted); read it and try again'])
  return toUserItem(row)
}

/** Delete User (`DELETE /users/{id}`): the account and its sessions; what the user wrote stays (store/users.ts deleteUserRows). */
export async function deleteUser(store: Store, session: SessionInfo, rawId: string): Promise<void> {
  const id = parseUserId(rawId)
  ownAccount(session, id, 'delete')
  if (!(await deleteUserRows(store, id))) throw notFound('User')
}

/** Delete User by external user ID (`DELETE /users/external/{id}`): the session's own account, named by its external_user_id. */
export async function deleteUserByExternalId(store: Store, session: SessionInfo, rawExternalId: string): Promise<void> {
  const external = pathNumber(rawExternalId, 'external_user_id')
  const me = await findUser(store, session.userId)
  if (!me) throw notFound('User')
  if (me.external_user_id === null || Number(me.external_user_id) !== external) throw new AppError('forbidden', ['Users can delete their own account only'])
  if (!(await deleteUserRows(store, me.id))) throw notFound('User')
}

/** GET /users: the list language over users; `offset` (Retrieve Users V2) is taken as `skip`. */
export async function listUserItems(store: Store, params: Record<string, unknown>) {
  const { offset, ...rest } = params
  if (offset !== undefined) {
    if (rest.skip !== undefined) throw new AppError('bad_parameter', { offset: ['give offset or skip, not both'] })
    rest.skip = offset
  }
  const plan = planList(parseListQuery(rest, USERS), USERS)
  // As Retrieve Users V2 requires: a filter, so that no client can page through every account.
  if (plan.conditions.length === 0) throw new AppError('bad_parameter', { id: ['give at least one filter, such as id[in]=45,78 or login=…'] })
  const { rows, total } = await listUsers(store, plan)
  if (plan.count) return { items: { count: total } }
  return { total_entries: total, skip: plan.skip, limit: plan.limit, items: rows.map(toUserItem) }
}
