// The request hooks: the admin key (`CB-Administration-API-Key`), the session token (`CB-Token`),
// and the application auth key (`CB-AuthKey`) that sign-up and session creation require.
import type { FastifyRequest } from 'fastify'
import type { Config } from '../config.ts'
import { authenticateAdmin, type AdminIdentity } from '../services/keys.ts'
import { authenticateToken, checkAuthKey, ensureAuthKey, type SessionInfo } from '../services/sessions.ts'
import type { Store } from '../store/connect.ts'

declare module 'fastify' {
  interface FastifyRequest {
    adminKey?: AdminIdentity
    session?: SessionInfo
  }
}

export const ADMIN_KEY_HEADER = 'cb-administration-api-key'

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

export function requireAdminKey(store: Store) {
  return async (request: FastifyRequest): Promise<void> => {
    request.adminKey = await authenticateAdmin(store, header(request, ADMIN_KEY_HEADER))
  }
}

export function requireSession(store: Store) {
  return async (request: FastifyRequest): Promise<void> => {
    request.session = await authenticateToken(store, header(request, 'cb-token'))
  }
}

/** The signed-in user of a request under requireSession. */
export const userOf = (request: FastifyRequest): number => (request.session as SessionInfo).userId

/** Checks the auth key of a request: the CB-AuthKey header, or `auth_key` in its body. */
export function authKeyChecker(store: Store, config: Config) {
  // Read once per process; a failed read (database down) is retried on the next request.
  let expected: Promise<string> | null = null
  return async (request: FastifyRequest, bodyKey: string | undefined): Promise<void> => {
    expected ??= ensureAuthKey(store, config.chat.authKey).catch((error: unknown) => {
      expected = null
      throw error
    })
    checkAuthKey(header(request, 'cb-authkey') ?? bodyKey, await expected)
  }
}
