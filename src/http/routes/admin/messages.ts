// GET /admin/chat/messages/list (Messages List) and GET /admin/chat/messages/per_day (its filters,
// counted per UTC day: the console's chart).
import type { FastifyInstance } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { ADMIN_MESSAGES } from '../../../query/catalogue.ts'
import { listAdminMessages } from '../../../services/admin-lists.ts'
import { MAX_DAYS, messagesPerDay } from '../../../services/message-days.ts'
import { listParams } from '../../params.ts'
import { errorResponses, listEnvelope, listParamsDoc } from '../../schemas/common.ts'
import { MessageSchema, MessagesPerDaySchema } from '../../schemas/messages.ts'
import { listRoute, type AdminRouteDeps } from './list-route.ts'

/** The list's filters, without paging, sorting or count. */
function filterParamsDoc() {
  const props: Record<string, TSchema> = { ...listParamsDoc(ADMIN_MESSAGES).properties }
  for (const name of ['limit', 'skip', 'count', 'sort_asc', 'sort_desc']) delete props[name]
  return Type.Object(props)
}

export function adminMessageRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  listRoute(app, deps, {
    url: '/admin/chat/messages/list',
    summary: 'Messages List: every message of the app, filtered, sorted and paged',
    query: listParamsDoc(ADMIN_MESSAGES),
    response: listEnvelope(MessageSchema),
    list: listAdminMessages,
  })

  app.get('/admin/chat/messages/per_day', {
    schema: {
      tags: ['admin'],
      security: [{ adminKey: [] }],
      summary: 'Messages per day: how many messages the Messages List filters match on each UTC day of created_at',
      description:
        `The list filters, without limit, skip, count or sort. Every day from the first matching message's to the last's, ` +
        `at most ${MAX_DAYS} (a wider span is a 400 naming created_at). Exact: it reads every matching message once.`,
      querystring: filterParamsDoc(),
      response: { 200: MessagesPerDaySchema, ...errorResponses },
    },
    // As on the lists: the list language validates and names bad parameters; the schema documents.
    validatorCompiler: () => () => true,
    handler: async (request) => messagesPerDay(deps.store, await listParams(request, deps.limits)),
  })
}
