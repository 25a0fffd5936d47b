// buildApp: the whole HTTP service for a config and an open store. `serve` and the tests both build
// it here, with the same parsers, limits and Ajv options, so tests exercise what production runs.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Config } from './config.ts'
import { auditAdminRequests } from './http/admin-audit.ts'
import { authKeyChecker, confirmBeforeSending, requireAdminKey } from './http/auth.ts'
import { frameworkErrors, installErrorHandler } from './http/error-handler.ts'
import { answerExpectation, clientErrorHandler, lingerOnEarlyClose, requireHost } from './http/client-errors.ts'
import { installInputGuard } from './http/input-guard.ts'
import { NextPages } from './services/next-page.ts'
import { countRequests, createHttpMetrics } from './http/metrics.ts'
import { checkJsonDepth, parseBody, queryStringParser, type ParamLimits } from './http/params.ts'
import { installRateLimits } from './http/rate-limit.ts'
import { serverTiming } from './http/server-timing.ts'
import { adminDialogRoutes } from './http/routes/admin/dialogs.ts'
import { adminExportRoutes } from './http/routes/admin/export.ts'
import { adminMessageRoutes } from './http/routes/admin/messages.ts'
import { adminUiRoutes } from './http/routes/admin-ui.ts'
import { chatRoutes } from './http/routes/chat/index.ts'
import { healthRoutes } from './http/routes/health.ts'
import { operationsRoutes, type Readiness } from './http/routes/operations.ts'
import { LOG_REDACTION } from './http/secrets.ts'
import { createAuditLog } from './services/admin-audit.ts'
import type { Store } from './store/connect.ts'
import { AppError } from './errors.ts'

export interface AppOptions {
  config: Config
  store: Store
  /** pino options (the secret redaction is added to them) or false; tests pass false. */
  logger?: FastifyServerOptions['logger']
  /** The built admin console (default dist/ui); tests point it at their own build. */
  uiDir?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** /ready answers 503 from now on (serve calls it on SIGTERM; close() does too). */
    startDraining(): void
  }
}

const VERSION = '0.1.0'

export async function buildApp({ config, store, logger, uiDir }: AppOptions): Promise<FastifyInstance> {
  const { server } = config
  const limits: ParamLimits = server
  const app = Fastify({
    // The redaction goes with any options given (tests pass a stream); false stays false.
    logger: logger === false ? false : { level: config.server.logLevel, ...LOG_REDACTION, ...(typeof logger === 'object' ? logger : {}) },
    bodyLimit: server.bodyLimit,
    // Timeouts bound receiving a request, never sending the answer (a long export); docs/limits.md.
    requestTimeout: server.requestTimeout,
    keepAliveTimeout: server.keepAliveTimeout,
    connectionTimeout: server.connectionTimeout,
    // Node checks the request timeouts every connectionsCheckingInterval (30 s by default).
    // requireHostHeader off: the Host check is requireHost below, answering in the API's shape.
    http: { maxHeaderSize: server.maxHeaderSize, headersTimeout: server.headersTimeout, connectionsCheckingInterval: Math.min(1000, server.headersTimeout), requireHostHeader: false },
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
  app.addHook('onRequest', requireHost)
  app.addHook('onSend', lingerOnEarlyClose)
  app.server.on('checkExpectation', answerExpectation)
  serverTiming(app)
  installInputGuard(app)
  installRateLimits(app, config.rateLimit)

  // Operations (docs/operations.md): request metrics for every route, readiness, the admin audit log.
  const metrics = createHttpMetrics()
  countRequests(app, metrics)
  const readiness: Readiness = { draining: false }
  app.decorate('startDraining', () => {
    readiness.draining = true
  })
  const audit = createAuditLog(store, { warn: (message, detail) => app.log.warn(detail ?? {}, message) })
  app.addHook('preClose', async () => {
    readiness.draining = true
  })
  // onClose runs after in-flight requests have finished, so their entries are in the last batch.
  app.addHook('onClose', async () => {
    metrics.close()
    await audit.close()
  })

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
          metricsToken: { type: 'http', scheme: 'bearer', description: 'PARLEY_METRICS_TOKEN (GET /metrics only)' },
        },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  healthRoutes(app, store)
  const nextPages = config.server.prefetchPages ? new NextPages() : null
  operationsRoutes(app, { store, readiness, metrics, metricsToken: config.server.metricsToken, nextPages })
  // The console's page and assets are public (no data in them); its API calls carry the admin key.
  adminUiRoutes(app, uiDir)
  await app.register(async (admin) => {
    auditAdminRequests(admin, audit)
    admin.addHook('onRequest', requireAdminKey(store))
    admin.addHook('onSend', confirmBeforeSending(store))
    adminDialogRoutes(admin, { store, limits, nextPages })
    adminMessageRoutes(admin, { store, limits, nextPages })
    adminExportRoutes(admin, { store, limits, nextPages })
  })
  chatRoutes(app, { store, config, limits, checkAuthKey: authKeyChecker(store, config) })
  return app
}
