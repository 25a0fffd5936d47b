// The hook that feeds the admin audit log: every answered request under /admin/, refused ones
// included (no key, revoked key), with its parameters (secrets redacted, capped) and its timing.
import type { FastifyInstance } from 'fastify'
import type { AuditLog } from '../services/admin-audit.ts'
import { redactParams } from './secrets.ts'

/** Longest params JSON kept per entry: filters are short; a large body is cut, not stored whole. */
export const PARAMS_CAP = 2000

const some = (v: unknown): v is object => v !== null && typeof v === 'object' && Object.keys(v).length > 0

function paramsOf(path: unknown, query: unknown, body: unknown): string {
  const params: Record<string, unknown> = {}
  if (some(path)) params.path = path
  if (some(query)) params.query = redactParams(query)
  if (body !== undefined && body !== null) params.body = typeof body === 'object' ? redactParams(body) : '[not an object]'
  const text = JSON.stringify(params)
  return text.length > PARAMS_CAP ? `${text.slice(0, PARAMS_CAP)}…` : text
}

export function auditAdminRequests(admin: FastifyInstance, audit: AuditLog): void {
  admin.addHook('onResponse', async (request, reply) => {
    const elapsed = reply.elapsedTime
    audit.record({
      at: Math.round(Date.now() - elapsed),
      key_id: request.adminKey?.id ?? null,
      key_name: request.adminKey?.name ?? null,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0]!,
      params: paramsOf(request.params, request.query, request.body ?? request.getBodyParams),
      status: reply.statusCode,
      duration_us: Math.round(elapsed * 1000),
      remote: request.ip ?? null,
    })
  })
}
