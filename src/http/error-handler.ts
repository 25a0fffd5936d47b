// Every failure leaves as ConnectyCube's `{"errors": …}` with a 4xx that says what to fix; anything
// unexpected is logged in full and answered with a masked 500 (no stack, no SQL).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, isStatementTimeout } from '../errors.ts'

interface ValidationIssue {
  instancePath: string
  message?: string
  params?: Record<string, unknown>
}

/** Ajv issue → the parameter's name as the caller wrote it (`user_id`, `push_all.occupants_ids`). */
function nameOf(issue: ValidationIssue, part: string | undefined): string {
  const path = issue.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.')
  const extra = issue.params?.additionalProperty ?? issue.params?.missingProperty
  const name = [path, extra].filter(Boolean).join('.')
  return name || part || 'body'
}

/** The status an error is answered with: a client's mistake (4xx) or a server fault (5xx, masked as 500 unless a statement timeout). */
function statusOf(error: FastifyError): number {
  if (error instanceof AppError) return error.status
  if (error.validation) return error.validationContext === 'body' ? 422 : 400
  if (isStatementTimeout(error)) return 503
  const status = error.statusCode ?? 500
  return status >= 400 && status < 500 ? status : 500
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = statusOf(error)
    if (reply.raw.destroyed && status < 500) {
      // The client closed the connection (most often mid-body: Fastify's body reader and readGetBody
      // make that a 400): nobody is left to answer, and nothing of ours failed. A server fault
      // meanwhile still goes on to be logged below.
      request.log.info({ reason: error.message }, 'client closed the connection before its answer')
      reply.hijack()
      return
    }
    if (error instanceof AppError) {
      return reply.status(status).send({ errors: error.details })
    }
    if (error.validation) {
      // No prototype: a body field named `constructor` is reported like any other.
      const errors: Record<string, string[]> = Object.create(null)
      for (const issue of error.validation as ValidationIssue[]) {
        const message = issue.params?.additionalProperty ? 'is not an accepted parameter' : (issue.message ?? 'is invalid')
        ;(errors[nameOf(issue, error.validationContext)] ??= []).push(message)
      }
      return reply.status(status).send({ errors })
    }
    if (isStatementTimeout(error)) {
      request.log.warn({ err: error }, 'statement timeout')
      return reply.status(status).send({ errors: ['The query took longer than the statement timeout; narrow the filters and retry'] })
    }
    if (status < 500) {
      return reply.status(status).send({ errors: [error.message] })
    }
    // Headers and body help find the caller and the input; their secrets are redacted (secrets.ts).
    request.log.error({ err: error, req: request, headers: request.headers, body: request.body }, 'request failed')
    return reply.status(500).send({ errors: ['Internal server error'] })
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ errors: [`No route ${request.method} ${request.url.split('?')[0]}`] })
  })
}

/**
 * Errors the router raises before any route or hook runs (a path parameter that is not valid
 * percent-encoded UTF-8, one over maxParamLength): the same `{"errors": …}` shape, naming the path.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400
  reply.status(status).send({ errors: { path: [error.message] } })
}
