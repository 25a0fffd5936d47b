// The user-facing API: users, sessions, dialogs, messages, search.
import type { FastifyInstance } from 'fastify'
import type { ChatRouteDeps } from './deps.ts'
import { dialogRoutes } from './dialogs.ts'
import { messageRoutes } from './messages.ts'
import { searchRoutes } from './search.ts'
import { sessionRoutes } from './sessions.ts'
import { userRoutes } from './users.ts'

export function chatRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  sessionRoutes(app, deps)
  userRoutes(app, deps)
  dialogRoutes(app, deps)
  messageRoutes(app, deps)
  searchRoutes(app, deps)
}
