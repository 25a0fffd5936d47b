// GET /admin/chat/export and GET /admin/chat/messages/export: every dialog or message the filters
// match, streamed as NDJSON from one snapshot, in _id order. The body is pulled a batch at a time
// as the socket drains, so a slow client costs the server one batch of memory, not the whole set.
import type { FastifyInstance } from 'fastify'
import { ADMIN_DIALOGS, ADMIN_MESSAGES, type Catalogue } from '../../../query/catalogue.ts'
import { exportReadable, openItemExport, type ExportKind } from '../../../services/export.ts'
import { listParams } from '../../params.ts'
import { ErrorBody, errorResponses } from '../../schemas/common.ts'
import { DialogSchema } from '../../schemas/dialogs.ts'
import { exportParamsDoc, NDJSON, ndjsonResponse, TOTAL_HEADER } from '../../schemas/export.ts'
import { MessageSchema } from '../../schemas/messages.ts'
import type { AdminRouteDeps } from './list-route.ts'

const ROUTES: Array<{ url: string; kind: ExportKind; catalogue: Catalogue; summary: string; item: typeof DialogSchema | typeof MessageSchema }> = [
  { url: '/admin/chat/export', kind: 'dialogs', catalogue: ADMIN_DIALOGS, summary: 'Dialogs Export', item: DialogSchema },
  { url: '/admin/chat/messages/export', kind: 'messages', catalogue: ADMIN_MESSAGES, summary: 'Messages Export', item: MessageSchema },
]

export function adminExportRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  for (const route of ROUTES) {
    app.get(route.url, {
      // Fastify answers HEAD by running the GET and draining its body: here, a whole export for nothing.
      exposeHeadRoute: false,
      schema: {
        tags: ['admin'],
        security: [{ adminKey: [] }],
        summary: `${route.summary}: every ${route.kind.slice(0, -1)} the filters match, as NDJSON, from one snapshot`,
        description:
          'The list filters, without limit, skip or count; ordered by _id (descending unless sort_asc=_id). ' +
          'Parameters may also be sent as a form or JSON body of the GET.',
        querystring: exportParamsDoc(route.catalogue),
        response: { 200: ndjsonResponse(route.item, `One ${route.kind.slice(0, -1)} per line`), ...errorResponses, 503: ErrorBody },
      },
      // As on the lists: the list language validates and names bad parameters; the schema documents.
      validatorCompiler: () => () => true,
      handler: async (request, reply) => {
        const itemExport = await openItemExport(deps.store, route.kind, await listParams(request, deps.limits))
        return reply
          .header('content-type', `${NDJSON}; charset=utf-8`)
          .header(TOTAL_HEADER, String(itemExport.total))
          .send(exportReadable(itemExport))
      },
    })
  }
}
