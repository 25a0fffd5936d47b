// A real HTTP proxy in front of a server, that can misbehave on chosen requests: answer a status
// of its own (429 with Retry-After, 503, 404 for routes a server lacks), drop the connection before
// answering, or cut a response body short. Tests of the client and of `parley export` use it to be
// the flaky network and the servers without parley's extras.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

export type Misbehaviour =
  | { answer: number; headers?: Record<string, string>; body?: string }
  /** Close the socket without answering. */
  | { drop: true }
  /** Forward, but destroy the connection after this many body bytes. */
  | { cutAfter: number }
  /** Forward after a pause. */
  | { delayMs: number }

/** Decides per request (its number from 1, method and URL); undefined forwards it untouched. */
export type Plan = (request: { n: number; method: string; url: string }) => Misbehaviour | undefined

export interface Proxy {
  readonly url: string
  /** Every request seen, in order. */
  readonly seen: Array<{ method: string; url: string; at: number }>
  close(): Promise<void>
}

export async function startProxy(target: string, plan: Plan = () => undefined): Promise<Proxy> {
  const seen: Proxy['seen'] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    seen.push({ method: req.method ?? 'GET', url, at: Date.now() })
    const what = plan({ n: seen.length, method: req.method ?? 'GET', url })
    if (what && 'answer' in what) {
      res.writeHead(what.answer, { 'content-type': 'application/json', ...what.headers })
      res.end(what.body ?? JSON.stringify({ errors: [`proxy says ${what.answer}`] }))
      return
    }
    if (what && 'drop' in what) {
      req.socket.destroy()
      return
    }
    if (what && 'delayMs' in what) {
      setTimeout(() => forward(req, res, url, undefined), what.delayMs)
      return
    }
    forward(req, res, url, what)
  })

  function forward(req: IncomingMessage, res: ServerResponse, url: string, what: Misbehaviour | undefined): void {
    const upstream = httpRequest(target + url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      // Headers out now, so that a cut falls inside the body rather than before the answer.
      res.flushHeaders()
      let sent = 0
      let cut = false
      answer.on('data', (chunk: Buffer) => {
        if (cut) return
        if (what && 'cutAfter' in what && sent + chunk.length > what.cutAfter) {
          cut = true
          answer.destroy()
          res.write(chunk.subarray(0, Math.max(0, what.cutAfter - sent)), () => res.socket?.destroy())
          return
        }
        sent += chunk.length
        if (!res.write(chunk)) {
          answer.pause()
          res.once('drain', () => answer.resume())
        }
      })
      answer.on('end', () => res.end())
    })
    upstream.on('error', () => res.socket?.destroy())
    req.pipe(upstream)
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
