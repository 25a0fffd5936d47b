// What app.inject cannot show, over a real socket: raw invalid UTF-8 bytes, bodies over the limit as
// they arrive, heads over PARLEY_MAX_HEADER_SIZE, bytes that are not HTTP, and slow clients — a head
// or body that never finishes is answered 408 and closed, while an export read slowly is not cut.
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { dialogItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { prototypes } from './hostile.ts'

/** Small receive timeouts, so a stalled client is dropped quickly; the checks do not time anything. */
const ENV = { PARLEY_HEADERS_TIMEOUT: '300', PARLEY_REQUEST_TIMEOUT: '600' }
const HARNESS_TIMEOUT = 20_000

interface Raw {
  status: number
  body: string
}

/** Writes `parts` to a fresh connection (a function part may wait), reads until the server closes it. */
function exchange(port: number, parts: Array<string | Buffer | (() => Promise<void>)>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the server neither answered nor closed the connection'))
    }, HARNESS_TIMEOUT)
    socket.on('data', (c: Buffer) => chunks.push(c))
    // Writing after the server answered early (413) fails with EPIPE/ECONNRESET: the answer still counts.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest.join('\r\n\r\n') })
    })
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return
        if (typeof part === 'function') await part()
        else socket.write(part)
      }
    })
  })
}

const pause = (ms: number) => () => new Promise<void>((r) => setTimeout(r, ms))

function expectErrors(r: Raw, status: number): void {
  expect(r.status, r.body).toBe(status)
  expect(JSON.parse(r.body)).toHaveProperty('errors')
}

for (const kind of STORES) {
  describe(`real sockets (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let port: number
    let proto: string
    const DIALOGS = 3000
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store, ENV)
      ann = await server.user('ann')
      port = Number(new URL(server.url).port)
      proto = prototypes()
      // Enough bytes (~18 MB) that the export outgrows the socket buffers and waits on the reader.
      await importValues(db.store, 'dialogs', Array.from({ length: DIALOGS }, (_, i) => dialogItem(1600000000 + i, { name: 'n'.repeat(900), description: 'd'.repeat(5000) })))
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
      expect(prototypes()).toBe(proto)
    })

    const head = (method: string, path: string, headers: Record<string, string | number> = {}) =>
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n'

    it('answers raw invalid UTF-8 in the query, a header and a body clearly', async () => {
      const bad = Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80])
      const query = Buffer.concat([Buffer.from('GET /admin/chat/list?name='), bad, Buffer.from(` HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCB-Administration-API-Key: ${server.key}\r\n\r\n`)])
      const r1 = await exchange(port, [query])
      expect(r1.status, r1.body).toBeLessThan(500)
      expect(r1.status).toBeGreaterThan(0)
      if (r1.status >= 400) expect(JSON.parse(r1.body)).toHaveProperty('errors')

      const header = Buffer.concat([Buffer.from('GET /session HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCB-Token: '), bad, Buffer.from('\r\n\r\n')])
      expectErrors(await exchange(port, [header]), 401)

      const json = Buffer.concat([Buffer.from('{"chat_dialog_id":"61721539107bd9002fdb84ed","message":"'), bad, Buffer.from('"}')])
      const r3 = await exchange(port, [head('POST', '/chat/Message', { 'CB-Token': ann.token, 'Content-Type': 'application/json', 'Content-Length': json.length }), json])
      expect(r3.status, r3.body).toBeGreaterThanOrEqual(400)
      expect(r3.status, r3.body).toBeLessThan(500)
      expect(JSON.parse(r3.body)).toHaveProperty('errors')
    })

    it('answers a 10 MB body 413 as it arrives, with a length or chunked', async () => {
      const mb = Buffer.alloc(1024 * 1024, 'x')
      const tenMb = Array.from({ length: 10 }, () => mb)
      const sized = await exchange(port, [head('POST', '/chat/Message', { 'CB-Token': ann.token, 'Content-Type': 'application/json', 'Content-Length': 10 * mb.length }), ...tenMb])
      expectErrors(sized, 413)
      const chunked = tenMb.map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]))
      const streamed = await exchange(port, [head('PUT', `/admin/chat/61721539107bd9002fdb84ed`, { 'CB-Administration-API-Key': server.key, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }), ...chunked, '0\r\n\r\n'])
      expectErrors(streamed, 413)
      const getBody = await exchange(port, [head('GET', '/admin/chat/list', { 'CB-Administration-API-Key': server.key, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 10 * mb.length }), ...tenMb])
      expectErrors(getBody, 413)
    })

    it('answers a head over the header size limit 431, and bytes that are not HTTP 400', async () => {
      expectErrors(await exchange(port, [head('GET', '/health', { 'X-Huge': 'x'.repeat(64 * 1024) })]), 431)
      expectErrors(await exchange(port, ['\x16\x03\x01 this is not HTTP\r\n\r\n']), 400)
    })

    it('answers a head that never finishes 408 and closes the connection', async () => {
      expectErrors(await exchange(port, ['GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1', pause(60_000)]), 408)
    })

    it('answers a body that never finishes 408 and closes the connection', async () => {
      const start = head('PUT', `/admin/chat/61721539107bd9002fdb84ed`, { 'CB-Administration-API-Key': server.key, 'Content-Type': 'application/json', 'Content-Length': 100 })
      expectErrors(await exchange(port, [start, '{"name":', pause(60_000)]), 408)
    })

    it('does not cut an export whose reader pauses past the request timeout', async () => {
      const lines = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.url}/admin/chat/export`, { headers: { 'CB-Administration-API-Key': server.key } }, (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.once('data', (first: string) => {
            text += first
            // Stop reading for longer than PARLEY_REQUEST_TIMEOUT (and PARLEY_HEADERS_TIMEOUT).
            res.pause()
            setTimeout(() => {
              res.on('data', (c: string) => (text += c))
              res.resume()
            }, 1500)
          })
          res.on('end', () => resolve(text.split('\n').filter(Boolean).length))
          res.on('error', reject)
        })
        req.on('error', reject)
        req.end()
      })
      expect(lines).toBe(DIALOGS)
    })
  })
}
