// /chat/Dialog: retrieve, create, update, delete (one, or a comma list), clear history, subscribe,
// admins, notifications, occupants. Every route needs CB-Token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { CHAT_DIALOGS } from '../../../query/catalogue.ts'
import {
  clearHistory,
  createDialog,
  deleteDialogs,
  getNotifications,
  listDialogs,
  occupants,
  setNotifications,
  subscribe,
  unsubscribe,
  updateAdmins,
  updateDialog,
} from '../../../services/chat-dialogs.ts'
import { AppError } from '../../../errors.ts'
import { requireSession, userOf } from '../../auth.ts'
import { listParams } from '../../params.ts'
import { sendAsIs } from '../../send-as-is.ts'
import {
  AdminsUpdateSchema,
  ChatDialogUpdateSchema,
  DeleteAnswer,
  DialogCreateSchema,
  Empty,
  ForceQuery,
  NotificationsAnswer,
  NotificationsBody,
  type AdminsUpdate,
  type ChatDialogUpdate,
  type DialogCreate,
} from '../../schemas/chat.ts'
import { ErrorBody, errorResponses, listEnvelope, listParamsDoc } from '../../schemas/common.ts'
import { DialogSchema } from '../../schemas/dialogs.ts'
import { UserSchema } from '../../schemas/users.ts'
import { tokenSecurity, type ChatRouteDeps } from './deps.ts'

const DialogId = Type.Object({ dialog_id: Type.String({ description: 'Dialog ObjectId' }) })
type WithId = { Params: { dialog_id: string } }
const failures = { 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, ...errorResponses }

/** force=1 from the query string (as the spec writes it) or the body. */
export function forceOf(request: FastifyRequest): boolean {
  const q = (request.query as Record<string, unknown> | undefined)?.force
  const b = (request.body as Record<string, unknown> | undefined)?.force
  const raw = q ?? b
  if (raw === undefined) return false
  if (raw === '1' || raw === 1 || raw === 'true' || raw === true) return true
  if (raw === '0' || raw === 0 || raw === 'false' || raw === false) return false
  throw new AppError('bad_parameter', { force: ['expected 1 or 0'] })
}

/** A page, or a count answer sent as is rather than through the page serialiser. */
export function sendList(reply: FastifyReply, answer: object) {
  return 'items' in answer && !Array.isArray((answer as { items: unknown }).items) ? sendAsIs(reply, answer) : answer
}

export function dialogRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  const { store } = deps
  const base = { onRequest: requireSession(store) }
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['chat'], security: tokenSecurity, summary, ...extra })

  app.get('/chat/Dialog', {
    ...base,
    schema: doc("Retrieve the user's dialogs: filters, operators, sort, skip, limit, count", {
      description: 'Parameters may also be sent as a form or JSON body of the GET. Per-user fields: unread_messages_count, is_muted, last_message_status.',
      querystring: listParamsDoc(CHAT_DIALOGS),
      response: { 200: listEnvelope(DialogSchema), ...errorResponses },
    }),
    validatorCompiler: () => () => true,
    handler: async (request, reply) => sendList(reply, await listDialogs(store, userOf(request), await listParams(request, deps.limits))),
  })

  app.post<{ Body: DialogCreate }>('/chat/Dialog', {
    ...base,
    schema: doc('Create a dialog (a private one that exists for the pair is returned with 200)', {
      body: DialogCreateSchema,
      response: { 200: DialogSchema, 201: DialogSchema, ...failures },
    }),
    handler: async (request, reply) => {
      const { created, dialog } = await createDialog(store, userOf(request), request.body)
      return reply.status(created ? 201 : 200).send(dialog)
    },
  })

  app.put<WithId & { Body: ChatDialogUpdate }>('/chat/Dialog/:dialog_id', {
    ...base,
    schema: doc('Update a dialog: name, photo, description, extensions, permissions; push_all / pull_all of occupants, admins, pinned messages', {
      params: DialogId,
      body: ChatDialogUpdateSchema,
      response: { 200: DialogSchema, ...failures },
    }),
    handler: (request) => updateDialog(store, userOf(request), request.params.dialog_id, request.body ?? {}),
  })

  app.delete<WithId>('/chat/Dialog/:dialog_id', {
    ...base,
    schema: doc('Delete dialogs for yourself, or for everyone with force=1 (the owner)', {
      description: 'One id: 200, or 403 / 404. A comma list: 200 with SuccessfullyDeleted / NotFound / WrongPermissions.',
      params: Type.Object({ dialog_id: Type.String({ description: 'A dialog ObjectId, or several separated by commas' }) }),
      querystring: ForceQuery,
      response: { 200: Type.Union([DeleteAnswer, Empty]), ...failures },
    }),
    handler: async (request) => {
      const { single, answer } = await deleteDialogs(store, userOf(request), request.params.dialog_id, forceOf(request))
      if (!single) return answer
      if (answer.NotFound.ids.length > 0) throw new AppError('not_found', ['Dialog not found'])
      if (answer.WrongPermissions.ids.length > 0) throw new AppError('forbidden', ['You are not allowed to delete this dialog' + (forceOf(request) ? ' for everyone' : '')])
      return {}
    },
  })

  app.delete<WithId>('/chat/Dialog/clearHistory/:dialog_id', {
    ...base,
    schema: doc("Clear the dialog's history for yourself, or for everyone with force=1 (the owner)", {
      params: DialogId,
      querystring: ForceQuery,
      response: { 200: Empty, ...failures },
    }),
    handler: async (request) => {
      await clearHistory(store, userOf(request), request.params.dialog_id, forceOf(request))
      return {}
    },
  })

  // The spec writes the unsubscribe URL with a lower-case "dialog"; both spellings are served.
  for (const prefix of ['/chat/Dialog', '/chat/dialog']) {
    app.post<WithId>(`${prefix}/:dialog_id/subscribe`, {
      ...base,
      schema: doc('Subscribe to a public dialog (type 4)', { params: DialogId, response: { 200: DialogSchema, ...failures } }),
      handler: (request) => subscribe(store, userOf(request), request.params.dialog_id),
    })
    app.delete<WithId>(`${prefix}/:dialog_id/subscribe`, {
      ...base,
      schema: doc('Unsubscribe from a public dialog (type 4)', { params: DialogId, response: { 200: Empty, ...failures } }),
      handler: async (request) => {
        await unsubscribe(store, userOf(request), request.params.dialog_id)
        return {}
      },
    })
  }

  app.put<WithId & { Body: AdminsUpdate }>('/chat/Dialog/:dialog_id/admins', {
    ...base,
    schema: doc('Add / remove admins (the owner; at most 5)', { params: DialogId, body: AdminsUpdateSchema, response: { 200: DialogSchema, ...failures } }),
    handler: (request) => updateAdmins(store, userOf(request), request.params.dialog_id, request.body ?? {}),
  })

  app.put<WithId & { Body: { enabled: number } }>('/chat/Dialog/:dialog_id/notifications', {
    ...base,
    schema: doc('Turn notifications on or off for yourself (off: you join silent_ids, is_muted)', {
      params: DialogId,
      body: NotificationsBody,
      response: { 200: NotificationsAnswer, ...failures },
    }),
    handler: (request) => setNotifications(store, userOf(request), request.params.dialog_id, request.body.enabled === 1),
  })

  app.get<WithId>('/chat/Dialog/:dialog_id/notifications', {
    ...base,
    schema: doc('Your notifications setting for the dialog', { params: DialogId, response: { 200: NotificationsAnswer, ...failures } }),
    handler: (request) => getNotifications(store, userOf(request), request.params.dialog_id),
  })

  app.get<WithId>('/chat/Dialog/:dialog_id/occupants', {
    ...base,
    schema: doc("The dialog's occupants (subscribers of a public dialog), skip / limit", {
      params: DialogId,
      querystring: Type.Object({ skip: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
      response: { 200: Type.Object({ items: Type.Array(UserSchema) }), ...failures },
    }),
    // skip / limit are checked by the service (also when sent as a GET body); the schema documents them.
    validatorCompiler: () => () => true,
    handler: async (request) => occupants(store, userOf(request), request.params.dialog_id, await listParams(request, deps.limits)),
  })
}
