// GET /health: 200 once the database answers, 503 while it does not.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ping, type Store } from '../../store/connect.ts'
import { ErrorBody } from '../schemas/common.ts'

export function healthRoutes(app: FastifyInstance, store: Store): void {
  app.get('/health', {
    schema: {
      tags: ['operations'],
      summary: 'Liveness and database reachability',
      response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: ErrorBody },
    },
    handler: async (request, reply) => {
      try {
        await ping(store)
        return { status: 'ok' as const }
      } catch (error) {
        request.log.warn({ err: error }, 'database unreachable')
        return reply.status(503).send({ errors: ['database unreachable'] })
      }
    },
  })
}
