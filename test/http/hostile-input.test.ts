// Hostile input at EVERY route the app has (read from the app, so a new route is covered without
// being listed): random and adversarial query strings, bodies and path parameters (fast-check), and
// the fixed worst cases — brackets 100 deep, 100k-element arrays, 10k parameters, 10 MB bodies,
// __proto__ keys, huge header values. Valid admin key and session token on every request, so the
// checks past authentication are what answers. Each answer: 2xx/3xx or a 4xx with {"errors": …}.
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_KEY, startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { body, encode, expectClearAnswer, fcOptions, inject, prototypes, queryString, SEED, text } from './hostile.ts'
import { pathOf, routesOf, type Route } from './routes.ts'

/** Rate limits off: this file sends thousands of requests with one key. */
const ENV = { PARLEY_RATE_LIMIT_ADMIN: '0', PARLEY_RATE_LIMIT_SESSION: '0' }

const deep = (n: number) => 'a' + '[b]'.repeat(n) + '=1'
const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('&')
const TEN_MB = 10 * 1024 * 1024
/** The GET routes that read a body (ConnectyCube's `curl -X GET -d …`): the lists and exports. */
const READS_GET_BODY = /^\/(admin\/chat\/(list|export|messages\/(list|export))|chat\/(Dialog|Message|search)|users(\/v2)?|chat\/Message\/unread)$/
const deepJson = '{"a":'.repeat(100) + '1' + '}'.repeat(100)

/** The fixed worst cases, each sent to every route: [name, query string, body, content type]. */
const WORST: Array<[string, string?, string?, string?]> = [
  ['brackets 100 deep (query)', deep(100)],
  ['brackets 100 deep (form)', undefined, deep(100), 'application/x-www-form-urlencoded'],
  ['JSON 100 deep', undefined, deepJson, 'application/json'],
  ['JSON 400k deep (1 MB of brackets)', undefined, `{"message":${'['.repeat(400_000)}${']'.repeat(400_000)}}`, 'application/json'],
  ['JSON 100k deep in a form', undefined, '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000), 'application/x-www-form-urlencoded'],
  ['a[]=x ×100k (query)', many(100_000, () => 'a[]=x')],
  ['a[]=x ×100k (form)', undefined, many(100_000, () => 'a[]=x'), 'application/x-www-form-urlencoded'],
  ['a[99999]=x', 'a[99999]=x'],
  ['JSON array of 100k', undefined, JSON.stringify({ occupants_ids: Array.from({ length: 100_000 }, (_, i) => i) }), 'application/json'],
  ['10k parameters (query)', many(10_000, (i) => `p${i}=1`)],
  ['10k parameters (form)', undefined, many(10_000, (i) => `p${i}=1`), 'application/x-www-form-urlencoded'],
  ['10 MB JSON body', undefined, JSON.stringify({ message: 'x'.repeat(TEN_MB) }), 'application/json'],
  ['10 MB form body', undefined, 'message=' + 'x'.repeat(TEN_MB), 'application/x-www-form-urlencoded'],
  ['__proto__ in a form', undefined, '__proto__[polluted]=1&a[__proto__][polluted]=1', 'application/x-www-form-urlencoded'],
  ['__proto__ in JSON', undefined, '{"__proto__":{"polluted":1},"a":{"__proto__":{"polluted":1}}}', 'application/json'],
  ['constructor.prototype in JSON', undefined, '{"constructor":{"prototype":{"polluted":1}}}', 'application/json'],
  ['constructor[prototype] in a query', 'constructor[prototype][polluted]=1'],
  ['percent-encoding errors', '%=%&a=%E0%A4%A&%zz=1&b=%FF%FE&c=%ED%A0%80'],
  ['NUL and lone surrogates (JSON)', undefined, '{"message":"a\\u0000b","name":"\\ud800","user":{"login":"\\udfff"}}', 'application/json'],
  ['NUL in a query', 'message=a%00b&name=%00'],
]

for (const kind of STORES) {
  describe(`hostile input at every route (${kind.name}, seed ${SEED})`, () => {
    let db: TestStore
    let server: ChatServer
    let bob: ChatUser
    let routes: Route[]
    let proto: string
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store, ENV)
      bob = await server.user('bob')
      routes = routesOf(server.app)
      proto = prototypes()
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    /** A fresh user, dialog and message per route: a route that deletes them spoils no other. */
    async function fixture() {
      const ann = await server.user('ann')
      const dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'x', occupants_ids: [bob.id] } })).json._id as string
      const message = (await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: 'm' } })).json._id as string
      const values: Record<string, string> = { dialog_id: dialog, message_id: message, user_id: String(ann.id), external_user_id: '52691165', '*': 'swagger-ui.css' }
      const fill = (name: string) => {
        if (!(name in values)) throw new Error(`no value for path parameter :${name}; add one to fixture()`)
        return values[name]!
      }
      const headers = { 'CB-Administration-API-Key': server.key, 'CB-Token': ann.token, 'CB-AuthKey': AUTH_KEY }
      return { fill, headers }
    }

    async function send(route: Route, path: string, headers: Record<string, string>, query?: string, payload?: string, contentType?: string) {
      const options: InjectOptions = {
        method: route.method as InjectOptions['method'],
        url: query === undefined ? path : `${path}?${query}`,
        headers: { ...headers, ...(contentType ? { 'content-type': contentType } : {}) },
        ...(payload === undefined ? {} : { payload }),
      }
      const r = await inject(server.app, options)
      expectClearAnswer(r, `${route.method} ${options.url} ${payload?.slice(0, 200) ?? ''}`, proto)
      return r
    }

    it('finds the routes, every documented one among them', () => {
      const documented = Object.entries((server.app.swagger() as { paths: Record<string, object> }).paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      const found = new Set(routes.map((r) => `${r.method} ${r.url}`))
      expect(documented.length).toBeGreaterThan(20)
      for (const d of documented.filter((d) => !d.startsWith('HEAD '))) expect(found, d).toContain(d)
    })

    it('answers random query strings, bodies and path parameters clearly, at every route', { timeout: 600_000 }, async () => {
      for (const route of routes) {
        const { fill, headers } = await fixture()
        const path = pathOf(route, fill)
        await fc.assert(
          fc.asyncProperty(queryString, body, async (query, b) => {
            await send(route, path, headers, query)
            await send(route, path, headers, undefined, b.payload, b.contentType)
          }),
          fcOptions,
        )
        if (route.url.includes(':') || route.url.includes('*')) {
          await fc.assert(
            fc.asyncProperty(text, fc.boolean(), async (value, raw) => {
              await send(route, route.url.replace(/:\w+|\*/g, () => encode(value, raw) || '%20'), headers)
            }),
            fcOptions,
          )
        }
      }
    })

    /** Sends one case with valid credentials: a route that ended the session (DELETE /session) gets a new one. */
    async function sendValid(route: Route, query?: string, payload?: string, contentType?: string) {
      let f = (fixed ??= await fixture())
      let r = await send(route, pathOf(route, f.fill), f.headers, query, payload, contentType)
      if (r.statusCode === 401) {
        f = fixed = await fixture()
        r = await send(route, pathOf(route, f.fill), f.headers, query, payload, contentType)
      }
      return r
    }
    let fixed: Awaited<ReturnType<typeof fixture>> | undefined

    it('answers the worst cases clearly, at every route', { timeout: 600_000 }, async () => {
      for (const route of routes) {
        for (const [name, query, payload, contentType] of WORST) {
          const r = await sendValid(route, query, payload, contentType)
          // A GET route that reads no body never looks at it; every route that reads one refuses it.
          if (payload !== undefined && payload.length > TEN_MB && (route.method !== 'GET' || READS_GET_BODY.test(route.url))) {
            expect(r.statusCode, `${name}: ${route.method} ${route.url}`).toBe(413)
          }
        }
        // Huge header values: in place of the credentials, and beside them.
        const huge = 'x'.repeat(256 * 1024)
        const f = (fixed ??= await fixture())
        await send(route, pathOf(route, f.fill), { ...f.headers, 'CB-Administration-API-Key': huge, 'CB-Token': huge })
        await send(route, pathOf(route, f.fill), { ...f.headers, 'X-Huge': huge })
      }
    })

    it('refuses __proto__ in a query string with a 400 naming it, at every route', async () => {
      for (const route of routes) {
        const r = await sendValid(route, 'limit=1&__proto__[polluted]=1&a[__proto__]=2')
        expect(r.statusCode, `${route.method} ${route.url}: ${r.body}`).toBe(400)
        expect(Object.keys(r.json().errors).sort()).toEqual(['__proto__[polluted]', 'a[__proto__]'])
      }
    })

    it('still answers good requests after all that', async () => {
      const ann = await server.user('ann')
      expect((await ann.call('GET', '/chat/Dialog')).status).toBe(200)
      expect((await server.get('/admin/chat/list?limit=1')).status).toBe(200)
    })
  })
}
