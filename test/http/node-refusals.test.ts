// Requests Node's HTTP server would refuse on its own, with a bare status and an empty body — an
// HTTP/1.1 request without Host, an Expect other than 100-continue — answered in the API's
// `{"errors": …}` shape naming the header. Over a raw socket: app.inject never reaches Node's parser.
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const HARNESS_TIMEOUT = 20_000

interface Raw {
  head: string
  status: number
  body: string
}

/**
 * Writes `request`, reads one answer (by its Content-Length) and closes the connection; the 100
 * Continue an Expect: 100-continue asks for is answered by writing `then`.
 */
function exchange(port: number, request: string, then = ''): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no whole answer to ${JSON.stringify(request.slice(0, 100))}; got ${JSON.stringify(text)}`))
    }, HARNESS_TIMEOUT)
    socket.on('error', () => {})
    socket.on('data', (c: Buffer) => {
      text += c.toString('utf8')
      if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        text = text.slice('HTTP/1.1 100 Continue\r\n\r\n'.length)
        socket.write(then)
      }
      const end = text.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = text.slice(0, end)
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0)
      const body = text.slice(end + 4)
      if (Buffer.byteLength(body) < length) return
      clearTimeout(timer)
      socket.destroy()
      resolve({ head, status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), body })
    })
    socket.on('connect', () => socket.write(request))
  })
}

for (const kind of STORES) {
  describe(`requests Node would refuse itself (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    let port: number
    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      port = Number(new URL(server.url).port)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const json = (r: Raw) => {
      expect(r.head, r.head).toMatch(/\r\ncontent-type: application\/json; charset=utf-8/i)
      return JSON.parse(r.body) as unknown
    }

    it('answers an HTTP/1.1 request without Host 400, naming the header', async () => {
      const r = await exchange(port, 'GET /health HTTP/1.1\r\n\r\n')
      expect(r.status, r.head).toBe(400)
      expect(json(r)).toEqual({ errors: { host: [expect.stringContaining('HTTP/1.1')] } })
      // As Node closes it after its own 400.
      expect(r.head).toMatch(/\r\nconnection: close/i)
      // On a route behind the admin key too: the Host is checked first.
      const admin = await exchange(port, `GET /admin/chat/list HTTP/1.1\r\nCB-Administration-API-Key: ${server.key}\r\n\r\n`)
      expect(admin.status, admin.head).toBe(400)
      expect(json(admin)).toHaveProperty('errors.host')
    })

    it('still answers HTTP/1.0 without Host, and HTTP/1.1 with one', async () => {
      expect((await exchange(port, 'GET /health HTTP/1.0\r\n\r\n')).status).toBe(200)
      expect((await exchange(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(200)
    })

    it('answers an Expect other than 100-continue 417, naming the header', async () => {
      const r = await exchange(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: bogus\r\n\r\n')
      expect(r.status, r.head).toBe(417)
      expect(json(r)).toEqual({ errors: { expect: [expect.stringContaining('100-continue')] } })
      expect(r.head).toMatch(/\r\nconnection: close/i)
    })

    it('still honours Expect: 100-continue', async () => {
      const body = 'limit=1'
      const r = await exchange(
        port,
        `GET /admin/chat/list HTTP/1.1\r\nHost: 127.0.0.1\r\nCB-Administration-API-Key: ${server.key}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
        body,
      )
      expect(r.status, `${r.head}\n${r.body}`).toBe(200)
      expect(json(r)).toMatchObject({ limit: 1 })
    })
  })
}
