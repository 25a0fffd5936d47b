// GET /admin/chat/list (Dialogs List) and PUT /admin/chat/:dialog_id (Dialog Update).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ADMIN_DIALOGS } from '../../../query/catalogue.ts'
import { listAdminDialogs } from '../../../services/admin-lists.ts'
import { adminUpdateDialog } from '../../../services/dialogs.ts'
import { errorResponses, ErrorBody, listEnvelope, listParamsDoc } from '../../schemas/common.ts'
import { DialogSchema, DialogUpdateSchema, type DialogUpdate } from '../../schemas/dialogs.ts'
import { listRoute, type AdminRouteDeps } from './list-route.ts'

export function adminDialogRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  listRoute(app, deps, {
    url: '/admin/chat/list',
    summary: 'Dialogs List: every dialog of the app, filtered, sorted and paged',
    query: listParamsDoc(ADMIN_DIALOGS),
    response: listEnvelope(DialogSchema),
    list: listAdminDialogs,
  })

  app.put<{ Params: { dialog_id: string }; Body: DialogUpdate }>('/admin/chat/:dialog_id', {
    schema: {
      tags: ['admin'],
      security: [{ adminKey: [] }],
      summary: 'Dialog Update: the Update Dialog fields, plus is_muted for user_id (silent_ids)',
      params: Type.Object({ dialog_id: Type.String({ description: 'Dialog ObjectId' }) }),
      body: DialogUpdateSchema,
      response: { 200: DialogSchema, 404: ErrorBody, 422: ErrorBody, ...errorResponses },
    },
    handler: (request) => adminUpdateDialog(deps.store, request.params.dialog_id, request.body ?? {}),
  })
}
