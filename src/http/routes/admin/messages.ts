// GET /admin/chat/messages/list (Messages List).
import type { FastifyInstance } from 'fastify'
import { ADMIN_MESSAGES } from '../../../query/catalogue.ts'
import { listAdminMessages } from '../../../services/admin-lists.ts'
import { listEnvelope, listParamsDoc } from '../../schemas/common.ts'
import { MessageSchema } from '../../schemas/messages.ts'
import { listRoute, type AdminRouteDeps } from './list-route.ts'

export function adminMessageRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  listRoute(app, deps, {
    url: '/admin/chat/messages/list',
    summary: 'Messages List: every message of the app, filtered, sorted and paged',
    query: listParamsDoc(ADMIN_MESSAGES),
    response: listEnvelope(MessageSchema),
    list: listAdminMessages,
  })
}
