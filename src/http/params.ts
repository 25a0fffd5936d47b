// Request parameters for the list routes: bracketed (`updated_at[gt]=…`), parsed with `qs`, from the
// query string and from the body of a GET. ConnectyCube's own example sends `curl -X GET -d …`, a
// form body on a GET, which Fastify does not read for GET, so it is read here.
import qs from 'qs'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'

export interface ParamLimits {
  readonly bodyLimit: number
  readonly parameterLimit: number
}

/** Bounds every parse: too many parameters, deep brackets or long arrays are rejected, not truncated. */
const DEPTH = 5
const options = (limits: ParamLimits): qs.IParseOptions => ({
  depth: DEPTH,
  strictDepth: true,
  arrayLimit: 1000,
  parameterLimit: limits.parameterLimit,
  throwOnLimitExceeded: true,
  allowPrototypes: false,
  plainObjects: true,
})

export function parseBracketed(text: string, limits: ParamLimits, where: string): Record<string, unknown> {
  try {
    return qs.parse(text, options(limits)) as Record<string, unknown>
  } catch (error) {
    // Too deep a nesting is one parameter's fault: name it, as every other parameter error does.
    const tooDeep = text
      .split('&')
      .map((pair) => decodeKey(pair.split('=')[0] ?? ''))
      .filter((key) => (key.match(/\[/g)?.length ?? 0) > DEPTH)
    if (tooDeep.length > 0) {
      throw new AppError('bad_parameter', Object.fromEntries(tooDeep.map((key) => [key, [`brackets nested more than ${DEPTH} deep`]])))
    }
    throw new AppError('bad_parameter', { [where]: [(error as Error).message] })
  }
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
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length
    if (size > limit) throw new AppError('too_large', [`request body is over ${limit} bytes`])
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Query string and GET body merged; a parameter given in both is an error rather than a guess. */
declare module 'fastify' {
  interface FastifyRequest {
    /** The parameters of a GET body, once listParams has read them. */
    getBodyParams?: Record<string, unknown>
  }
}

export async function listParams(request: FastifyRequest, limits: ParamLimits): Promise<Record<string, unknown>> {
  const at = request.url.indexOf('?')
  const fromQuery = at === -1 ? {} : parseBracketed(request.url.slice(at + 1), limits, 'query')
  const text = request.method === 'GET' ? await readGetBody(request, limits.bodyLimit) : null
  if (text === null) return fromQuery
  const fromBody = asParams(parseBody(text, request.headers['content-type'], limits)) as Record<string, unknown>
  // Fastify parses no GET body, so the admin audit log (http/admin-audit.ts) reads it from here.
  request.getBodyParams = fromBody
  const both = Object.keys(fromBody).filter((k) => Object.hasOwn(fromQuery, k))
  if (both.length > 0) {
    throw new AppError('bad_parameter', Object.fromEntries(both.map((k) => [k, ['given in both the query string and the body']])))
  }
  return { ...fromQuery, ...fromBody }
}
