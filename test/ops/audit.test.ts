// The admin-access audit log end to end: requests through the real HTTP interface (refused ones
// too), written when the app closes, then read back with the real `parley audit` and its filters;
// and the buffer itself: nothing written per request, a bounded buffer that drops the oldest
// (counted, logged) while the table cannot be written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { PARAMS_CAP } from '../../src/http/admin-audit.ts'
import { createAuditLog, type AuditEntry } from '../../src/services/admin-audit.ts'
import { importValues } from '../../src/services/import.ts'
import { createAdminKey, revokeAdminKey } from '../../src/services/keys.ts'
import { startServer } from '../helpers/app.ts'
import { dialogItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { runParley } from '../cli/run.ts'

const SECRET = 'sEcReT-VaLuE-7731'

interface Entry {
  at: string
  key_id: number | null
  key_name: string | null
  method: string
  route: string
  params: { path?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown }
  status: number
  duration_ms: number
  remote: string | null
}

/** Waits (without sleeping a fixed time) until the clock has moved past `ms`. */
async function after(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((r) => setTimeout(r, 1))
}

for (const kind of STORES) {
  describe(`admin audit log through HTTP and \`parley audit\` (${kind.name})`, () => {
    let db: TestStore
    let storeArgs: string[]
    let mid: number
    let opsKeyId: number
    let dialogId: string

    const audit = async (...args: string[]) => {
      const r = await runParley(['audit', ...storeArgs, ...args])
      expect(r.code, r.stderr).toBe(0)
      return r
    }
    const entries = async (...args: string[]): Promise<Entry[]> =>
      (await audit('--json', ...args)).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Entry)

    beforeAll(async () => {
      db = await kind.open()
      storeArgs = kind.name === 'sqlite' ? ['--db', db.config.dbFile] : ['--database-url', db.config.databaseUrl!]
      const d = dialogItem(1645095700, { type: 2, name: 'Room' })
      dialogId = d._id as string
      await importValues(db.store, 'dialogs', [d])
      const server = await startServer(db.store) // key "test"
      const ops = await createAdminKey(db.store, 'ops')
      opsKeyId = ops.info.id
      const gone = await createAdminKey(db.store, 'gone')
      await revokeAdminKey(db.store, 'gone')

      // First batch: before `mid`.
      expect((await server.get('/admin/chat/list?limit=5&name=Room')).status).toBe(200)
      // An unknown parameter: refused (400), and still audited, its value redacted.
      expect((await server.get(`/admin/chat/messages/list?auth_key=${SECRET}`, { key: ops.key })).status).toBe(400)
      const last = Date.now()
      await after(last + 2)
      mid = Date.now()
      await after(mid + 2)
      // Second batch: after `mid`.
      expect((await server.call('PUT', `/admin/chat/${dialogId}`, { key: ops.key, body: { name: 'Renamed', token: SECRET } })).status).toBe(422)
      expect((await server.call('PUT', `/admin/chat/${dialogId}`, { key: ops.key, body: { name: 'Renamed' } })).status).toBe(200)
      expect((await server.get('/admin/chat/list', { key: null })).status).toBe(401)
      expect((await server.get('/admin/chat/list', { key: gone.key })).status).toBe(401)
      // Not an admin route: not audited.
      expect((await server.get('/health')).status).toBe(200)
      // Closing the app writes the buffered entries (they were never written per request).
      await server.close()
    })
    afterAll(async () => {
      await db.drop()
    })

    it('lists every admin request, newest first, with key, route, params, status, timing and address', async () => {
      const all = await entries()
      expect(all.map((e) => [e.method, e.route, e.status, e.key_name])).toEqual([
        ['GET', '/admin/chat/list', 401, null],
        ['GET', '/admin/chat/list', 401, null],
        ['PUT', '/admin/chat/:dialog_id', 200, 'ops'],
        ['PUT', '/admin/chat/:dialog_id', 422, 'ops'],
        ['GET', '/admin/chat/messages/list', 400, 'ops'],
        ['GET', '/admin/chat/list', 200, 'test'],
      ])
      const times = all.map((e) => Date.parse(e.at))
      expect([...times].sort((a, b) => b - a)).toEqual(times)
      for (const e of all) {
        expect(e.remote).toBe('127.0.0.1')
        expect(e.duration_ms).toBeGreaterThan(0)
      }
      expect(all[2]!.key_id).toBe(opsKeyId)
      expect(all[2]!.params).toEqual({ path: { dialog_id: dialogId }, body: { name: 'Renamed' } })
      expect(all[5]!.params).toEqual({ query: { limit: '5', name: 'Room' } })
      // Secrets in a query or body are kept as names only.
      expect(all[4]!.params).toEqual({ query: { auth_key: '[redacted]' } })
      expect(all[3]!.params.body).toEqual({ name: 'Renamed', token: '[redacted]' })
    })

    it('never prints a secret or a key, in either format', { timeout: 120_000 }, async () => {
      const [table, json] = (await Promise.all([audit(), audit('--json')])).map((r) => r.stdout) as [string, string]
      for (const out of [table, json]) {
        expect(out).not.toContain(SECRET)
        expect(out).not.toMatch(/[A-Za-z0-9_-]{43}/)
      }
      expect(table.split('\n')[0]).toMatch(/^TIME\s+KEY\s+METHOD\s+ROUTE\s+STATUS\s+MS\s+REMOTE\s+PARAMS$/)
      expect(table).toContain(`ops (${opsKeyId})`)
    })

    // Each run of the CLI starts a process: the runs go side by side, and the test gets more time.
    it('filters by key, status, status class, time and limit', { timeout: 120_000 }, async () => {
      const iso = new Date(mid).toISOString()
      const [byKey, byStatus, byClass, limited, before, since, combined, none] = await Promise.all([
        entries('--key', 'ops'),
        entries('--status', '401'),
        entries('--status', '4xx'),
        entries('--limit', '2'),
        entries('--until', iso),
        entries('--since', iso),
        entries('--since', iso, '--key', 'ops', '--status', '2xx'),
        entries('--since', '1h', '--until', '59m'),
      ])
      expect(byKey.map((e) => e.status)).toEqual([200, 422, 400])
      expect(byStatus.length).toBe(2)
      expect(byClass.map((e) => e.status)).toEqual([401, 401, 422, 400])
      expect(limited.map((e) => e.status)).toEqual([401, 401])
      expect(before.map((e) => e.route)).toEqual(['/admin/chat/messages/list', '/admin/chat/list'])
      expect(since.length).toBe(4)
      expect(combined.map((e) => e.route)).toEqual(['/admin/chat/:dialog_id'])
      expect(none).toEqual([])
    })

    it('refuses bad filters with a message naming the option', { timeout: 120_000 }, async () => {
      const bad = [
        ['--status', '6xx'],
        ['--since', 'yesterday-ish'],
        ['--limit', '0'],
      ] as const
      const runs = await Promise.all(bad.map(([option, value]) => runParley(['audit', ...storeArgs, option, value])))
      runs.forEach((r, i) => {
        expect(r.code).not.toBe(0)
        expect(r.stderr).toContain(bad[i]![0])
      })
    })

    it('--prune-before deletes the older entries only', async () => {
      const r = await audit('--prune-before', new Date(mid).toISOString())
      expect(r.stdout).toMatch(/^Deleted 2 audit entries before /)
      expect((await entries()).length).toBe(4)
    })
  })

  describe(`admin audit params cap (${kind.name})`, () => {
    it('keeps at most PARAMS_CAP characters of a large body, cut visibly', async () => {
      const db = await kind.open()
      try {
        const server = await startServer(db.store)
        const big = 'x'.repeat(PARAMS_CAP * 3)
        const r = await server.call('PUT', '/admin/chat/ffffffffffffffffffffffff', { body: { name: big } })
        expect(r.status).toBeGreaterThanOrEqual(400)
        await server.close()
        const [row] = await db.store.db.selectFrom('admin_audit').select(['params', 'status']).execute()
        expect(row!.status).toBe(r.status)
        expect(row!.params.length).toBe(PARAMS_CAP + 1)
        expect(row!.params.startsWith('{"path":{"dialog_id":"ffffffffffffffffffffffff"},"body":{"name":"xxx')).toBe(true)
        expect(row!.params.endsWith('x…')).toBe(true)
      } finally {
        await db.drop()
      }
    })
  })

  describe(`admin audit buffer (${kind.name})`, () => {
    let db: TestStore
    beforeAll(async () => {
      db = await kind.open()
    })
    afterAll(async () => {
      await db.drop()
    })
    const entry = (n: number): AuditEntry => ({ at: n, key_id: 1, key_name: 'k', method: 'GET', route: '/admin/chat/list', params: '{}', status: 200, duration_us: 1000, remote: null })
    const rows = () => db.store.db.selectFrom('admin_audit').select('at').orderBy('at').execute()

    it('writes nothing per request, then a batch per flush', async () => {
      const log = createAuditLog(db.store, { flushMs: 3_600_000, batchSize: 500, warn: () => {} })
      for (let i = 1; i <= 1200; i++) log.record(entry(i))
      // 1200 = two full batches (written when they filled) + 200 waiting for the timer.
      await log.flush()
      // Every entry once, in order: a batch is written as INSERTs of 500 rows, then of 2^k (store/compiled.ts rowsPerStatement).
      expect((await rows()).map((r) => r.at)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1))
      log.record(entry(5000))
      expect(log.buffered).toBe(1)
      expect((await rows()).length).toBe(1200)
      await log.close()
      expect((await rows()).length).toBe(1201)
      await db.store.db.deleteFrom('admin_audit').execute()
    })

    it('while the table cannot be written, keeps the newest entries up to its capacity and reports the dropped ones', async () => {
      const warnings: string[] = []
      const log = createAuditLog(db.store, { flushMs: 3_600_000, batchSize: 2, capacity: 3, warn: (m) => warnings.push(m) })
      await sql`alter table admin_audit rename to admin_audit_away`.execute(db.store.db)
      for (let i = 1; i <= 5; i++) log.record(entry(i))
      await log.flush()
      expect(warnings.some((w) => w.includes('writing a batch failed'))).toBe(true)
      expect(log.dropped).toBe(2)
      expect(log.buffered).toBe(3)
      await sql`alter table admin_audit_away rename to admin_audit`.execute(db.store.db)
      await log.close()
      expect((await rows()).map((r) => r.at)).toEqual([3, 4, 5])
      expect(warnings.some((w) => /\d+ entries were dropped while the buffer was full/.test(w))).toBe(true)
      expect(log.dropped).toBeGreaterThanOrEqual(2)
    })
  })
}
