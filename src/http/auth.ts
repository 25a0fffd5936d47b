// The admin key hook: routes under it need a live `CB-Administration-API-Key`.
import type { FastifyRequest } from 'fastify'
import { authenticateAdmin, type KeyInfo } from '../services/keys.ts'
import type { Store } from '../store/connect.ts'

declare module 'fastify' {
  interface FastifyRequest {
    adminKey?: KeyInfo
  }
}

export const ADMIN_KEY_HEADER = 'cb-administration-api-key'

export function requireAdminKey(store: Store) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers[ADMIN_KEY_HEADER]
    request.adminKey = await authenticateAdmin(store, Array.isArray(header) ? header[0] : header)
  }
}
