// /chat/Message: retrieve (by dialog), create, update (read / delivered / edit; all when no id),
// delete (for me, or force=1), unread counts, reactions. Every route needs CB-Token.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { CHAT_MESSAGES } from '../../../query/catalogue.ts'
import { deleteMessages, listReactions, react, retrieveMessages, sendMessage, unreadMessages, updateMessages } from '../../../services/messages.ts'
import { requireSession, userOf } from '../../auth.ts'
import { listParams } from '../../params.ts'
import { sendAsIs } from '../../send-as-is.ts'
import {
  DeleteAnswer,
  Empty,
  ForceQuery,
  MessageCreateSchema,
  MessageUpdateSchema,
  ReactionsAnswer,
  ReactionsBody,
  UnreadAnswer,
  type MessageCreate,
  type MessageUpdate,
} from '../../schemas/chat.ts'
import { ErrorBody, ObjectIdString, errorResponses, listParamsDoc } from '../../schemas/common.ts'
import { MessageSchema } from '../../schemas/messages.ts'
import { tokenSecurity, type ChatRouteDeps } from './deps.ts'
import { forceOf, sendList } from './dialogs.ts'

const MessageId = Type.Object({ message_id: Type.String({ description: 'A message ObjectId, or several separated by commas' }) })
type WithId = { Params: { message_id: string } }
const failures = { 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, ...errorResponses }

function retrieveParamsDoc() {
  const doc = listParamsDoc(CHAT_MESSAGES)
  return Type.Object({
    chat_dialog_id: ObjectIdString,
    mark_as_read: Type.Optional(Type.Integer({ enum: [0, 1], description: '0: do not mark the retrieved messages read (default 1)' })),
    preview: Type.Optional(Type.Integer({ enum: [0, 1], description: '1: the last 20 messages of an allow_preview dialog you are not in' })),
    ...doc.properties,
  })
}

export function messageRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  const { store } = deps
  const base = { onRequest: requireSession(store) }
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['chat'], security: tokenSecurity, summary, ...extra })

  app.get('/chat/Message', {
    ...base,
    schema: doc("Retrieve a dialog's messages (oldest first by date_sent); marks them read unless mark_as_read=0", {
      description: 'Parameters may also be sent as a form or JSON body of the GET.',
      querystring: retrieveParamsDoc(),
      response: {
        200: Type.Object({ skip: Type.Integer(), limit: Type.Integer(), items: Type.Array(MessageSchema) }, { description: 'With count=1: {"items": {"count": N}}' }),
        ...failures,
      },
    }),
    validatorCompiler: () => () => true,
    handler: async (request, reply) => sendList(reply, await retrieveMessages(store, userOf(request), await listParams(request, deps.limits))),
  })

  app.post<{ Body: MessageCreate }>('/chat/Message', {
    ...base,
    schema: doc('Send a message to chat_dialog_id, or to recipient_id (a private dialog, created on the first message)', {
      body: MessageCreateSchema,
      response: { 201: MessageSchema, ...failures },
    }),
    handler: async (request, reply) => reply.status(201).send(await sendMessage(store, userOf(request), request.body as Record<string, unknown>)),
  })

  app.get('/chat/Message/unread', {
    ...base,
    schema: doc('Unread message counts: total, and per dialog of chat_dialog_ids', {
      querystring: Type.Object({ chat_dialog_ids: Type.Optional(Type.String({ description: 'Dialog ids separated by commas' })) }),
      response: { 200: UnreadAnswer, ...errorResponses },
    }),
    validatorCompiler: () => () => true,
    // Per-dialog counts keyed by dialog id: sent as is, past the schema.
    handler: async (request, reply) => sendAsIs(reply, await unreadMessages(store, userOf(request), await listParams(request, deps.limits))),
  })

  const update = (withId: boolean) => ({
    ...base,
    schema: doc(withId ? 'Update messages: read, delivered, or a new body (the sender; sets edited_at)' : "Mark all of chat_dialog_id's messages read / delivered", {
      ...(withId ? { params: MessageId } : {}),
      body: MessageUpdateSchema,
      response: { 200: Empty, ...failures },
    }),
  })
  app.put<WithId & { Body: MessageUpdate }>('/chat/Message/:message_id', {
    ...update(true),
    handler: async (request) => {
      await updateMessages(store, userOf(request), request.params.message_id, request.body ?? {})
      return {}
    },
  })
  app.put<{ Body: MessageUpdate }>('/chat/Message', {
    ...update(false),
    handler: async (request) => {
      await updateMessages(store, userOf(request), null, request.body ?? {})
      return {}
    },
  })

  app.delete<WithId>('/chat/Message/:message_id', {
    ...base,
    schema: doc('Delete messages for yourself, or for everyone with force=1 (own messages; admins: any)', {
      params: MessageId,
      querystring: ForceQuery,
      response: { 200: DeleteAnswer, ...failures },
    }),
    handler: (request) => deleteMessages(store, userOf(request), request.params.message_id, forceOf(request)),
  })

  app.put<WithId & { Body: { add?: string; remove?: string } }>('/chat/Message/:message_id/reactions', {
    ...base,
    schema: doc('Add and / or remove your reaction (one of a type per user)', { params: MessageId, body: ReactionsBody, response: { 200: Empty, ...failures } }),
    handler: async (request) => {
      await react(store, userOf(request), request.params.message_id, request.body ?? {})
      return {}
    },
  })

  app.get<WithId>('/chat/Message/:message_id/reactions', {
    ...base,
    schema: doc("A message's reactions: reaction → user ids", { params: MessageId, response: { 200: ReactionsAnswer, ...failures } }),
    handler: (request) => listReactions(store, userOf(request), request.params.message_id),
  })
}
