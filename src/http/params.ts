// Request parameters for the list routes: bracketed (`updated_at[gt]=…`), parsed with `qs`, from the
// query string and from the body of a GET. ConnectyCube's own example sends `curl -X GET -d …`, a
// form body on a GET, which Fastify does not read for GET, so it is read here.
import qs from 'qs'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'
import { findUnstorable } from '../services/storable-text.ts'

/** The configured bounds of one request's parameters (PARLEY_* in config.ts, docs/limits.md). */
export interface ParamLimits {
  /** Largest request body accepted, in bytes (GET bodies included). */
  readonly bodyLimit: number
  /** Most query/body parameters accepted in one request. */
  readonly parameterLimit: number
  /** Deepest bracket nesting accepted in a parameter name (`a[b][c]` is 2). */
  readonly bracketDepth: number
  /** Most elements in one bracketed array parameter (`a[]=…`, `a[7]=…`), and highest index. */
  readonly arrayLimit: number
  /** Values in one in / nin / all list of a list filter; the list language's own ceiling (MAX_LIST, 1000) stays above it. */
  readonly listLimit: number
  /** Deepest nesting of arrays and objects in a JSON body. */
  readonly jsonDepth: number
}

/**
 * Refuses JSON nested deeper than `max` before it is parsed: JSON.parse takes any depth, but every
 * walk of the result after it (validation, the text checks, serialisation) recurses, and a 1 MB body
 * of `[[[[…` would overflow the stack there, a 500. One pass over the text, skipping strings.
 */
export function checkJsonDepth(text: string, max: number): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) throw new AppError('bad_parameter', { body: [`JSON nested more than ${max} deep`] })
    } else if (c === 0x7d || c === 0x5d) depth--
  }
}

/** Bounds every parse: too many parameters, deep brackets or long arrays are rejected, not truncated. */
const options = (limits: ParamLimits): qs.IParseOptions => ({
  depth: limits.bracketDepth,
  strictDepth: true,
  arrayLimit: limits.arrayLimit,
  parameterLimit: limits.parameterLimit,
  throwOnLimitExceeded: true,
  allowPrototypes: false,
  plainObjects: true,
})

/** Parameter names (as written) with a `__proto__` segment: qs would drop them without a word. */
function protoKeys(text: string): string[] {
  if (!text.includes('__proto__') && !/%5f%5fproto%5f%5f/i.test(text)) return []
  return text
    .split('&')
    .map((pair) => decodeKey(pair.split('=')[0] ?? ''))
    .filter((key) => key.split(/[[\].]/).includes('__proto__'))
}

export function parseBracketed(text: string, limits: ParamLimits, where: string): Record<string, unknown> {
  const proto = protoKeys(text)
  if (proto.length > 0) {
    throw new AppError('bad_parameter', Object.fromEntries(proto.map((key) => [key, ['__proto__ is not an accepted parameter name']])))
  }
  try {
    return qs.parse(text, options(limits)) as Record<string, unknown>
  } catch (error) {
    // Too deep a nesting is one parameter's fault: name it, as every other parameter error does.
    const keys = text.split('&', limits.parameterLimit + 1).map((pair) => decodeKey(pair.split('=')[0] ?? ''))
    const tooDeep = keys.filter((key) => (key.match(/\[/g)?.length ?? 0) > limits.bracketDepth)
    if (tooDeep.length > 0) {
      throw new AppError('bad_parameter', Object.fromEntries(tooDeep.map((key) => [key, [`brackets nested more than ${limits.bracketDepth} deep`]])))
    }
    const message = (error as Error).message
    const arrays = message.startsWith('Array limit exceeded') ? overArrayLimit(keys, limits.arrayLimit) : []
    throw new AppError('bad_parameter', arrays.length > 0 ? Object.fromEntries(arrays.map((name) => [name, [message]])) : { [where]: [message] })
  }
}

/**
 * The arrays qs refused as over the limit (its error names none): one indexed past it (`x[1001]`,
 * `_id[in][5000]`: x, _id[in]), or a name given more times than it (`a[]=1&a[]=2…`, `a=1&a=2…`).
 */
function overArrayLimit(keys: string[], limit: number): string[] {
  const names = new Set<string>()
  const counts = new Map<string, number>()
  for (const key of keys) {
    const index = /\[(\d+)\]/g
    for (let m = index.exec(key); m !== null; m = index.exec(key)) {
      if (String(Number(m[1])) === m[1] && Number(m[1]) >= limit) {
        names.add(key.slice(0, m.index))
        break
      }
    }
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  for (const [key, count] of counts) if (count > limit) names.add(key.replace(/\[\]$/, ''))
  return [...names]
}

/** Where a query string that failed to parse keeps its error, for checkParsedQuery to throw. */
const QUERY_ERROR = Symbol('query error')

/**
 * Fastify's querystringParser must return an object; a query string that cannot be parsed returns
 * one holding the error instead, thrown by checkParsedQuery before validation (so after auth).
 */
export function queryStringParser(limits: ParamLimits) {
  return (text: string): Record<string | symbol, unknown> => {
    try {
      return parseBracketed(text, limits, 'query')
    } catch (error) {
      return { [QUERY_ERROR]: error }
    }
  }
}

export function checkParsedQuery(request: FastifyRequest): void {
  const error = (request.query as Record<symbol, unknown> | undefined)?.[QUERY_ERROR]
  if (error !== undefined) throw error
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '))
  } catch {
    return key
  }
}

/** JSON and form bodies both become `qs`-like objects of strings, so one parser reads them. */
function asParams(value: unknown): unknown {
  if (value === null) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map(asParams)
  if (typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null)
    for (const [k, v] of Object.entries(value)) out[k] = asParams(v)
    return out
  }
  return value
}

/** Parses a body by its content type: a form (the curl default; `{…}` in it is taken as JSON) or JSON. */
export function parseBody(text: string, contentType: string | undefined, limits: ParamLimits): Record<string, unknown> {
  const type = (contentType ?? 'application/x-www-form-urlencoded').split(';')[0]!.trim().toLowerCase()
  const trimmed = text.trim()
  if (trimmed === '') return {}
  if (type === 'application/json' || (type === 'application/x-www-form-urlencoded' && /^[{[]/.test(trimmed))) {
    checkJsonDepth(trimmed, limits.jsonDepth)
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      throw new AppError('bad_parameter', { body: ['is not valid JSON'] })
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AppError('bad_parameter', { body: ['must be a JSON object of parameters'] })
    }
    return parsed as Record<string, unknown>
  }
  if (type === 'application/x-www-form-urlencoded' || type === 'text/plain') return parseBracketed(text, limits, 'body')
  throw new AppError('unsupported_media_type', [`content type ${type} is not accepted; send a form or JSON`])
}

async function readGetBody(request: FastifyRequest, limit: number): Promise<string | null> {
  const headers = request.headers
  const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0'
  if (!hasBody) return null
  if (Number(headers['content-length'] ?? 0) > limit) throw new AppError('too_large', [`request body is over ${limit} bytes`])
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of request.raw) {
      size += (chunk as Buffer).length
      if (size > limit) break
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    // The stream fails when the client closes the connection mid-body ("aborted", ECONNRESET): the
    // client's doing, a 400 as Fastify's own body reader makes it (content-type-parser.js rawBody),
    // which the error handler then does not answer or log as a fault.
    throw Object.assign(error as Error, { statusCode: 400 })
  }
  if (size > limit) throw new AppError('too_large', [`request body is over ${limit} bytes`])
  return Buffer.concat(chunks).toString('utf8')
}

const LIST_OPS = new Set(['in', 'nin', 'all'])

/** Refuses an in / nin / all list longer than PARLEY_LIST_LIMIT, naming it as the list language does. */
function checkListLengths(params: Record<string, unknown>, max: number, prefix = ''): void {
  for (const [key, value] of Object.entries(params)) {
    const name = prefix === '' ? key : `${prefix}[${key}]`
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      checkListLengths(value as Record<string, unknown>, max, name)
      continue
    }
    if (!LIST_OPS.has(key) || prefix === '') continue
    const count = typeof value === 'string' ? value.split(',', max + 1).length : Array.isArray(value) ? value.length : 0
    if (count > max) throw new AppError('bad_parameter', { [name]: [`at most ${max} values`] })
  }
}

/** Query string and GET body merged; a parameter given in both is an error rather than a guess. */
declare module 'fastify' {
  interface FastifyRequest {
    /** The parameters of a GET body, once listParams has read them. */
    getBodyParams?: Record<string, unknown>
  }
}

export async function listParams(request: FastifyRequest, limits: ParamLimits): Promise<Record<string, unknown>> {
  // Parsed once, by queryStringParser with these limits; a query string that failed to parse was
  // refused by the input guard before the handler, and the list routes validate nothing that
  // could rewrite it (their schemas are for the OpenAPI document).
  const fromQuery = request.query as Record<string, unknown>
  const text = request.method === 'GET' ? await readGetBody(request, limits.bodyLimit) : null
  if (text === null) {
    checkListLengths(fromQuery, limits.listLimit)
    return fromQuery
  }
  const fromBody = asParams(parseBody(text, request.headers['content-type'], limits)) as Record<string, unknown>
  // The query string was checked by the input guard; a GET body is read only here.
  const bad = findUnstorable(fromBody)
  if (bad) throw new AppError('bad_parameter', { [bad.path || 'body']: [bad.reason] })
  // Fastify parses no GET body, so the admin audit log (http/admin-audit.ts) reads it from here.
  request.getBodyParams = fromBody
  const both = Object.keys(fromBody).filter((k) => Object.hasOwn(fromQuery, k))
  if (both.length > 0) {
    throw new AppError('bad_parameter', Object.fromEntries(both.map((k) => [k, ['given in both the query string and the body']])))
  }
  const merged = { ...fromQuery, ...fromBody }
  checkListLengths(merged, limits.listLimit)
  return merged
}
