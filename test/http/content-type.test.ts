// Every answer says what it is: a JSON body goes out as `application/json; charset=utf-8`, whichever
// way the route sends it — through its response schema, or as is (a count answer, the unread counts,
// which no page schema describes). Every GET route the app has, over real HTTP, plain and with
// count=1 in the query string or in a GET body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import type { Answer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { pathOf, routesOf } from './routes.ts'

const JSON_TYPE = 'application/json; charset=utf-8'
/** NDJSON: one item exported is one line of JSON, under its own type. */
const EXPORTS = /^\/admin\/chat\/(messages\/)?export$/

const parses = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

for (const kind of STORES) {
  describe(`the content type of JSON answers (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser
    let values: Record<string, string>
    /** The parameters a route requires (a dialog to read, a filter on users), by route URL. */
    let required: Record<string, string>
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
      const dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'x', occupants_ids: [bob.id] } })).json._id as string
      const message = (await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: 'm' } })).json._id as string
      values = { dialog_id: dialog, message_id: message, user_id: String(ann.id), '*': 'swagger-ui.css' }
      const users = `id[in]=${ann.id},${bob.id}`
      required = { '/chat/Message': `chat_dialog_id=${dialog}`, '/users': users, '/users/v2': users }
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const get = (path: string, body?: string) =>
      ann.call('GET', path, { headers: { 'CB-Administration-API-Key': server.key }, ...(body === undefined ? {} : { body }) })
    /** `url`'s required parameters and `more`, joined as a query string or a form body. */
    const params = (url: string, more = '') => [required[url], more].filter(Boolean).join('&')

    it('sends a count answer and the unread counts as JSON', async () => {
      const answers: Array<[string, Answer]> = []
      for (const path of ['/admin/chat/list', '/admin/chat/messages/list', '/chat/Dialog', '/chat/Message', '/users', '/users/v2']) {
        answers.push([`${path}?count=1`, await get(`${path}?${params(path, 'count=1')}`)])
        answers.push([`${path} (count=1 in the body)`, await get(path, params(path, 'count=1'))])
      }
      answers.push(['/chat/Message/unread', await get('/chat/Message/unread')])
      answers.push(['/chat/Message/unread?chat_dialog_ids=…', await get(`/chat/Message/unread?chat_dialog_ids=${values.dialog_id}`)])
      for (const [what, r] of answers) {
        expect(r.status, `${what}: ${r.text}`).toBe(200)
        expect(r.json, what).toBeTypeOf('object')
      }
      expect(answers.slice(0, -2).map(([, r]) => Object.keys(r.json.items as object))).toEqual(answers.slice(0, -2).map(() => ['count']))
      expect(answers.map(([what, r]) => [what, r.headers['content-type']])).toEqual(answers.map(([what]) => [what, JSON_TYPE]))
    })

    it('gives every JSON answer of every GET route a JSON content type', async () => {
      const routes = routesOf(server.app).filter((r) => r.method === 'GET')
      expect(routes.length).toBeGreaterThan(15)
      const wrong: string[] = []
      for (const route of routes) {
        const path = pathOf(route, (name) => {
          if (!(name in values)) throw new Error(`no value for path parameter :${name}`)
          return values[name]!
        })
        for (const [what, r] of [
          [path, await get(`${path}?${params(route.url)}`)],
          [`${path}?count=1`, await get(`${path}?${params(route.url, 'count=1')}`)],
          [`${path} (count=1 in the body)`, await get(path, params(route.url, 'count=1'))],
        ] as Array<[string, Answer]>) {
          const type = r.headers['content-type']
          const json = parses(r.text) && !EXPORTS.test(route.url)
          if ((r.text !== '' && type === undefined) || (json && type !== JSON_TYPE)) wrong.push(`GET ${what} → ${r.status} ${String(type)} ${r.text.slice(0, 100)}`)
        }
      }
      expect(wrong).toEqual([])
    })
  })
}
