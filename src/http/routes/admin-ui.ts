// GET /admin/ui: the admin console (ui/, built by Vite into dist/ui). The page and its assets are
// public — they hold no data; every API call the page makes carries the admin key — so these routes
// sit outside the admin-key hook. A handful of files, so a small handler rather than @fastify/static
// (whose current release pulls in packages that require Node 22): one directory, no listing,
// nothing outside it, and a clear 503 when it was never built.
import { readFile, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { PACKAGE_ROOT } from '../../paths.ts'
import { sendAsIs } from '../send-as-is.ts'

export const DEFAULT_UI_DIR = join(PACKAGE_ROOT, 'dist/ui')

/** Same origin only, no inline script or style: the built page needs nothing else. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

export function adminUiRoutes(app: FastifyInstance, uiDir: string = DEFAULT_UI_DIR): void {
  const root = resolve(uiDir)

  async function send(reply: FastifyReply, relative: string) {
    reply.header('content-security-policy', CONSOLE_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer')
    if (!(await isFile(join(root, 'index.html')))) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`The admin console is not built: run \`npm run build\` (it writes ${root}), then reload.\n`)
    }
    const path = resolve(root, relative)
    // Nothing outside the build directory, whatever the URL says (`..`, encoded or not).
    if ((path !== root && !path.startsWith(root + sep)) || !(await isFile(path)) || !(extname(path) in TYPES)) {
      // In the API's error shape, like every other 4xx (test/http/hostile-input.test.ts checks them all).
      return sendAsIs(reply.status(404), { errors: [`No file ${relative} in the admin console`] })
    }
    // Vite names assets by content hash: they never change. The page itself is checked every time,
    // so a new build is picked up on the next load.
    const immutable = relative.startsWith('assets/') && /-[\w-]{8,}\.\w+$/.test(relative)
    return reply
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(TYPES[extname(path)]!)
      .send(await readFile(path))
  }

  const hidden = { schema: { hide: true } }
  app.get('/admin/ui', hidden, (_request, reply) => send(reply, 'index.html'))
  app.get('/admin/ui/', hidden, (_request, reply) => send(reply, 'index.html'))
  app.get<{ Params: { '*': string } }>('/admin/ui/*', hidden, (request, reply) => send(reply, request.params['*'] || 'index.html'))
}
