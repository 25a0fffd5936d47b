// Checks every request's parsed input before validation (so after authentication): a query string
// that could not be parsed, and text the stores cannot keep as given (services/storable-text.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'
import { findUnstorable } from '../services/storable-text.ts'
import { checkParsedQuery } from './params.ts'

/** `nameOf`: the name an error gives the value at `path` (by default the path, or `where` for the whole). */
function refuseUnstorable(value: unknown, code: 'bad_parameter' | 'invalid_field', where: string, nameOf = (path: string) => path || where): void {
  const found = findUnstorable(value)
  if (found) throw new AppError(code, { [nameOf(found.path)]: [found.reason] })
}

/** Path parameters by name; `*` is Fastify's for the rest of a path (a wildcard's, the not-found route's), named path. */
const pathParamName = (path: string): string => (path === '*' || path === '' ? 'path' : path)

export function checkInput(request: FastifyRequest): void {
  checkParsedQuery(request)
  refuseUnstorable(request.params, 'bad_parameter', 'path', pathParamName)
  refuseUnstorable(request.query, 'bad_parameter', 'query')
  refuseUnstorable(request.body, 'invalid_field', 'body')
}

export function installInputGuard(app: FastifyInstance): void {
  // Callback style: no promise per request on the hot list path.
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      checkInput(request)
      done()
    } catch (error) {
      done(error as Error)
    }
  })
}
