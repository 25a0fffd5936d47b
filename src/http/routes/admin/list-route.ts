// The shape both admin lists share: parameters from the query string or GET body, parsed by the list
// language (src/query), a page or a count back.
import type { FastifyInstance } from 'fastify'
import type { TSchema } from 'typebox'
import type { ListAnswer } from '../../../services/admin-lists.ts'
import type { NextPages } from '../../../services/next-page.ts'
import type { Store } from '../../../store/connect.ts'
import type { KeyCheck } from '../../../store/keys.ts'
import { confirmAdminKey } from '../../auth.ts'
import { listParams, type ParamLimits } from '../../params.ts'
import { JSON_TYPE, sendAsIs } from '../../send-as-is.ts'
import { errorResponses } from '../../schemas/common.ts'

export interface AdminRouteDeps {
  store: Store
  limits: ParamLimits
  /** Export loops' next pages, prepared ahead; null: off (PARLEY_PREFETCH_PAGES=0). */
  nextPages: NextPages | null
}

interface ListRoute {
  url: string
  summary: string
  query: TSchema
  response: TSchema
  list(store: Store, params: Record<string, unknown>, nextPages: NextPages | null, key?: KeyCheck): Promise<ListAnswer>
}

export function listRoute(app: FastifyInstance, deps: AdminRouteDeps, route: ListRoute): void {
  app.get(route.url, {
    schema: {
      tags: ['admin'],
      security: [{ adminKey: [] }],
      summary: route.summary,
      description: 'Parameters may also be sent as a form or JSON body of the GET, as `curl -X GET -d` does.',
      querystring: route.query,
      response: { 200: route.response, ...errorResponses },
    },
    // The list language validates parameters itself (naming each bad one); the querystring schema
    // above is for the OpenAPI document only.
    validatorCompiler: () => () => true,
    // A deferred admin key is confirmed by the statement that reads the page (http/auth.ts).
    config: { confirmsAdminKey: true },
    handler: async (request, reply) => {
      let answer: ListAnswer
      try {
        answer = await route.list(deps.store, await listParams(request, deps.limits), deps.nextPages, request.adminKeyCheck)
      } finally {
        // A refused key's 401 takes the place of the answer, or of whatever failed.
        await confirmAdminKey(deps.store, request)
      }
      // The page comes as JSON text (the response schema documents it); a count answer is not a page,
      // so it is stringified as is rather than through the page serialiser.
      if ('page' in answer) return reply.type(JSON_TYPE).send(answer.page)
      return sendAsIs(reply, answer)
    },
  })
}
