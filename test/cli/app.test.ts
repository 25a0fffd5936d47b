// `parley app` prints the application auth key: generated once and stored (the same on every run),
// or the operator's --auth-key / PARLEY_AUTH_KEY. Sign-up and sessions accept exactly that key.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createStore, migrate } from '../../src/store/connect.ts'
import { send, startServer } from '../helpers/app.ts'
import { runParley } from './run.ts'

describe('parley app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-app-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('generates the auth key once, prints it as the last line, and the server accepts it', async () => {
    const db = join(dir, 'parley.db')
    const first = await runParley(['app', '--db', db])
    expect(first.code, first.stderr).toBe(0)
    const key = first.stdout.trim().split('\n').at(-1)!
    expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(first.stderr).toContain('generated')
    const second = await runParley(['app', '--db', db])
    expect(second.stdout.trim()).toBe(key)

    const store = createStore({ ...loadConfig({}).store, dbFile: db })
    await migrate(store)
    const server = await startServer(store)
    try {
      const body = { user: { login: 'someone', password: 'password1' } }
      expect((await send(`${server.url}/users`, 'POST', { body, headers: { 'CB-AuthKey': key } })).status).toBe(201)
      expect((await send(`${server.url}/users`, 'POST', { body, headers: { 'CB-AuthKey': `${key}x` } })).status).toBe(401)
    } finally {
      await server.close()
      await store.close()
    }
  })

  it('prints the operator key when one is set, and rejects a bad one', async () => {
    const db = join(dir, 'other.db')
    const flag = await runParley(['app', '--db', db, '--auth-key', 'operator-key-1'])
    expect(flag.stdout.trim()).toBe('operator-key-1')
    const env = await runParley(['app', '--db', db], { env: { PARLEY_AUTH_KEY: 'from-env-key' } })
    expect(env.stdout.trim()).toBe('from-env-key')
    const bad = await runParley(['app', '--db', db, '--auth-key', 'short'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/auth-key/)
  })
})
