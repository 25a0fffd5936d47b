// One error type for everything a caller can get wrong, and one table from its code to an HTTP
// status. Services and the query module throw AppError; only the HTTP layer knows statuses.

export type ErrorCode =
  | 'bad_parameter' // a query or body parameter is malformed or not accepted
  | 'invalid_field' // a body field fails validation
  | 'unauthorized' // missing, unknown or revoked credentials
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large' // body or parameter set over a configured limit
  | 'unsupported_media_type'
  | 'unavailable' // the database cannot be reached

export const STATUS_OF: Record<ErrorCode, number> = {
  bad_parameter: 400,
  invalid_field: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
}

/**
 * ConnectyCube answers either `{"errors": ["message"]}` or, for named fields and parameters,
 * `{"errors": {"field": ["message"]}}`. `details` keeps both shapes.
 */
export type ErrorDetails = string[] | Record<string, string[]>

export class AppError extends Error {
  readonly code: ErrorCode
  readonly details: ErrorDetails

  constructor(code: ErrorCode, details: ErrorDetails) {
    super(Array.isArray(details) ? details.join('; ') : Object.entries(details).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; '))
    this.code = code
    this.details = details
  }

  get status(): number {
    return STATUS_OF[this.code]
  }
}

/** Accumulates per-parameter problems so that one answer names every bad parameter at once. */
export class ParameterErrors {
  // No prototype: a parameter named `constructor` or `__proto__` is an ordinary key here.
  private readonly byName: Record<string, string[]> = Object.create(null)

  add(name: string, message: string): void {
    ;(this.byName[name] ??= []).push(message)
  }

  get empty(): boolean {
    return Object.keys(this.byName).length === 0
  }

  throwIfAny(code: ErrorCode = 'bad_parameter'): void {
    if (!this.empty) throw new AppError(code, this.byName)
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', [`${what} not found`])

/** The database cancelled a statement that ran past PARLEY_STATEMENT_TIMEOUT (PostgreSQL's query_canceled). */
export const isStatementTimeout = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '57014'
