// GET /chat/search: a text across the user's dialogs' messages and names (services/search.ts).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { search } from '../../../services/search.ts'
import { requireSession, userOf } from '../../auth.ts'
import { listParams } from '../../params.ts'
import { errorResponses } from '../../schemas/common.ts'
import { DialogSchema } from '../../schemas/dialogs.ts'
import { MessageSchema } from '../../schemas/messages.ts'
import { UserSchema } from '../../schemas/users.ts'
import { tokenSecurity, type ChatRouteDeps } from './deps.ts'

const SearchParams = Type.Object({
  search_text: Type.String({ minLength: 5, description: "Found in messages' text and dialogs' names, case-sensitive; longer than 4 characters" }),
  chat_dialog_ids: Type.Optional(Type.String({ description: 'Only these dialogs: up to 10 ids separated by commas' })),
  start_date: Type.Optional(Type.String({ description: 'Created at or before (the later end): ISO 8601 or unix seconds' })),
  end_date: Type.Optional(Type.String({ description: 'Created at or after (the earlier end); required with start_date, at most 3 months before it' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'At most this many dialogs and this many messages (default 100)' })),
})

export function searchRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  const { store } = deps
  app.get('/chat/search', {
    onRequest: requireSession(store),
    schema: {
      tags: ['chat'],
      security: tokenSecurity,
      summary: "Global search: messages and dialogs of yours whose text or name holds search_text, newest first",
      description: 'Parameters may also be sent as a form or JSON body of the GET. users is always empty, as in the reference.',
      querystring: SearchParams,
      response: {
        200: Type.Object({ results: Type.Object({ dialogs: Type.Array(DialogSchema), messages: Type.Array(MessageSchema), users: Type.Array(UserSchema) }) }),
        ...errorResponses,
      },
    },
    // The schema documents; services/search.ts validates, naming each parameter.
    validatorCompiler: () => () => true,
    handler: async (request) => search(store, userOf(request), await listParams(request, deps.limits)),
  })
}
