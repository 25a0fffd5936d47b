// A client that closes its connection while its request body is still arriving: nobody is left to
// answer and nothing of the server's failed, so the log holds no error line for it — on every GET
// route that reads its body itself (http/params.ts) as on a PUT, whose body Fastify reads. Over
// real sockets: app.inject cannot close a connection mid-body.
import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

/** Rate limits off: every route is called at once with one key and one token. */
const ENV = { PARLEY_RATE_LIMIT_ADMIN: '0', PARLEY_RATE_LIMIT_SESSION: '0' }
const HARNESS_TIMEOUT = 20_000
const ABORTED = 'client closed the connection before its answer'
const DIALOG = '5f0000000000000000000001'

interface LogLine {
  level: number
  msg: string
  reqId?: string
  req?: { method: string; url: string }
}

/** The app's log as parsed lines, and a way to wait for a line that has not come yet. */
function captureLog() {
  const lines: LogLine[] = []
  const waiting = new Set<() => void>()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine)
      for (const check of waiting) check()
      done()
    },
  })
  const until = (found: () => LogLine | undefined, what: string): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(check)
        reject(new Error(`no log line ${what}`))
      }, HARNESS_TIMEOUT)
      function check() {
        const line = found()
        if (line === undefined) return
        clearTimeout(timer)
        waiting.delete(check)
        resolve(line)
      }
      waiting.add(check)
      check()
    })
  return { lines, stream, until }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Sends the head of `method path` announcing a 100-byte form body, then 7 bytes of it, waits a little
 * (so the server is reading the body when it goes; not a timing check), and closes the connection.
 */
async function abortMidBody(port: number, method: string, path: string, headers: Record<string, string>): Promise<void> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await new Promise<void>((r) => socket.once('connect', () => r()))
  const head = Object.entries({ ...headers, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '100' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}\r\nlimit=1`)
  await pause(300)
  socket.destroy()
}

for (const kind of STORES) {
  describe(`a client closing the connection mid-body (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let port: number
    const log = captureLog()
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store, ENV, { logger: { level: 'info', stream: log.stream } })
      ann = await server.user('ann')
      port = Number(new URL(server.url).port)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const admin = () => ({ 'CB-Administration-API-Key': server.key })
    const token = () => ({ 'CB-Token': ann.token })
    const GET_BODIES: Array<[string, () => Record<string, string>]> = [
      ['/admin/chat/list', admin],
      ['/admin/chat/messages/list', admin],
      ['/admin/chat/messages/per_day', admin],
      ['/admin/chat/export', admin],
      ['/admin/chat/messages/export', admin],
      ['/chat/Dialog', token],
      [`/chat/Dialog/${DIALOG}/occupants`, token],
      ['/chat/Message', token],
      ['/chat/Message/unread', token],
      ['/users', token],
      ['/users/v2', token],
    ]

    /** Aborts each request mid-body; what the log says ended each (an error, or the info line). */
    async function abortAll(cases: Array<[string, string, () => Record<string, string>]>) {
      await Promise.all(cases.map(([method, path, headers]) => abortMidBody(port, method, path, headers())))
      return Promise.all(
        cases.map(async ([method, path]) => {
          const incoming = await log.until(() => log.lines.find((l) => l.req?.method === method && l.req.url === path), `for ${method} ${path}`)
          const end = await log.until(
            () => log.lines.find((l) => l.reqId === incoming.reqId && (l.level >= 50 || l.msg === ABORTED)),
            `ending ${method} ${path} (neither an error nor "${ABORTED}")`,
          )
          return { route: `${method} ${path}`, level: end.level, msg: end.msg }
        }),
      )
    }
    const infoLines = (cases: Array<[string, string, unknown]>) => cases.map(([method, path]) => ({ route: `${method} ${path}`, level: 30, msg: ABORTED }))

    it('logs no error, only an info line, on every GET route that reads its body', async () => {
      const cases = GET_BODIES.map(([path, headers]): [string, string, () => Record<string, string>] => ['GET', path, headers])
      expect(await abortAll(cases)).toEqual(infoLines(cases))
      expect(log.lines.filter((l) => l.level >= 50)).toEqual([])
    })

    it('treats a body Fastify reads (a PUT) the same: the info line, no error', async () => {
      const cases: Array<[string, string, () => Record<string, string>]> = [['PUT', `/admin/chat/${DIALOG}`, admin]]
      expect(await abortAll(cases)).toEqual(infoLines(cases))
      expect(log.lines.filter((l) => l.level >= 50)).toEqual([])
    })
  })
}
