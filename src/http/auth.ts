// The request hooks: the admin key (`CB-Administration-API-Key`), the session token (`CB-Token`),
// and the application auth key (`CB-AuthKey`) that sign-up and session creation require.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.ts'
import { authenticateAdmin, confirmAdmin, deferAdmin, type AdminIdentity } from '../services/keys.ts'
import { authenticateToken, checkAuthKey, ensureAuthKey, type SessionInfo } from '../services/sessions.ts'
import type { Store } from '../store/connect.ts'
import type { KeyCheck } from '../store/keys.ts'

declare module 'fastify' {
  interface FastifyRequest {
    adminKey?: AdminIdentity
    /** Set while the admin key is deferred, until confirmAdminKey confirms it. */
    adminKeyCheck?: KeyCheck
    session?: SessionInfo
  }
  interface FastifyContextConfig {
    /** The route passes request.adminKeyCheck to the statement that reads its answer, and calls confirmAdminKey. */
    confirmsAdminKey?: boolean
  }
}

export const ADMIN_KEY_HEADER = 'cb-administration-api-key'

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * The admin key's hook. On routes that confirm the key with their answer (the lists), a key this
 * process found live lately is not looked up now (services/keys.ts deferAdmin); everywhere else it is.
 */
export function requireAdminKey(store: Store) {
  return async (request: FastifyRequest): Promise<void> => {
    const presented = header(request, ADMIN_KEY_HEADER)
    const deferred = request.routeOptions.config.confirmsAdminKey ? deferAdmin(store, presented) : null
    if (deferred) {
      request.adminKey = deferred.identity
      request.adminKeyCheck = deferred.check
      return
    }
    request.adminKey = await authenticateAdmin(store, presented)
  }
}

/**
 * Confirms a deferred admin key — by the answer's own statement when it ran, else by a look-up now —
 * and throws 401 when it is not live. The list route calls it before it answers, and when it fails
 * (a refused key is refused before a bad parameter is named, as when it is looked up first).
 */
export async function confirmAdminKey(store: Store, request: FastifyRequest): Promise<void> {
  const check = request.adminKeyCheck
  if (check === undefined) return
  request.adminKeyCheck = undefined
  try {
    await confirmAdmin(store, header(request, ADMIN_KEY_HEADER), check)
  } catch (error) {
    // As for a key refused up front: the audit log sees no key.
    request.adminKey = undefined
    throw error
  }
}

/**
 * The admin scope's onSend hook, a backstop: an answer about to go out with its key still deferred
 * (a route set confirmsAdminKey and did not confirm) is confirmed first, and a key that is not live
 * turns it into a 401. Failures already answered (4xx, 5xx) carry no data and go out as they are.
 */
export function confirmBeforeSending(store: Store) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.adminKeyCheck === undefined) return
    if (reply.statusCode >= 400) request.adminKeyCheck = undefined
    else await confirmAdminKey(store, request)
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
