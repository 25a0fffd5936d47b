// POST /session (sign in; auth key required), GET /session, DELETE /session.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { createSession, describeSession, destroySession } from '../../../services/sessions.ts'
import { requireSession } from '../../auth.ts'
import { ErrorBody, errorResponses } from '../../schemas/common.ts'
import { SessionBody, SessionSchema } from '../../schemas/users.ts'
import { tokenSecurity, type ChatRouteDeps } from './deps.ts'

export function sessionRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  const { store } = deps
  app.post<{ Body: SessionBody }>('/session', {
    schema: {
      tags: ['auth'],
      summary: 'Create a session: user[login] or user[email] with user[password]; needs the auth key',
      body: SessionBody,
      response: { 201: SessionSchema, 422: ErrorBody, ...errorResponses },
    },
    handler: async (request, reply) => {
      await deps.checkAuthKey(request, request.body.auth_key)
      const answer = await createSession(store, request.body.user, deps.config.chat.sessionCreatesUsers)
      return reply.status(201).send(answer)
    },
  })

  const withToken = { onRequest: requireSession(store) }
  app.get('/session', {
    ...withToken,
    schema: { tags: ['auth'], security: tokenSecurity, summary: 'The current session', response: { 200: SessionSchema, ...errorResponses } },
    handler: (request) => describeSession(store, request.session!),
  })
  app.delete('/session', {
    ...withToken,
    schema: { tags: ['auth'], security: tokenSecurity, summary: 'Destroy the current session', response: { 200: Type.Object({}), ...errorResponses } },
    handler: async (request) => {
      await destroySession(store, request.session!)
      return {}
    },
  })
}
