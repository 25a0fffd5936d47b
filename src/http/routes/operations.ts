// GET /ready and GET /metrics, for load balancers and Prometheus (docs/operations.md). /health
// (health.ts) says the process and its database answer; /ready says "send me traffic": not before
// every migration has run, not while the database is unreachable, not once draining for shutdown.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import { authenticateAdmin } from '../../services/keys.ts'
import type { NextPages } from '../../services/next-page.ts'
import { pendingMigrations, ping, type Store } from '../../store/connect.ts'
import { ADMIN_KEY_HEADER } from '../auth.ts'
import type { HttpMetrics } from '../metrics.ts'
import { ErrorBody } from '../schemas/common.ts'

export interface Readiness {
  draining: boolean
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

/** An admin key, or `Authorization: Bearer <PARLEY_METRICS_TOKEN>` when one is configured. */
function metricsAccess(store: Store, token: string | null) {
  return async (request: FastifyRequest): Promise<void> => {
    const bearer = /^Bearer (.+)$/.exec(first(request.headers.authorization) ?? '')?.[1]
    if (bearer !== undefined) {
      if (token !== null && timingSafeEqual(sha256(bearer), sha256(token))) return
      throw new AppError('unauthorized', ['Authorization bearer token is not the metrics token'])
    }
    if (first(request.headers[ADMIN_KEY_HEADER]) === undefined) {
      throw new AppError('unauthorized', [`/metrics needs CB-Administration-API-Key${token === null ? '' : ' or Authorization: Bearer <PARLEY_METRICS_TOKEN>'}`])
    }
    await authenticateAdmin(store, first(request.headers[ADMIN_KEY_HEADER]))
  }
}

export function operationsRoutes(app: FastifyInstance, deps: { store: Store; readiness: Readiness; metrics: HttpMetrics; metricsToken: string | null; nextPages: NextPages | null }): void {
  const { store, readiness, metrics } = deps
  // Once every migration is seen applied it stays so: a running process never un-migrates.
  let migrated = false

  app.get('/ready', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: 200 when migrated, the database answers and the process is not shutting down; 503 otherwise',
      response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ErrorBody },
    },
    handler: async (request, reply) => {
      if (readiness.draining) return reply.status(503).send({ errors: ['shutting down'] })
      try {
        if (!migrated) {
          const pending = await pendingMigrations(store)
          if (pending > 0) return reply.status(503).send({ errors: [`${pending} migrations not applied yet`] })
          migrated = true
        }
        await ping(store)
      } catch (error) {
        request.log.warn({ err: error }, 'not ready: database unreachable')
        return reply.status(503).send({ errors: ['database unreachable'] })
      }
      return { status: 'ready' as const }
    },
  })

  app.get('/metrics', {
    onRequest: metricsAccess(store, deps.metricsToken),
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text format): requests and latency per route, store connections, exports, process',
      security: [{ adminKey: [] }, { metricsToken: [] }],
      response: { 200: Type.String(), 401: ErrorBody },
    },
    handler: async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render(store, deps.nextPages?.stats ?? null)),
  })
}
