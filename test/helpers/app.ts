// A real parley HTTP server on a loopback port, and a small client on node:http (fetch refuses a
// body on GET, and ConnectyCube's documented requests send one).
import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createAdminKey } from '../../src/services/keys.ts'
import type { Store } from '../../src/store/connect.ts'

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any
}

export interface CallOptions {
  headers?: Record<string, string>
  /** A string is sent as is (form by default); an object as JSON. */
  body?: string | object
  contentType?: string
  /** Send no admin key (or the given one instead of the server's). */
  key?: string | null
}

export interface TestServer {
  readonly url: string
  readonly key: string
  readonly app: FastifyInstance
  call(method: string, path: string, options?: CallOptions): Promise<Answer>
  get(path: string, options?: CallOptions): Promise<Answer>
  close(): Promise<void>
}

export function send(url: string, method: string, options: CallOptions & { headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  let payload: string | undefined
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] = options.contentType ?? (typeof options.body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json')
    headers['content-length'] = String(Buffer.byteLength(payload))
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown = undefined
        try {
          json = JSON.parse(text)
        } catch {
          // not JSON: leave json undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** uiDir: the console's build; logger: pino options (a test reading the log passes a stream), off by default. */
export type ServerOptions = Pick<AppOptions, 'uiDir' | 'logger'>

export async function startServer(store: Store, env: Record<string, string> = {}, options: ServerOptions = {}): Promise<TestServer> {
  const config = loadConfig(env, { port: 0 })
  const app = await buildApp({ config, store, logger: false, ...options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const { key } = await createAdminKey(store, 'test')
  const call = (method: string, path: string, options: CallOptions = {}) => {
    const headers = { ...options.headers }
    const k = options.key === undefined ? key : options.key
    if (k !== null) headers['CB-Administration-API-Key'] = k
    return send(url + path, method, { ...options, headers })
  }
  return {
    url,
    key,
    app,
    call,
    get: (path, options) => call('GET', path, options),
    close: () => app.close(),
  }
}
