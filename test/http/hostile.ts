// What the hostile-input tests share: generators of adversarial parameters and bodies (fast-check),
// an injector with a harness timeout (a hang fails the test instead of stalling the run), and the
// check every answer must pass: 2xx/3xx, or a 4xx with {"errors": …}; never a 5xx; and
// Object.prototype untouched.
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { expect } from 'vitest'

/** Per property and route; small, so the suite stays fast. PARLEY_FC_RUNS raises it for a long hunt. */
export const RUNS = Number(process.env.PARLEY_FC_RUNS ?? 6)
/** One seed per test run, printed by fast-check with any counterexample; PARLEY_FC_SEED replays it. */
export const SEED = Number(process.env.PARLEY_FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
export const fcOptions = { numRuns: RUNS, seed: SEED }

const NASTY = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '', ' ', '%', '%zz', '%E0%A4%A',
  '%ED%A0%80', '%FF', '%C0%AF', '%00', '\u0000', '\ud800', '\udfff', 'a\ud800b', '1e999', '-1', '0x10', 'NaN', 'null', 'true',
  '[]', '{}', 'a'.repeat(5000), '61721539107bd9002fdb84ed', '9007199254740993', '1,2,3', ',,,', '\r\n', '../..',
]
const KNOWN = [
  'limit', 'skip', 'count', 'sort_asc', 'sort_desc', '_id', 'updated_at', 'created_at', 'chat_dialog_id', 'message', 'type',
  'name', 'occupants_ids', 'user_id', 'force', 'read', 'add', 'remove', 'enabled', 'push_all', 'pull_all', 'user', 'login',
  'password', 'auth_key', 'extensions', 'attachments', 'mark_as_read', 'chat_dialog_ids', 'id', 'offset', 'is_muted',
]
const OPS = ['in', 'nin', 'gt', 'gte', 'lt', 'lte', 'ne', 'ctn', 'all', '', '0', '99999', '__proto__', 'constructor', 'prototype']

const nasty = fc.constantFrom(...NASTY)
/** Short strings rich in what breaks parsers: lone surrogates, NUL, brackets, %, &, =. */
export const text = fc.oneof(
  nasty,
  fc.string({
    unit: fc.oneof(fc.constantFrom('\ud800', '\udc00', '\u0000', '[', ']', '%', '&', '=', '+', '.'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    maxLength: 24,
  }),
)
const keyName = fc.oneof(fc.constantFrom(...KNOWN), nasty, text)
/** `key[seg][seg]…`, up to 8 deep. */
const paramName = fc
  .tuple(keyName, fc.array(fc.oneof(fc.constantFrom(...OPS), text), { maxLength: 8 }))
  .map(([k, segments]) => k + segments.map((s) => `[${s}]`).join(''))

const UNRESERVED = /[A-Za-z0-9\-._~[\]]/
/** Percent-encodes the UTF-8 bytes of `s`; `raw` keeps % as is, so malformed escapes reach the server. */
export function encode(s: string, raw = false): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += UNRESERVED.test(c) || (raw && c === '%') ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

export const queryString = fc
  .array(fc.tuple(paramName, text, fc.boolean()), { maxLength: 12 })
  .map((pairs) => pairs.map(([k, v, raw]) => `${encode(k, raw)}=${encode(v, raw)}`).join('&'))

const leaf = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null))
export const jsonBody = fc.oneof(
  fc.object({ key: keyName, values: [leaf], maxDepth: 4, maxKeys: 6 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...KNOWN), fc.oneof(leaf, fc.array(leaf, { maxLength: 4 }), fc.dictionary(keyName, leaf, { maxKeys: 3 }))),
)

export interface Body {
  payload: string
  contentType: string | undefined
}
export const body: fc.Arbitrary<Body> = fc.oneof(
  jsonBody.map((v) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' })),
  jsonBody.map((v) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/x-www-form-urlencoded' })),
  queryString.map((q) => ({ payload: q, contentType: 'application/x-www-form-urlencoded' })),
  fc.tuple(queryString, fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', undefined)).map(
    ([q, contentType]) => ({ payload: q, contentType }),
  ),
)

/** Own property names of the prototypes a parser could pollute. */
export function prototypes(): string {
  return JSON.stringify([Object.prototype, Array.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort()))
}

const HARNESS_TIMEOUT = 30_000

/** app.inject, failing (not hanging) if no answer comes. */
export async function inject(app: FastifyInstance, options: InjectOptions) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${options.method} ${String(options.url).slice(0, 200)}`)), HARNESS_TIMEOUT)
  })
  try {
    return await Promise.race([app.inject(options), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The answer every request must get, whatever it sent. */
export function expectClearAnswer(r: { statusCode: number; body: string; headers: Record<string, unknown> }, what: string, protoBefore: string): void {
  const said = `${what.slice(0, 300)} → ${r.statusCode} ${r.body.slice(0, 300)}`
  // The one 5xx that is a deployment state, not an answer to input: the admin console never built.
  if (r.statusCode === 503 && /not built/.test(r.body)) return
  expect(r.statusCode, said).toBeLessThan(500)
  if (r.statusCode >= 400) {
    expect(String(r.headers['content-type']), said).toMatch(/^application\/json/)
    const json = JSON.parse(r.body) as unknown
    expect(json, said).toHaveProperty('errors')
    const errors = (json as { errors: unknown }).errors
    expect(Array.isArray(errors) ? errors.length : Object.keys(errors as object).length, said).toBeGreaterThan(0)
  }
  expect(prototypes(), said).toBe(protoBefore)
}
