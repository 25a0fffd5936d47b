// `npm run bench [-- options]`: builds (or reuses) the data set, measures the floors, imports the
// data into each store and starts `parley serve` on it as a child process, measures every shape on
// the stores in turn, then each store's documented export loops, streaming export and send rate.
// Writes bench/results/<date>-<size>.json and the tables in bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import { random } from '../src/services/demo-data.ts'
import { messageCodec } from '../src/services/message-item.ts'
import { sqliteDialect } from '../src/store/dialect.ts'
import { createPostgresDatabase } from '../test/helpers/stores.ts'
import { cliImport } from './cli-import.ts'
import { parseSize, postgresDataset, ROOT, sizeLabel, sqliteDataset, type DatasetStats } from './dataset.ts'
import { coldCount, httpLoad, postgresFloors, sqliteFloor, sqliteKeysetLoop, streamExport, type Budget, type Latency } from './measure.ts'
import { machine, markdown, save, type Results, type ShapeResult, type StoreResult } from './report.ts'
// @ts-expect-error: plain JavaScript of the bin, without declarations
import { buildIsCurrent } from '../bin/current-build.js'
import { createKey, exportLoopInChild, startHttpFloor, startParley, type Server } from './servers.ts'
import { idIn, shapes, URL_OF, type Shape } from './shapes.ts'
import { durability, durabilityLine, durabilityMarkdown, type DurabilityResult } from './durability.ts'
import { soak, soakLine, soakMarkdown, type SoakResult } from './soak.ts'

const HELP = `npm run bench -- [options]
  --messages N       1m (default), 10m, or a count such as 20k
  --stores LIST      sqlite,postgres (default), and postgres-socket; the postgres stores need a server URL:
  --database-url URL PostgreSQL server (or PARLEY_BENCH_DATABASE_URL); a fresh database is made and dropped
  --pg-socket DIR    postgres-socket: parley reaches the same server through its Unix socket in DIR
                     (default /var/run/postgresql), on the same database as postgres when both run
  --keep DIR         keep the generated SQLite data set in DIR and reuse it on later runs
  --seed N           data set and parameter seed (default 1)
  --seconds S        time per measurement (default 3; --quick 0.3)
  --requests N       requests per shape at concurrency 1, the same for every store (default 2000; --quick 50)
  --loop-seconds S   cap of each export loop (default 60; --quick 5)
  --soak S           seconds of the mixed-load soak per store (default 180; --quick 5; 0 skips it)
  --crash N          acknowledged writes of the crash durability run per store, over 3 kills (default 3000; --quick 200; 0 skips it)
  --quick            a smoke run: 2k messages unless --messages, short measurements, nothing written`

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    'database-url': { type: 'string' },
    'pg-socket': { type: 'string', default: '/var/run/postgresql' },
    keep: { type: 'string' },
    seed: { type: 'string', default: '1' },
    seconds: { type: 'string' },
    requests: { type: 'string' },
    'loop-seconds': { type: 'string' },
    soak: { type: 'string' },
    crash: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (opts.help) {
  process.stdout.write(`${HELP}\n`)
  process.exit(0)
}

const CONCURRENCY = [1, 32] as const
const quick = opts.quick
const messages = parseSize(opts.messages ?? (quick ? '2k' : '1m'))
const positive = (name: string, text: string): number => {
  const n = Number(text)
  if (!(n > 0)) throw new Error(`--${name}: expected a positive number, got ${JSON.stringify(text)}`)
  return n
}
const seed = positive('seed', opts.seed)
const budget: Budget = { seconds: positive('seconds', opts.seconds ?? (quick ? '0.3' : '3')), maxRequests: 100_000 }
// A shape's requests at concurrency 1 are counted, not timed: every store answers the same requests
// (shapeRequest), so a ratio compares like with like. Timed, a slower store answered a shorter
// prefix of them. The time stays a cap.
const c1Budget: Budget = { seconds: budget.seconds * 5, maxRequests: positive('requests', opts.requests ?? (quick ? '50' : '2000')) }
const loopCap = positive('loop-seconds', opts['loop-seconds'] ?? (quick ? '5' : '60'))
const nonNegative = (name: string, text: string): number => {
  const n = Number(text)
  if (!(n >= 0)) throw new Error(`--${name}: expected 0 or a positive number, got ${JSON.stringify(text)}`)
  return n
}
const soakSeconds = nonNegative('soak', opts.soak ?? (quick ? '5' : '180'))
const crashWrites = Math.round(nonNegative('crash', opts.crash ?? (quick ? '200' : '3000')))
const CRASH_KILLS = 3
const pgUrl = opts['database-url'] ?? process.env.PARLEY_BENCH_DATABASE_URL ?? null
const stores = opts.stores.split(',').map((s) => s.trim())
const STORE_NAMES: readonly string[] = ['sqlite', 'postgres', 'postgres-socket'] satisfies StoreResult['name'][]
for (const s of stores) if (!STORE_NAMES.includes(s)) throw new Error(`--stores: unknown store ${s}`)
if (stores.includes('postgres-socket') && !pgUrl) throw new Error('--stores postgres-socket needs --database-url or PARLEY_BENCH_DATABASE_URL')
if (stores.includes('postgres') && !pgUrl) {
  if (opts.stores !== 'sqlite,postgres') throw new Error('--stores postgres needs --database-url or PARLEY_BENCH_DATABASE_URL')
  stores.splice(stores.indexOf('postgres'), 1)
  log('no --database-url or PARLEY_BENCH_DATABASE_URL: SQLite only')
}

function log(line: string): void {
  process.stderr.write(`${line}\n`)
}
// Memory figures depend on it: the sources run through tsx take ~40 MB more per process.
const parleyWouldRun = (): 'build' | 'sources' => ((buildIsCurrent as (root: string) => boolean)(ROOT) ? 'build' : 'sources')
const parleyRuns = parleyWouldRun()
if (parleyRuns === 'sources') log('dist/server is missing or older than src/: parley runs from the sources (npm run build:server for representative memory)')
const fmt = (l: Latency): string => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, ${l.rps} req/s${l.errors ? `, ${l.errors} ERRORS: ${l.firstError}` : ''}`

/** Undone in reverse order at the end, on failure, and on Ctrl-C: children, databases, temp files. */
const cleanups: Array<() => unknown> = []
async function cleanup(): Promise<void> {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) {
    try {
      await f()
    } catch (error) {
      log(`cleanup: ${(error as Error).message}`)
    }
  }
}
let interrupted = false
process.on('SIGINT', () => {
  interrupted = true
  log('interrupted: stopping servers, dropping the database')
  void cleanup().finally(() => process.exit(130))
})
const checkInterrupted = (): void => {
  if (interrupted) throw new Error('interrupted')
}

/** How parley reaches a postgres store's database: postgres-socket through the server's Unix socket. */
function storeUrl(name: string, url: string): string {
  if (name !== 'postgres-socket') return url
  const u = new URL(url)
  u.searchParams.set('host', opts['pg-socket'])
  return u.toString()
}

/**
 * The i-th request of shape number `s`: each from a random stream of its own, so every store is
 * asked the same pages in the same order, whatever the shapes before it took.
 */
const shapeRequest = (shape: Shape, s: number) => (i: number) => shape.path(random((seed + 7) * 1_000_003 + s * 65_537 + i))

/** A store's parley server, started and warmed, with what its cold counts measured. */
interface OpenStore {
  name: StoreResult['name']
  key: string
  server: Server
  headers: Record<string, string>
  coldCounts: StoreResult['coldCounts']
  imported: Omit<StoreResult, 'name' | 'shapes' | 'loops' | 'serverPeakRssMb'>
  shapes: ShapeResult[]
}

/**
 * Stops the run when src/ changed since it began: `parley` would then run the sources through tsx,
 * not the build the results say it ran (and not the code the earlier measurements ran).
 */
function checkSameBuild(): void {
  const runs = parleyWouldRun()
  if (runs !== parleyRuns) throw new Error(`src/ changed during the run: parley would now run ${runs === 'build' ? 'the build' : 'the sources'}, not ${parleyRuns === 'build' ? 'the build' : 'the sources'} as before`)
}

async function openStore(name: StoreResult['name'], storeArgs: string[], imported: OpenStore['imported']): Promise<OpenStore> {
  checkSameBuild()
  const key = await createKey(storeArgs)
  const server = await startParley(storeArgs)
  cleanups.push(() => server.stop())
  const headers = { 'CB-Administration-API-Key': key }
  // Warm the JIT and the page cache on a simple shape before anything is recorded.
  await httpLoad({ port: server.port, headers, path: () => `${URL_OF.messages}?limit=100`, concurrency: 4, budget: { seconds: quick ? 0.2 : 2, maxRequests: Infinity }, warmup: 0 })

  // Before the shapes, so that nothing is kept for these filters: each counts ~all messages from scratch.
  const coldCounts = []
  for (const n of [0, 1, 2]) {
    const c = await coldCount(server.port, headers, `${URL_OF.messages}?count=1&sender_id[gt]=${n}`)
    log(`${name} count from scratch ${c.path}: ${c.ms} ms; /health meanwhile p50 ${c.health.p50} ms, max ${c.health.max} ms (${c.health.n} answers)`)
    coldCounts.push(c)
  }
  server.resetPeakRss()
  return { name, key, server, headers, coldCounts, imported, shapes: [] }
}

/**
 * Every shape on every open store, shape by shape: each shape is measured on one store and then
 * on the next, the order turned round from one shape to the next. A ratio between stores then
 * compares runs seconds apart, not one store's pass with another's twenty minutes later on a
 * machine whose speed drifts within minutes.
 */
async function measureShapes(open: OpenStore[], stats: DatasetStats): Promise<void> {
  for (const [s, shape] of shapes(stats).entries()) {
    for (const store of s % 2 === 0 ? open : [...open].reverse()) {
      checkInterrupted()
      const measured: Latency[] = []
      for (const concurrency of CONCURRENCY) {
        measured.push(await httpLoad({ port: store.server.port, headers: store.headers, path: shapeRequest(shape, s), concurrency, budget: concurrency === 1 ? c1Budget : budget }))
      }
      store.shapes.push({ resource: shape.resource, filter: shape.filter, sort: shape.sort, example: shape.path(random(seed)), c1: measured[0]!, c32: measured[1]! })
      log(`${store.name} ${shape.resource} ${shape.filter} ${shape.sort}: c1 ${fmt(measured[0]!)} | c32 ${fmt(measured[1]!)}`)
    }
  }
}

/** The documented loops and the streaming export on one store, after the shapes; stops its server. */
async function finishStore(store: OpenStore, stats: DatasetStats): Promise<StoreResult> {
  const { name, server, key, headers } = store
  const pagesRss = server.peakRssMb()
  server.resetPeakRss()
  const loops = []
  for (const filter of ['', `updated_at[gt]=${stats.medianUpdatedAt}`, `chat_dialog_id=${stats.largest.id}`]) {
    const l = await exportLoopInChild(server.port, key, filter, loopCap)
    log(`${name} export loop ${filter || 'none'}: ${l.pages}/${l.pagesPlanned} pages, ${l.items} items in ${l.seconds} s = ${l.itemsPerSecond} items/s (page p50 ${l.pageP50} ms, p99 ${l.pageP99} ms)`)
    loops.push(l)
  }
  const loopsRss = server.peakRssMb()
  server.resetPeakRss()
  const streamed = await streamExport(server.port, headers, '/admin/chat/messages/export')
  log(`${name} streaming export: ${streamed.items} items in ${streamed.seconds.toFixed(1)} s = ${streamed.itemsPerSecond} items/s`)
  const phaseRssMb = { pages: pagesRss, loops: loopsRss, export: server.peakRssMb() }
  const serverPeakRssMb = Math.max(pagesRss, loopsRss, phaseRssMb.export)
  await server.stop()
  return { name, ...store.imported, shapes: store.shapes, loops, coldCounts: store.coldCounts, export: streamed, phaseRssMb, serverPeakRssMb }
}

/** POST /chat/Message at concurrency 1 and 32 into one group dialog, on a fresh, empty database. */
async function measureSend(name: string, storeArgs: string[]): Promise<StoreResult['send']> {
  const authKey = 'bench-auth-key-0123456789abcdef'
  checkSameBuild()
  const server = await startParley([...storeArgs, '--auth-key', authKey])
  cleanups.push(() => server.stop())
  const base = `http://127.0.0.1:${server.port}`
  const post = async (path: string, body: unknown, headers: Record<string, string>) => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers are read loosely here
    return (await r.json()) as Record<string, any>
  }
  const users = []
  for (const login of ['bench-sender', 'bench-reader-1', 'bench-reader-2']) {
    users.push((await post('/users', { user: { login, password: 'bench-password-1' } }, { 'CB-AuthKey': authKey })).user)
  }
  const { session } = await post('/session', { auth_key: authKey, user: { login: 'bench-sender', password: 'bench-password-1' } }, {})
  const headers = { 'CB-Token': session.token as string }
  const dialog = await post('/chat/Dialog', { type: 2, name: 'bench', occupants_ids: users.slice(1).map((u) => u.id) }, headers)
  let n = 0
  const body = () => JSON.stringify({ chat_dialog_id: dialog._id, message: `bench message ${++n}`, mission: 'measure' })
  server.resetPeakRss()
  const c1 = await httpLoad({ port: server.port, headers, path: () => '/chat/Message', body, concurrency: 1, budget })
  const c32 = await httpLoad({ port: server.port, headers, path: () => '/chat/Message', body, concurrency: 32, budget })
  log(`${name} send: c1 ${fmt(c1)} | c32 ${fmt(c32)}`)
  const serverPeakRssMb = server.peakRssMb()
  await server.stop()
  return { c1, c32, serverPeakRssMb }
}

async function main(): Promise<void> {
  const size = sizeLabel(messages)
  log(`parley bench: ${size} messages, stores ${stores.join(', ')}, ${budget.seconds} s per measurement`)
  let dir = opts.keep ? resolve(opts.keep) : null
  if (!dir) {
    const tmp = mkdtempSync(join(tmpdir(), 'parley-bench-'))
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }))
    dir = tmp
  }

  log('data set: SQLite file (also the in-process floor)…')
  const ds = await sqliteDataset(dir, messages, seed, Boolean(opts.keep))
  const stats = ds.stats
  log(
    `  ${stats.messages} messages, ${stats.dialogs} dialogs, largest ${stats.largest.messages}; ` +
      (ds.figures.cached ? `reused ${ds.file}` : `imported in ${ds.figures.seconds.toFixed(1)} s = ${ds.figures.itemsPerSecond} items/s, peak RSS ${ds.figures.peakRssMb} MB`),
  )

  // Floors, before any parley server runs.
  const floorRnd = random(seed + 3)
  const sqlite = sqliteFloor(ds.file, () => idIn(floorRnd, stats.messageTimes), budget)
  log(`floor: better-sqlite3 query + JSON.stringify ${fmt(sqlite.queryStringify)}`)
  const keysetLoop = sqliteKeysetLoop(ds.file, loopCap)
  log(`floor: in-process keyset loop without count ${keysetLoop.itemsPerSecond} items/s`)
  const db = new SQLite(ds.file, { readonly: true })
  const rows = db.prepare('SELECT * FROM messages ORDER BY id DESC LIMIT 100').all() as Record<string, unknown>[]
  db.close()
  const page = JSON.stringify({ total_entries: stats.messages, skip: 0, limit: 100, items: rows.map((r) => messageCodec.toItem(r, sqliteDialect)) })
  const floorServer = await startHttpFloor(page)
  cleanups.push(() => floorServer.stop())
  const http = {
    c1: await httpLoad({ port: floorServer.port, path: () => '/', concurrency: 1, budget }),
    c32: await httpLoad({ port: floorServer.port, path: () => '/', concurrency: 32, budget }),
  }
  await floorServer.stop()
  log(`floor: node:http c1 ${fmt(http.c1)} | c32 ${fmt(http.c32)}`)

  // Each store's data is loaded and its server started first; the shapes are then measured on
  // them in turn (measureShapes), and the loops, the export and the send rate store by store.
  const open: OpenStore[] = []
  // The postgres stores share one database, imported once by the first of them: postgres-socket
  // differs from postgres only in how parley reaches the server, which is what it measures.
  let pgData: { database: { url: string; drop(): Promise<void> }; importedBy: string; figures: StoreResult['import']; analyzeSeconds: number } | null = null
  for (const name of stores) {
    checkInterrupted()
    if (name === 'sqlite') {
      log('sqlite: parley import of the data set as NDJSON…')
      // The defaults (one worker thread beside the main one, on 2+ cores), then the main thread alone.
      const [cli, oneThread] = await cliImport(ds.file, dir, stats.messages, [[], ['--workers', '0']])
      for (const c of [cli!, oneThread!]) {
        log(`  ${c.args || 'defaults'}: ${c.items} items (${c.fileMb} MB) in ${c.seconds.toFixed(1)} s = ${c.itemsPerSecond} items/s, peak RSS ${c.peakRssMb} MB`)
      }
      open.push(await openStore('sqlite', ['--db', ds.file], { import: ds.figures, cliImport: cli, cliImportVariant: oneThread }))
      continue
    }
    if (!pgData) {
      const database = await createPostgresDatabase(pgUrl!)
      cleanups.push(() => database.drop())
      log(`${name}: importing…`)
      const { figures, analyzeSeconds } = await postgresDataset(database.url, messages, seed)
      log(`  imported in ${figures.seconds.toFixed(1)} s = ${figures.itemsPerSecond} items/s, peak RSS ${figures.peakRssMb} MB; VACUUM ANALYZE ${analyzeSeconds.toFixed(1)} s`)
      pgData = { database, importedBy: name, figures, analyzeSeconds }
    }
    const url = storeUrl(name, pgData.database.url)
    const pgRnd = random(seed + 3)
    const floors = await postgresFloors(url, () => idIn(pgRnd, stats.messageTimes), budget)
    log(`floor (${name}): pg query + JSON.stringify ${fmt(floors.page)}; pg round trip alone ${fmt(floors.roundTrip)}`)
    const shared = pgData.importedBy === name ? {} : { sameDatabaseAs: pgData.importedBy }
    open.push(await openStore(name as StoreResult['name'], ['--database-url', url], { import: pgData.figures, analyzeSeconds: pgData.analyzeSeconds, inProcessFloor: floors.page, roundTripFloor: floors.roundTrip, ...shared }))
  }

  await measureShapes(open, stats)

  const storeResults: StoreResult[] = []
  for (const store of open) {
    checkInterrupted()
    const result = await finishStore(store, stats)
    if (store.name === 'sqlite') {
      const fresh = mkdtempSync(join(tmpdir(), 'parley-bench-send-'))
      cleanups.push(() => rmSync(fresh, { recursive: true, force: true }))
      storeResults.push({ ...result, send: await measureSend('sqlite', ['--db', join(fresh, 'send.db')]) })
      continue
    }
    if (store === open.filter((o) => o.name !== 'sqlite').at(-1)) await pgData!.database.drop()
    const fresh = await createPostgresDatabase(pgUrl!)
    cleanups.push(() => fresh.drop())
    storeResults.push({ ...result, send: await measureSend(store.name, ['--database-url', storeUrl(store.name, fresh.url)]) })
    await fresh.drop()
  }

  // The soak and the crash runs, each on a fresh database per store, after every other measurement.
  const soaks: SoakResult[] = []
  const crashes: DurabilityResult[] = []
  for (const name of stores) {
    for (const phase of ['soak', 'crash'] as const) {
      if (phase === 'soak' ? soakSeconds === 0 : crashWrites === 0) continue
      checkInterrupted()
      let storeArgs: string[]
      let drop: () => Promise<void>
      if (name === 'sqlite') {
        const fresh = mkdtempSync(join(tmpdir(), `parley-bench-${phase}-`))
        drop = async () => rmSync(fresh, { recursive: true, force: true })
        storeArgs = ['--db', join(fresh, `${phase}.db`)]
      } else {
        const database = await createPostgresDatabase(pgUrl!)
        drop = () => database.drop()
        storeArgs = ['--database-url', storeUrl(name, database.url)]
      }
      cleanups.push(drop)
      if (phase === 'soak') {
        log(`${name}: soak, ${soakSeconds} s…`)
        soaks.push(await soak(name, storeArgs, soakSeconds, seed, log))
        log(soakLine(soaks.at(-1)!))
      } else {
        log(`${name}: crash durability, ${crashWrites} writes over ${CRASH_KILLS} kills…`)
        crashes.push(await durability(name, storeArgs, crashWrites, CRASH_KILLS, seed, log))
        log(durabilityLine(crashes.at(-1)!))
      }
      await drop()
    }
  }

  const results: Results = {
    date: new Date().toISOString().slice(0, 10),
    size,
    settings: { secondsPerMeasurement: budget.seconds, maxRequestsPerMeasurement: budget.maxRequests, shapeRequestsC1: c1Budget.maxRequests, shapesInterleaved: true, loopCapSeconds: loopCap, concurrency: [...CONCURRENCY], parley: parleyRuns },
    machine: await machine(stores.some((s) => s !== 'sqlite') ? pgUrl : null),
    dataset: stats,
    floors: { sqlite, http, keysetLoop },
    stores: storeResults,
    ...(soaks.length > 0 ? { soak: soaks } : {}),
    ...(crashes.length > 0 ? { durability: crashes } : {}),
  }
  const table = markdown(results) + soakMarkdown(soaks) + durabilityMarkdown(crashes)
  process.stdout.write(`\n${table}`)
  if (quick) log('\n--quick: nothing written.')
  else log(`\nwrote ${save(results, table)} and bench/README.md`)
}

try {
  await main()
} finally {
  await cleanup()
}
