// The measuring loops: closed-loop HTTP load at a given concurrency (every request's latency kept,
// at sub-millisecond precision), the in-process floors, and the documented export loop.
import { readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { messageCodec } from '../src/services/message-item.ts'
import { sqliteDialect } from '../src/store/dialect.ts'

export interface Latency {
  requests: number
  errors: number
  seconds: number
  /** Requests per second. */
  rps: number
  /** Milliseconds. */
  p50: number
  p99: number
  mean: number
  max: number
  bytesPerResponse?: number
  firstError?: string
  /** The server's own time per answer (Server-Timing), ms, when it sends one. */
  server?: { p50: number; p99: number }
}

export interface Budget {
  seconds: number
  maxRequests: number
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits))

/** p50 and p99 of some samples. */
export function pick(samples: number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(samples).sort()
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN
  return { p50: round(at(0.5)), p99: round(at(0.99)) }
}

export function summarize(samples: number[], seconds: number, extra: Partial<Latency> = {}): Latency {
  const sum = samples.reduce((a, b) => a + b, 0)
  return {
    requests: samples.length,
    errors: 0,
    seconds: round(seconds),
    rps: Math.round(samples.length / seconds),
    ...pick(samples),
    mean: round(sum / samples.length),
    max: round(samples.reduce((a, b) => Math.max(a, b), -Infinity)),
    ...extra,
  }
}

// ---- peak RSS (VmHWM) of this process or a child ----

const vmHwmKb = (pid: number | 'self'): number | null => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

/** Resets a process's VmHWM to its current RSS (Linux: clear_refs 5), so a phase's peak can be read. */
export function resetPeakRss(pid: number | 'self' = 'self'): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch {
    // Not Linux, or not allowed: the peak is then the process's lifetime peak.
  }
}

export const peakRssMb = (pid: number | 'self' = 'self'): number => {
  const kb = vmHwmKb(pid) ?? (pid === 'self' ? process.resourceUsage().maxRSS : NaN)
  return Math.round(kb / 1024)
}

// ---- HTTP ----

interface Reply {
  status: number
  bytes: number
  /** Kept when asked for, or when the status is not 200. */
  body: string | null
  /** The server's own time (its Server-Timing header), ms. */
  serverMs: number | null
}

function get(agent: http.Agent, port: number, path: string, headers: Record<string, string>, keep: boolean, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const method = body === undefined ? 'GET' : 'POST'
    const sent = body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: sent, agent }, (res) => {
      const status = res.statusCode ?? 0
      const keepBody = keep || (status !== 200 && status !== 201)
      const chunks: Buffer[] = []
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (keepBody) chunks.push(chunk)
      })
      const timing = /dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''))
      const serverMs = timing ? Number(timing[1]) : null
      res.on('end', () => resolve({ status, bytes, body: keepBody ? Buffer.concat(chunks).toString('utf8') : null, serverMs }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

export interface LoadOptions {
  port: number
  headers?: Record<string, string>
  /**
   * Called once per request with its number in the run (0, 1, …): a fresh path, so parameter values
   * vary. A path made from the number alone is the same request in every run of the same length,
   * whichever server answers (the warm-up's numbers start at WARMUP_FIRST, so its paths are others).
   */
  path: (i: number) => string
  concurrency: number
  budget: Budget
  /** Seconds of unrecorded traffic first (default: a tenth of the budget, at most 0.5 s). */
  warmup?: number
  /** A JSON body to POST (fresh per request) instead of a GET. */
  body?: () => string
}

/** The number of a warm-up's first request (LoadOptions.path): beyond any recorded run's. */
const WARMUP_FIRST = 1_000_000_000

/** `concurrency` clients in closed loops until the time or request budget runs out. */
export async function httpLoad(o: LoadOptions): Promise<Latency> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency })
  const headers = o.headers ?? {}
  try {
    const run = async (seconds: number, maxRequests: number, record: boolean, first: number) => {
      const samples: number[] = []
      const serverSamples: number[] = []
      let issued = 0
      let errors = 0
      let bytes = 0
      let firstError: string | undefined
      const started = performance.now()
      const end = started + seconds * 1000
      const worker = async () => {
        while (issued < maxRequests && performance.now() < end) {
          const path = o.path(first + issued++)
          const t0 = performance.now()
          try {
            const reply = await get(agent, o.port, path, headers, false, o.body?.())
            const dt = performance.now() - t0
            bytes += reply.bytes
            if (reply.status === 200 || reply.status === 201) {
              samples.push(dt)
              if (reply.serverMs !== null) serverSamples.push(reply.serverMs)
            } else {
              errors++
              firstError ??= `${reply.status} ${path}: ${reply.body?.slice(0, 300)}`
            }
          } catch (error) {
            errors++
            firstError ??= `${path}: ${(error as Error).message}`
          }
        }
      }
      await Promise.all(Array.from({ length: o.concurrency }, worker))
      if (!record) return null
      const elapsed = (performance.now() - started) / 1000
      return summarize(samples, elapsed, {
        errors,
        bytesPerResponse: Math.round(bytes / Math.max(1, samples.length + errors)),
        ...(firstError ? { firstError } : {}),
        ...(serverSamples.length > 0 ? { server: pick(serverSamples) } : {}),
      })
    }
    await run(o.warmup ?? Math.min(0.5, o.budget.seconds / 10), Infinity, false, WARMUP_FIRST)
    return (await run(o.budget.seconds, o.budget.maxRequests, true, 0))!
  } finally {
    agent.destroy()
  }
}

/** GET → parsed JSON, through one keep-alive connection. */
export function jsonClient(port: number, headers: Record<string, string>) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  return {
    async get(path: string): Promise<unknown> {
      const reply = await get(agent, port, path, headers, true)
      if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${reply.body?.slice(0, 300)}`)
      return JSON.parse(reply.body!)
    },
    close: () => agent.destroy(),
  }
}

// ---- the documented export loop ----

export interface LoopFigures {
  filter: string
  /** total_entries of the first page, and the pages that makes (Math.ceil(total / 100)). */
  totalEntries: number
  pagesPlanned: number
  pages: number
  items: number
  seconds: number
  itemsPerSecond: number
  complete: boolean
  /** Per page, milliseconds. */
  pageP50: number
  pageP99: number
  pageMax: number
}

type Page = { total_entries: number; items: Array<{ _id: string }> }

function loopFigures(filter: string, totalEntries: number, pages: number[], items: number, seconds: number, complete: boolean): LoopFigures {
  const s = summarize(pages, seconds)
  return {
    filter,
    totalEntries,
    pagesPlanned: Math.ceil(totalEntries / 100),
    pages: pages.length,
    items,
    seconds: round(seconds),
    itemsPerSecond: Math.round(items / seconds),
    complete,
    pageP50: s.p50,
    pageP99: s.p99,
    pageMax: s.max,
  }
}

/**
 * The NodeJS example of the Messages List page: `?limit=100`, then `&_id[lt]=<last _id>` for
 * Math.ceil(total_entries / 100) pages, total_entries read from every page. Items are counted, not
 * kept (the example concatenates them all). Stops after `capSeconds`.
 */
export async function exportLoop(port: number, key: string, filter: string, capSeconds: number): Promise<LoopFigures> {
  const client = jsonClient(port, { 'CB-Administration-API-Key': key })
  const base = `/admin/chat/messages/list?limit=100${filter ? `&${filter}` : ''}`
  const pages: number[] = []
  try {
    const started = performance.now()
    const fetchPage = async (path: string): Promise<Page> => {
      const t0 = performance.now()
      const page = (await client.get(path)) as Page
      pages.push(performance.now() - t0)
      if (typeof page.total_entries !== 'number') throw new Error(`${path}: no total_entries`)
      return page
    }
    const first = await fetchPage(base)
    const batches = Math.ceil(first.total_entries / 100)
    let items = first.items.length
    let last = first.items.at(-1)?._id
    let i = 1
    for (; i < batches && last !== undefined; i++) {
      if (performance.now() - started > capSeconds * 1000) break
      const page = await fetchPage(`${base}&_id[lt]=${last}`)
      items += page.items.length
      last = page.items.at(-1)?._id
    }
    return loopFigures(filter, first.total_entries, pages, items, (performance.now() - started) / 1000, i >= batches)
  } finally {
    client.close()
  }
}

// ---- counts from scratch: how long the rest of the server waits ----

export interface ColdCountFigures {
  path: string
  /** The request that counts from scratch. */
  ms: number
  /** GET /health, asked again 5 ms after each answer while that request ran. */
  health: { n: number; p50: number; max: number }
}

/** GET `path` on a connection of its own (as a new client's would be): how long it took, ms. */
async function timedGet(port: number, path: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now()
  const reply = await get(new http.Agent({ keepAlive: false }), port, path, headers, false)
  if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${reply.body}`)
  return performance.now() - started
}

/**
 * One request whose total nothing kept can derive (a filter never asked before), with /health asked
 * over and over meanwhile: on SQLite such a count used to hold the server's one thread, and every
 * request waited for it (decision 0010).
 */
export async function coldCount(port: number, headers: Record<string, string>, path: string): Promise<ColdCountFigures> {
  let done = false
  const request = timedGet(port, path, headers).finally(() => {
    done = true
  })
  const health: number[] = []
  while (!done) {
    health.push(await timedGet(port, '/health', {}))
    await new Promise((r) => setTimeout(r, 5))
  }
  const ms = await request
  const sorted = [...health].sort((a, b) => a - b)
  const round = (x: number) => Math.round(x * 100) / 100
  return { path, ms: round(ms), health: { n: health.length, p50: round(sorted[sorted.length >> 1] ?? 0), max: round(sorted.at(-1) ?? 0) } }
}

// ---- the streaming export ----

export interface StreamFigures {
  items: number
  seconds: number
  itemsPerSecond: number
  bytes: number
}

/** GET `path` (an NDJSON export) and count its lines as they arrive, keeping none. */
export function streamExport(port: number, headers: Record<string, string>, path: string): Promise<StreamFigures> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${path}: ${res.statusCode}`))
        res.resume()
        return
      }
      let items = 0
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) items++
      })
      res.on('end', () => {
        const seconds = (performance.now() - started) / 1000
        resolve({ items, seconds, itemsPerSecond: Math.round(items / seconds), bytes })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

// ---- in-process floors ----

export const FLOOR_SQL = 'SELECT * FROM messages WHERE id < ? ORDER BY id DESC LIMIT 100'

export interface SqliteFloor {
  /** The query alone. */
  query: Latency
  /** Query + JSON.stringify of the rows: the floor parley's figures are divided by. */
  queryStringify: Latency
  /** Query + rows → admin items (parley's codec) + JSON.stringify. */
  queryCodecStringify: Latency
}

/** better-sqlite3 in this process: one 100-item keyset page at a random _id[lt] point per iteration. */
export function sqliteFloor(file: string, nextId: () => string, budget: Budget): SqliteFloor {
  const db = new SQLite(file, { readonly: true })
  try {
    const stmt = db.prepare(FLOOR_SQL)
    const query: number[] = []
    const plain: number[] = []
    const codec: number[] = []
    const end = performance.now() + budget.seconds * 1000
    while (query.length < budget.maxRequests && performance.now() < end) {
      const t0 = performance.now()
      const rows = stmt.all(nextId()) as Record<string, unknown>[]
      const t1 = performance.now()
      JSON.stringify(rows)
      const t2 = performance.now()
      JSON.stringify(rows.map((r) => messageCodec.toItem(r, sqliteDialect)))
      const t3 = performance.now()
      query.push(t1 - t0)
      plain.push(t2 - t0)
      codec.push(t1 - t0 + (t3 - t2))
    }
    // Three figures from one loop: each one's rate is over its own summed time.
    const own = (samples: number[]) => summarize(samples, samples.reduce((a, b) => a + b, 0) / 1000)
    return { query: own(query), queryStringify: own(plain), queryCodecStringify: own(codec) }
  } finally {
    db.close()
  }
}

/** The same keyset pages as the export loop, in process, without a count: the loop's floor. */
export function sqliteKeysetLoop(file: string, capSeconds: number): LoopFigures {
  const db = new SQLite(file, { readonly: true })
  try {
    const first = db.prepare('SELECT * FROM messages ORDER BY id DESC LIMIT 100')
    const next = db.prepare(FLOOR_SQL)
    const total = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
    const pages: number[] = []
    let items = 0
    let last: string | undefined
    const started = performance.now()
    for (;;) {
      if (performance.now() - started > capSeconds * 1000) break
      const t0 = performance.now()
      const rows = (last === undefined ? first.all() : next.all(last)) as Array<{ id: string }>
      JSON.stringify(rows)
      pages.push(performance.now() - t0)
      if (rows.length === 0) break
      items += rows.length
      last = rows.at(-1)!.id
    }
    return loopFigures('(in process, no count)', total, pages, items, (performance.now() - started) / 1000, items === total)
  } finally {
    db.close()
  }
}

/**
 * PostgreSQL's floors, through pg in this process, each a named prepared statement: the floor
 * query + JSON.stringify, and a round trip alone (one value in, one row out), the least any
 * statement costs — what an answer that must ask the database pays beside SQLite's in-process one.
 */
export async function postgresFloors(url: string, nextId: () => string, budget: Budget): Promise<{ page: Latency; roundTrip: Latency }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const timed = async (run: () => Promise<void>): Promise<Latency> => {
    const samples: number[] = []
    const started = performance.now()
    const end = started + budget.seconds * 1000
    while (samples.length < budget.maxRequests && performance.now() < end) {
      const t0 = performance.now()
      await run()
      samples.push(performance.now() - t0)
    }
    return summarize(samples, (performance.now() - started) / 1000)
  }
  try {
    const page = await timed(async () => {
      const { rows } = await client.query({ name: 'floor', text: FLOOR_SQL.replace('?', '$1'), values: [nextId()] })
      JSON.stringify(rows)
    })
    let i = 0
    const roundTrip = await timed(async () => {
      await client.query({ name: 'round trip', text: 'select $1::int as v', values: [i++] })
    })
    return { page, roundTrip }
  } finally {
    await client.end()
  }
}
