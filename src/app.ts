// buildApp: the whole HTTP service for a config and an open store. `serve` and the tests both build
// it here, with the same parsers, limits and Ajv options, so tests exercise what production runs.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Config } from './config.ts'
import { authKeyChecker, requireAdminKey } from './http/auth.ts'
import { frameworkErrors, installErrorHandler } from './http/error-handler.ts'
import { clientErrorHandler } from './http/client-errors.ts'
import { installInputGuard } from './http/input-guard.ts'
import { checkJsonDepth, parseBody, queryStringParser, type ParamLimits } from './http/params.ts'
import { installRateLimits } from './http/rate-limit.ts'
import { serverTiming } from './http/server-timing.ts'
import { adminDialogRoutes } from './http/routes/admin/dialogs.ts'
import { adminExportRoutes } from './http/routes/admin/export.ts'
import { adminMessageRoutes } from './http/routes/admin/messages.ts'
import { chatRoutes } from './http/routes/chat/index.ts'
import { healthRoutes } from './http/routes/health.ts'
import type { Store } from './store/connect.ts'
import { AppError } from './errors.ts'

export interface AppOptions {
  config: Config
  store: Store
  /** pino options or false; tests pass false. */
  logger?: FastifyServerOptions['logger']
}

const VERSION = '0.1.0'

export async function buildApp({ config, store, logger }: AppOptions): Promise<FastifyInstance> {
  const { server } = config
  const limits: ParamLimits = { bodyLimit: server.bodyLimit, parameterLimit: server.parameterLimit, bracketDepth: server.bracketDepth, arrayLimit: server.arrayLimit, listLimit: server.listLimit, jsonDepth: server.jsonDepth }
  const app = Fastify({
    logger: logger ?? { level: config.server.logLevel },
    bodyLimit: server.bodyLimit,
    // Timeouts bound receiving a request, never sending the answer (a long export); docs/limits.md.
    requestTimeout: server.requestTimeout,
    keepAliveTimeout: server.keepAliveTimeout,
    connectionTimeout: server.connectionTimeout,
    // Node checks the request timeouts every connectionsCheckingInterval (30 s by default).
    http: { maxHeaderSize: server.maxHeaderSize, headersTimeout: server.headersTimeout, connectionsCheckingInterval: Math.min(1000, server.headersTimeout) },
    clientErrorHandler,
    frameworkErrors,
    // A query string that cannot be parsed is refused by the input guard (after authentication).
    routerOptions: { querystringParser: queryStringParser(limits) },
    ajv: {
      // Unknown body fields are errors, never silently dropped; form bodies arrive as strings.
      customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, useDefaults: true },
    },
  })

  // Fastify's own JSON parser (refusing __proto__ / constructor.prototype keys), behind a depth bound.
  const json = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      checkJsonDepth(body as string, limits.jsonDepth)
    } catch (error) {
      return done(error as AppError, undefined)
    }
    json(request, body as string, done)
  })

  // curl's -d sends a form content type even for JSON text (the documented Dialog Update example).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseBody(body as string, request.headers['content-type'], limits))
    } catch (error) {
      done(error as AppError, undefined)
    }
  })

  installErrorHandler(app)
  serverTiming(app)
  installInputGuard(app)
  installRateLimits(app, config.rateLimit)

  await app.register(swagger, {
    // Components are named after the schemas' $id (Dialog, Message, Error), not def-N.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      info: {
        title: 'parley',
        version: VERSION,
        description: "A self-hosted chat backend speaking ConnectyCube's REST conventions.",
      },
      components: {
        securitySchemes: {
          adminKey: { type: 'apiKey', in: 'header', name: 'CB-Administration-API-Key' },
          sessionToken: { type: 'apiKey', in: 'header', name: 'CB-Token' },
        },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  healthRoutes(app, store)
  await app.register(async (admin) => {
    admin.addHook('onRequest', requireAdminKey(store))
    adminDialogRoutes(admin, { store, limits })
    adminMessageRoutes(admin, { store, limits })
    adminExportRoutes(admin, { store, limits })
  })
  chatRoutes(app, { store, config, limits, checkAuthKey: authKeyChecker(store, config) })
  return app
}
