// GET /ready (migrations, database, draining) and GET /metrics (who may read it, and that the
// request counters and histograms move under the route pattern of each request), on each store.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { loadConfig, type StoreConfig } from '../../src/config.ts'
import { importValues } from '../../src/services/import.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem } from '../helpers/factories.ts'
import { createPostgresDatabase, STORES, type StoreKind, type TestStore } from '../helpers/stores.ts'

const METRICS_TOKEN = 'metrics-token-0123456789'

/** A store on a fresh database that nothing has migrated. */
async function unmigrated(kind: StoreKind): Promise<{ store: Store; drop(): Promise<void> }> {
  if (kind.name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ready-'))
    const store = createStore({ ...loadConfig({}).store, dbFile: join(dir, 'p.db') })
    return { store, drop: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) }
  }
  const pg = await createPostgresDatabase(process.env.PARLEY_TEST_DATABASE_URL!)
  const config: StoreConfig = { ...loadConfig({}).store, databaseUrl: pg.url, poolSize: 2 }
  const store = createStore(config)
  return { store, drop: async () => (await store.close(), await pg.drop()) }
}

/** Prometheus text → `name{labels}` → value (comments skipped). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    values.set(m[1]!, Number(m[2]))
  }
  return values
}

for (const kind of STORES) {
  describe(`/ready (${kind.name})`, () => {
    it('is 503 until the migrations have run, then 200; 503 once draining, while /health stays 200', async () => {
      const fresh = await unmigrated(kind)
      const app = await buildApp({ config: loadConfig({}), store: fresh.store, logger: false })
      try {
        const before = await app.inject({ method: 'GET', url: '/ready' })
        expect(before.statusCode).toBe(503)
        expect(before.json().errors[0]).toMatch(/migrations not applied/)
        await migrate(fresh.store)
        const after = await app.inject({ method: 'GET', url: '/ready' })
        expect([after.statusCode, after.json()]).toEqual([200, { status: 'ready' }])
        app.startDraining()
        const draining = await app.inject({ method: 'GET', url: '/ready' })
        expect([draining.statusCode, draining.json()]).toEqual([503, { errors: ['shutting down'] }])
        expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
      } finally {
        await app.close()
        await fresh.drop()
      }
    })

    it('is 503 when the database does not answer', async () => {
      const fresh = await unmigrated(kind)
      await migrate(fresh.store)
      const app = await buildApp({ config: loadConfig({}), store: fresh.store, logger: false })
      try {
        expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200)
        await fresh.store.close()
        const down = await app.inject({ method: 'GET', url: '/ready' })
        expect([down.statusCode, down.json()]).toEqual([503, { errors: ['database unreachable'] }])
      } finally {
        await app.close()
        await fresh.drop()
      }
    })
  })

  describe(`/metrics (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    let dialogId: string
    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store, { PARLEY_METRICS_TOKEN: METRICS_TOKEN })
      const d = dialogItem(1645095700, { type: 2, name: 'Room' })
      dialogId = d._id as string
      await importValues(db.store, 'dialogs', [d])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const scrape = async () => {
      const r = await server.get('/metrics')
      expect(r.status, r.text).toBe(200)
      expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
      return parseMetrics(r.text)
    }

    it('needs the admin key or the metrics token', async () => {
      expect((await server.get('/metrics', { key: null })).status).toBe(401)
      expect((await server.get('/metrics', { key: 'not-a-key' })).status).toBe(401)
      expect((await server.get('/metrics', { key: null, headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401)
      const byToken = await server.get('/metrics', { key: null, headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      expect(byToken.status).toBe(200)
      expect(byToken.text).toContain('# TYPE parley_http_requests_total counter')
    })

    it('counts requests and their latency under the route pattern and status class', async () => {
      const label = (method: string, route: string, cls: string) => `method="${method}",route="${route}",status_class="${cls}"`
      const list = label('GET', '/admin/chat/list', '2xx')
      const put = label('PUT', '/admin/chat/:dialog_id', '2xx')
      const refused = label('GET', '/admin/chat/list', '4xx')
      const unmatched = label('GET', '(unmatched)', '4xx')
      const before = await scrape()
      const count = (m: Map<string, number>, l: string) => m.get(`parley_http_requests_total{${l}}`) ?? 0

      for (let i = 0; i < 3; i++) expect((await server.get('/admin/chat/list?limit=2')).status).toBe(200)
      expect((await server.call('PUT', `/admin/chat/${dialogId}`, { body: { name: 'Renamed' } })).status).toBe(200)
      expect((await server.get('/admin/chat/list', { key: null })).status).toBe(401)
      expect((await server.get('/no/such/route/12345')).status).toBe(404)

      const after = await scrape()
      expect(count(after, list) - count(before, list)).toBe(3)
      expect(count(after, put) - count(before, put)).toBe(1)
      expect(count(after, refused) - count(before, refused)).toBe(1)
      expect(count(after, unmatched) - count(before, unmatched)).toBe(1)
      // Raw URLs never become labels: no dialog id, no query string.
      const labels = [...after.keys()].join('\n')
      expect(labels).not.toContain(dialogId)
      expect(labels).not.toContain('limit=2')
      expect(labels).not.toContain('12345')

      // The histogram: cumulative buckets ending in +Inf = count; the sum is positive.
      const buckets = [...after.entries()].filter(([k]) => k.startsWith(`parley_http_request_duration_seconds_bucket{${list},`)).map(([, v]) => v)
      expect(buckets.length).toBeGreaterThan(5)
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!)
      expect(after.get(`parley_http_request_duration_seconds_bucket{${list},le="+Inf"}`)).toBe(count(after, list))
      expect(after.get(`parley_http_request_duration_seconds_count{${list}}`)).toBe(count(after, list))
      expect(after.get(`parley_http_request_duration_seconds_sum{${list}}`)).toBeGreaterThan(0)
    })

    it('shows the store: open export readers, and the pool (PostgreSQL) or the writer (SQLite)', async () => {
      const idle = await scrape()
      expect(idle.get('parley_export_streams_active')).toBe(0)
      expect(idle.get('parley_store_readers_limit')).toBeGreaterThan(0)
      const reader = db.store.openReader()!
      expect((await scrape()).get('parley_export_streams_active')).toBe(1)
      await reader.close()
      expect((await scrape()).get('parley_export_streams_active')).toBe(0)
      // A finished export gives its reader back.
      const exported = await server.get('/admin/chat/export')
      expect(exported.status).toBe(200)
      expect((await scrape()).get('parley_export_streams_active')).toBe(0)

      if (kind.name === 'postgres') {
        expect(idle.get('parley_store_pool_connections{state="total"}')).toBeGreaterThan(0)
        expect(idle.has('parley_store_pool_connections{state="idle"}')).toBe(true)
        expect(idle.get('parley_store_pool_connections{state="waiting"}')).toBe(0)
      } else {
        expect(idle.get('parley_sqlite_writer_in_transaction')).toBe(0)
      }
      // How totals were read: a new filter counts from scratch, its next page derives.
      const counted = (how: string, m: Map<string, number>) => m.get(`parley_counts_total{how="${how}"}`)
      const before = await scrape()
      const first = await server.get('/admin/chat/messages/list?limit=1&sender_id=424242')
      await server.get(`/admin/chat/messages/list?limit=1&sender_id=424242&_id[lt]=${first.json.items[0]?._id ?? 'f'.repeat(24)}`)
      const after = await scrape()
      expect(counted('full', after)! - counted('full', before)!).toBe(1)
      expect(counted('derived', after)! - counted('derived', before)!).toBe(1)
      for (const how of ['aside', 'rung', 'ladder']) expect(counted(how, after)).toBe(counted(how, before))
      expect(idle.get('process_resident_memory_bytes')).toBeGreaterThan(0)
      expect(idle.has('process_cpu_user_seconds_total')).toBe(true)
      expect(idle.has('nodejs_eventloop_delay_seconds{quantile="0.99"}')).toBe(true)
    })
  })
}

it('parseMetrics refuses a malformed line (so the scrapes above are really parsed)', () => {
  expect(() => parseMetrics('good 1\nbad line here\n')).toThrow(/not a sample/)
})
