// `parley keys create|list|revoke` against a database file that an in-process server also serves:
// what the command prints, and what the server then accepts or refuses.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { runParley } from './run.ts'

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe('parley keys', () => {
  let dir: string
  let db: string
  let store: Store
  let server: TestServer
  let ciKey: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-cli-keys-'))
    db = join(dir, 'parley.db')
    // The CLI creates and migrates the file; the server opens the same file afterwards.
    const created = await runParley(['keys', 'create', '--name', 'ci', '--db', db])
    expect(created.code, created.stderr).toBe(0)
    const lines = created.stdout.trimEnd().split('\n')
    ciKey = lines[lines.length - 1]!
    store = createStore({ ...loadConfig({}).store, dbFile: db })
    await migrate(store)
    server = await startServer(store) // adds its own key, named "test"
  })

  afterAll(async () => {
    await server?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('create prints the new key as the last line of stdout, and the key works', async () => {
    expect(ciKey).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const r = await server.get('/admin/chat/list', { key: ciKey })
    expect(r.status, r.text).toBe(200)
    expect(r.json).toEqual({ total_entries: 0, skip: 0, limit: 100, items: [] })
    const wrong = await server.get('/admin/chat/list', { key: ciKey.slice(0, -1) + (ciKey.endsWith('A') ? 'B' : 'A') })
    expect(wrong.status).toBe(401)
  })

  it('list shows name, created and last used, never the key', async () => {
    const r = await runParley(['keys', 'list', '--db', db])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain(ciKey)
    expect(r.stdout).not.toContain(server.key)
    const [header, ...rows] = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/))
    expect(header).toEqual(expect.arrayContaining(['NAME', 'CREATED', 'LAST USED']))
    const col = (name: string) => header!.indexOf(name)
    const ci = rows.find((row) => row[col('NAME')] === 'ci')
    const test = rows.find((row) => row[col('NAME')] === 'test')
    expect(ci, r.stdout).toBeDefined()
    expect(test, r.stdout).toBeDefined()
    expect(ci![col('CREATED')]).toMatch(ISO_MS)
    // The ci key was used by the previous test; the server's own key has not been used yet.
    expect(ci![col('LAST USED')]).toMatch(ISO_MS)
    expect(Date.parse(ci![col('LAST USED')]!)).toBeGreaterThanOrEqual(Date.parse(ci![col('CREATED')]!))
    expect(test![col('LAST USED')]).toBe('-')
  })

  it('revoke <name> makes that key answer 401 and leaves the others working', async () => {
    const r = await runParley(['keys', 'revoke', 'ci', '--db', db])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('"ci"')
    const refused = await server.get('/admin/chat/list', { key: ciKey })
    expect(refused.status).toBe(401)
    expect(Array.isArray(refused.json.errors) && refused.json.errors.length > 0, refused.text).toBe(true)
    const other = await server.get('/admin/chat/messages/list')
    expect(other.status, other.text).toBe(200)
  })

  it('revoking an unknown name exits 1 and revokes nothing', async () => {
    const r = await runParley(['keys', 'revoke', 'no-such-key', '--db', db])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no-such-key')
    expect(r.stdout).toBe('')
    expect((await server.get('/admin/chat/list')).status).toBe(200)
  })
})
