// The user-facing API: users, sessions, dialogs, messages.
import type { FastifyInstance } from 'fastify'
import type { ChatRouteDeps } from './deps.ts'
import { dialogRoutes } from './dialogs.ts'
import { messageRoutes } from './messages.ts'
import { sessionRoutes } from './sessions.ts'
import { userRoutes } from './users.ts'

export function chatRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  sessionRoutes(app, deps)
  userRoutes(app, deps)
  dialogRoutes(app, deps)
  messageRoutes(app, deps)
}
