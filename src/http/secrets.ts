// What must never reach a log line or the audit table: the credential headers, and parameters
// named like secrets wherever they sit in a query or body. One list, used by the pino options
// (redact paths and serializers) and by the admin audit log.
import type { FastifyServerOptions } from 'fastify'

export const SECRET_HEADERS = ['cb-administration-api-key', 'cb-token', 'cb-authkey', 'authorization', 'cookie', 'set-cookie'] as const
/** Parameter names whose values are secrets: password, auth_key / authKey, token, api keys. */
const SECRET_PARAM = /pass(word)?|auth_?key|token|secret|api_?key/i
export const REDACTED = '[redacted]'

/** A copy of `value` with every secret-named field (at any depth) replaced by REDACTED. */
export function redactParams(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return REDACTED
  if (Array.isArray(value)) return value.map((v) => redactParams(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_PARAM.test(k) ? REDACTED : redactParams(v, depth + 1)
  return out
}

/** The URL with the values of secret-named query parameters replaced (`?token=[redacted]`). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 0) return pair
      let name = pair.slice(0, eq)
      try {
        name = decodeURIComponent(name)
      } catch {
        // a malformed escape: test the name as sent
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair
    })
    .join('&')
  return `${url.slice(0, q)}?${query}`
}

/** Headers with the credential ones replaced. */
export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...headers }
  for (const name of SECRET_HEADERS) if (name in out) out[name] = REDACTED
  return out
}

const headerPaths = (prefix: string) => SECRET_HEADERS.map((h) => `${prefix}["${h}"]`)
const bodyPaths = (prefix: string) => ['password', 'auth_key', 'token'].flatMap((f) => [`${prefix}.${f}`, `${prefix}.*.${f}`])

/**
 * The pino options every logger of the app gets. Fastify's own request log line carries method and
 * URL only; the URL's secret query parameters are masked by the serializer. The redact paths cover
 * headers and bodies wherever a log call puts them (the 500 log line carries both, redacted).
 */
export const LOG_REDACTION: Pick<Exclude<FastifyServerOptions['logger'], boolean | undefined>, 'redact' | 'serializers'> & object = {
  redact: {
    paths: [...headerPaths('headers'), ...headerPaths('req.headers'), ...bodyPaths('body'), ...bodyPaths('req.body')],
    censor: REDACTED,
  },
  serializers: {
    // Fastify's default request serializer, with the URL masked.
    req: (req: { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
      method: req.method,
      url: redactUrl(req.url ?? ''),
      host: req.host ?? req.hostname,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    }),
    headers: (h: Record<string, unknown>) => redactHeaders(h),
    body: (b: unknown) => redactParams(b),
  },
}
