// GET /admin/ui: the console's files, public (no admin key), under a same-origin CSP, cached by
// content hash, nothing served from outside the build directory, and a clear 503 when not built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send, startServer, type TestServer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

describe('admin console files', () => {
  let db: TestStore
  let built: TestServer
  let missing: TestServer
  const dir = mkdtempSync(join(tmpdir(), 'parley-ui-'))
  beforeAll(async () => {
    mkdirSync(join(dir, 'ui/assets'), { recursive: true })
    writeFileSync(join(dir, 'ui/index.html'), '<!doctype html><script type="module" src="/admin/ui/assets/index-AbCd1234.js"></script>')
    writeFileSync(join(dir, 'ui/assets/index-AbCd1234.js'), 'console.log("console")')
    writeFileSync(join(dir, 'secret.txt'), 'not for the web')
    db = await STORES[0]!.open()
    built = await startServer(db.store, {}, { uiDir: join(dir, 'ui') })
    missing = await startServer(db.store, {}, { uiDir: join(dir, 'never-built') })
  })
  afterAll(async () => {
    await built.close()
    await missing.close()
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the page without a key, under a same-origin CSP, revalidated on every load', async () => {
    for (const path of ['/admin/ui', '/admin/ui/']) {
      const r = await send(built.url + path, 'GET')
      expect(r.status).toBe(200)
      expect(r.headers['content-type']).toMatch(/^text\/html/)
      expect(r.text).toContain('/admin/ui/assets/index-AbCd1234.js')
      expect(r.headers['cache-control']).toBe('no-cache')
      const csp = String(r.headers['content-security-policy'])
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("connect-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
    }
  })

  it('serves hashed assets as immutable', async () => {
    const r = await send(`${built.url}/admin/ui/assets/index-AbCd1234.js`, 'GET')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^text\/javascript/)
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(r.text).toBe('console.log("console")')
  })

  it('serves nothing outside the build directory, and 404s what is not there', async () => {
    for (const path of ['/admin/ui/../secret.txt', '/admin/ui/%2e%2e/secret.txt', '/admin/ui/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/admin/ui/nope.js']) {
      const r = await send(built.url + path, 'GET')
      expect(r.status, path).toBe(404)
      expect(r.text).not.toContain('not for the web')
    }
  })

  it('says to run npm run build when the console was never built', async () => {
    const r = await send(`${missing.url}/admin/ui`, 'GET')
    expect(r.status).toBe(503)
    expect(r.text).toMatch(/not built: run `npm run build`/)
  })

  it('keeps the API behind the key', async () => {
    expect((await send(`${built.url}/admin/chat/list`, 'GET')).status).toBe(401)
  })
})
