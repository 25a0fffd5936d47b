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
import { findUser, findUserBy, insertUser, listUsers, type NewUser } from '../store/users.ts'
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

export async function signUp(store: Store, input: SignUp): Promise<UserRow> {
  const errors = new ParameterErrors()
  const login = input.login?.trim() || undefined
  const email = input.email?.trim().toLowerCase() || undefined
  if (login === undefined && email === undefined) errors.add('user[login]', 'login or email is required')
  if (login !== undefined && !/^\S{3,50}$/.test(login)) errors.add('user[login]', 'must be 3 to 50 characters without spaces')
  if (email !== undefined && (!EMAIL.test(email) || email.length > 255)) errors.add('user[email]', 'is not a valid email address')
  if (input.password === undefined || input.password.length < 8 || input.password.length > 200) {
    errors.add('user[password]', 'must be 8 to 200 characters')
  }
  errors.throwIfAny('invalid_field')
  const now = Date.now()
  const user: NewUser = {
    login: login ?? null,
    email: email ?? null,
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
  if (!row) {
    const loginTaken = login !== undefined && (await findUserBy(store, 'login', login)) !== undefined
    throw new AppError('invalid_field', { [loginTaken || email === undefined ? 'user[login]' : 'user[email]']: ['has already been taken'] })
  }
  return row
}

export async function getUser(store: Store, rawId: string): Promise<Record<string, unknown>> {
  const id = /^\d{1,15}$/.test(rawId) ? Number(rawId) : NaN
  if (!Number.isSafeInteger(id)) throw new AppError('bad_parameter', { user_id: ['must be an integer'] })
  // An id users.id cannot hold is no user's: not looked up, as PostgreSQL would refuse the comparison.
  const row = isUserId(id) ? await findUser(store, id) : undefined
  if (!row) throw notFound('User')
  return toUserItem(row)
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
