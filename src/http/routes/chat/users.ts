// POST /users (sign-up; auth key required), GET, PUT and DELETE /users/{id}, DELETE
// /users/external/{id}, GET /users and /users/v2 (the list).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { USERS } from '../../../query/catalogue.ts'
import { deleteUser, deleteUserByExternalId, getUser, listUserItems, signUp, toUserItem, updateUser } from '../../../services/users.ts'
import { requireSession } from '../../auth.ts'
import { listParams } from '../../params.ts'
import { sendAsIs } from '../../send-as-is.ts'
import { ErrorBody, errorResponses, listEnvelope, listParamsDoc } from '../../schemas/common.ts'
import { SignUpBody, UpdateUserBody, UserSchema } from '../../schemas/users.ts'
import { tokenSecurity, type ChatRouteDeps } from './deps.ts'

export function userRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  const { store } = deps
  app.post<{ Body: SignUpBody }>('/users', {
    schema: {
      tags: ['users'],
      summary: 'Sign up: user[login] or user[email], user[password], optional profile fields; needs the auth key',
      body: SignUpBody,
      response: { 201: Type.Object({ user: UserSchema }), 422: ErrorBody, ...errorResponses },
    },
    handler: async (request, reply) => {
      await deps.checkAuthKey(request, request.body.auth_key)
      const row = await signUp(store, request.body.user)
      return reply.status(201).send({ user: toUserItem(row) })
    },
  })

  const withToken = { onRequest: requireSession(store) }
  const userId = Type.Object({ user_id: Type.String() })
  app.get<{ Params: { user_id: string } }>('/users/:user_id', {
    ...withToken,
    schema: {
      tags: ['users'],
      security: tokenSecurity,
      summary: 'A user by id',
      params: userId,
      response: { 200: Type.Object({ user: UserSchema }), 404: ErrorBody, ...errorResponses },
    },
    handler: async (request) => ({ user: await getUser(store, request.params.user_id) }),
  })

  app.put<{ Params: { user_id: string }; Body: UpdateUserBody }>('/users/:user_id', {
    ...withToken,
    schema: {
      tags: ['users'],
      security: tokenSecurity,
      summary: "Update User: the session's own account; a new password needs old_password and signs out the other sessions",
      params: userId,
      body: UpdateUserBody,
      response: { 200: Type.Object({ user: UserSchema }), 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, ...errorResponses },
    },
    handler: async (request) => ({ user: await updateUser(store, request.session!, request.params.user_id, request.body.user) }),
  })
  app.delete<{ Params: { user_id: string } }>('/users/:user_id', {
    ...withToken,
    schema: {
      tags: ['users'],
      security: tokenSecurity,
      summary: "Delete User: the session's own account and its sessions; its dialogs and messages stay",
      params: userId,
      response: { 200: Type.Object({}), 404: ErrorBody, ...errorResponses },
    },
    handler: async (request) => {
      await deleteUser(store, request.session!, request.params.user_id)
      return {}
    },
  })
  app.delete<{ Params: { external_user_id: string } }>('/users/external/:external_user_id', {
    ...withToken,
    schema: {
      tags: ['users'],
      security: tokenSecurity,
      summary: "Delete User by external user ID: the session's own account, named by its external_user_id",
      params: Type.Object({ external_user_id: Type.String() }),
      response: { 200: Type.Object({}), 404: ErrorBody, ...errorResponses },
    },
    handler: async (request) => {
      await deleteUserByExternalId(store, request.session!, request.params.external_user_id)
      return {}
    },
  })

  for (const url of ['/users', '/users/v2']) {
    app.get(url, {
      ...withToken,
      schema: {
        tags: ['users'],
        security: tokenSecurity,
        summary: 'Users, filtered (id[in]=1,2 for the occupants of a dialog), sorted and paged; offset is an alias of skip',
        querystring: listParamsDoc(USERS),
        response: { 200: listEnvelope(UserSchema), ...errorResponses },
      },
      validatorCompiler: () => () => true,
      handler: async (request, reply) => {
        const answer = await listUserItems(store, await listParams(request, deps.limits))
        if (!('total_entries' in answer)) return sendAsIs(reply, answer)
        return answer
      },
    })
  }
}
