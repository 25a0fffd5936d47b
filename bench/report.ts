// Results: the JSON file under bench/results/, and the markdown tables regenerated into
// bench/README.md between its results markers (and printed).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import type { CliImportFigures } from './cli-import.ts'
import type { DatasetStats, ImportFigures } from './dataset.ts'
import { ROOT } from './dataset.ts'
import type { DurabilityResult } from './durability.ts'
import type { ColdCountFigures, Latency, LoopFigures, SqliteFloor, StreamFigures } from './measure.ts'
import type { SoakResult } from './soak.ts'

export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  os: string
  node: string
  sqlite: string
  postgres: string | null
}

export interface ShapeResult {
  resource: string
  filter: string
  sort: string
  /** One request of the shape, as sent. */
  example: string
  c1: Latency
  c32: Latency
}

export interface StoreResult {
  /** postgres-socket: parley reached the PostgreSQL server through its Unix socket, not TCP (runs from 2026-11-28 on). */
  name: 'sqlite' | 'postgres' | 'postgres-socket'
  import: ImportFigures
  /** The store whose database (and import) this one used: postgres-socket beside postgres. */
  sameDatabaseAs?: string
  /** SQLite: `parley import` of the data set's NDJSON export, as a process of its own. */
  cliImport?: CliImportFigures
  /** SQLite: the same with other options (its `args`). Runs of 2026-11-26 before 09:00 kept `--workers 1` as `cliImportWorkers`. */
  cliImportVariant?: CliImportFigures
  /** PostgreSQL: VACUUM ANALYZE after the import (not in the import figures). */
  analyzeSeconds?: number
  /** PostgreSQL: the floor query through pg in the bench process. */
  inProcessFloor?: Latency
  /** PostgreSQL: a named one-value statement through pg in the bench process, the round trip alone (runs from 2026-11-27 22:00 on). */
  roundTripFloor?: Latency
  shapes: ShapeResult[]
  loops: LoopFigures[]
  /** GET /admin/chat/messages/export of every message, read as it streams. */
  export?: StreamFigures
  /** Peak RSS of the parley child (VmHWM) during each phase: pages, the export loops, the streaming export. */
  phaseRssMb?: { pages: number; loops: number; export: number }
  /** Requests counting from scratch, and /health meanwhile (runs from 2026-11-26 13:00 on). */
  coldCounts?: ColdCountFigures[]
  /** POST /chat/Message into one group dialog of a fresh database, and the server's peak RSS meanwhile. */
  send?: { c1: Latency; c32: Latency; serverPeakRssMb: number }
  /** VmHWM of the parley child at the end of its measurements. */
  serverPeakRssMb: number
}

export interface Results {
  date: string
  size: string
  settings: {
    secondsPerMeasurement: number
    maxRequestsPerMeasurement: number
    /** Requests per shape at concurrency 1, the same ones on every store (runs before 2026-11-27-1m-l timed them instead). */
    shapeRequestsC1?: number
    /** Each shape measured on every store in turn (bench/main.ts measureShapes); before 2026-11-27-1m-n each store's shapes ran as one pass, the stores one after the other. */
    shapesInterleaved?: boolean
    loopCapSeconds: number
    concurrency: number[]
    /** What `parley` ran: the build (dist/server) or, when that was missing or older, the sources through tsx. */
    parley?: 'build' | 'sources'
  }
  machine: Machine
  dataset: DatasetStats
  floors: { sqlite: SqliteFloor; http: { c1: Latency; c32: Latency }; keysetLoop: LoopFigures }
  stores: StoreResult[]
  /** The mixed-load soak per store (bench/soak.ts), when run. */
  soak?: SoakResult[]
  /** The crash durability run per store (bench/durability.ts), when run. */
  durability?: DurabilityResult[]
}

/** This machine, the SQLite library's version, and the version of the PostgreSQL server at `postgresUrl` when given. */
export async function machine(postgresUrl: string | null): Promise<Machine> {
  const memory = new SQLite(':memory:')
  const sqlite = (memory.prepare('select sqlite_version() as v').get() as { v: string }).v
  memory.close()
  let postgres: string | null = null
  if (postgresUrl !== null) {
    const client = new pg.Client({ connectionString: postgresUrl })
    await client.connect()
    postgres = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version
    await client.end()
  }
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    sqlite,
    postgres,
  }
}

const ms = (x: number): string => (Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const int = (x: number): string => Math.round(x).toLocaleString('en-US')
const ratio = (a: number, b: number): string => {
  const x = a / b
  return `${x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2)}×`
}

export function markdown(r: Results): string {
  const f = r.floors
  const floorP50 = f.sqlite.queryStringify.p50
  const ceiling = f.http.c32.rps
  const m = r.machine
  const d = r.dataset
  const out: string[] = []
  out.push(`### ${r.date}, ${r.size} messages`, '')
  out.push(
    `Machine: ${m.cpu} × ${m.cores}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}, SQLite ${m.sqlite}` +
      `${m.postgres ? `, PostgreSQL ${m.postgres}` : ''}. Data set (seed ${d.seed}): ${int(d.messages)} messages in ${int(d.dialogs)} dialogs; ` +
      `largest dialog ${int(d.largest.messages)} messages, median ${int(d.medianDialogSize)}. Each measurement ${r.settings.secondsPerMeasurement} s ` +
      `(at most ${int(r.settings.maxRequestsPerMeasurement)} requests) after a warm-up` +
      (r.settings.shapeRequestsC1 ? `, except each shape at concurrency 1: the same ${int(r.settings.shapeRequestsC1)} requests on every store` : '') +
      (r.settings.shapesInterleaved && r.stores.length > 1 ? '; each shape measured on the stores in turn, the order alternating from shape to shape' : '') +
      `; the export loop stops after ${r.settings.loopCapSeconds} s.` +
      (r.settings.parley ? ` parley ran from ${r.settings.parley === 'build' ? 'its build (dist/server)' : 'the sources, through tsx'}.` : ''),
    '',
  )

  out.push('#### Floors', '', '| floor | p50 ms | p99 ms | per second |', '|---|---:|---:|---:|')
  const floorRow = (name: string, l: Latency) => out.push(`| ${name} | ${ms(l.p50)} | ${ms(l.p99)} | ${int(l.rps)} |`)
  floorRow('better-sqlite3 page query, in process', f.sqlite.query)
  floorRow('**query + JSON.stringify (the floor)**', f.sqlite.queryStringify)
  floorRow("query + parley's item codec + JSON.stringify", f.sqlite.queryCodecStringify)
  const over = (s: StoreResult) => (s.name === 'postgres-socket' ? ', over the Unix socket' : r.stores.some((o) => o.name === 'postgres-socket') ? ', over TCP' : '')
  for (const s of r.stores) if (s.inProcessFloor) floorRow(`PostgreSQL page query (pg, in process) + JSON.stringify${over(s)}`, s.inProcessFloor)
  for (const s of r.stores) if (s.roundTripFloor) floorRow(`PostgreSQL round trip alone (pg, in process, \`select $1::int\`)${over(s)}`, s.roundTripFloor)
  floorRow(`node:http, precomputed page (${int(f.http.c1.bytesPerResponse ?? 0)} B), c=1`, f.http.c1)
  floorRow('**node:http, precomputed page, c=32 (the HTTP ceiling)**', f.http.c32)
  out.push(`| keyset loop over all messages, in process, no count | | | ${int(f.keysetLoop.itemsPerSecond)} items |`, '')

  out.push(
    '#### Import (messages then dialogs, index build included)',
    '',
    'In the bench process (importItems, data generated as it goes: its RSS includes the generator), and as operators run it: `parley import` of the NDJSON export, a process of its own.',
    '',
    '| store | how | items | seconds | items/s | peak RSS MB |',
    '|---|---|---:|---:|---:|---:|',
  )
  for (const s of r.stores) {
    const i = s.import
    if (s.sameDatabaseAs) {
      out.push(`| ${s.name} | the database ${s.sameDatabaseAs} imported | | | | |`)
      continue
    }
    out.push(`| ${s.name} | in process${i.cached ? ' (kept file; figures from when it was built)' : ''} | ${int(i.items)} | ${i.seconds.toFixed(1)} | ${int(i.itemsPerSecond)} | ${i.peakRssMb} |`)
    for (const c of [s.cliImport, s.cliImportVariant]) {
      if (c) out.push(`| ${s.name} | \`parley import${c.args ? ` ${c.args}` : ''}\` of ${int(c.fileMb)} MB NDJSON | ${int(c.items)} | ${c.seconds.toFixed(1)} | ${int(c.itemsPerSecond)} | ${c.peakRssMb} |`)
    }
  }
  out.push('')

  const stores = r.stores
  out.push('#### Admin list pages (limit 100)', '')
  out.push(
    `KB: mean answer size. c1 p50 is followed by its ratio to the floor (${ms(floorP50)} ms); c32 req/s by its ratio to the HTTP ceiling (${int(ceiling)} req/s, ${int((f.http.c32.bytesPerResponse ?? 0) / 1000)} KB a page). srv: the server's own time at c1 (its Server-Timing header: routing to answer ready, without the network and the client). Times in ms.`,
    '',
  )
  const head = ['list', 'filter', 'sort', 'KB', ...stores.flatMap((s) => [`${s.name} c1 p50`, 'c1 p99', 'srv p50', 'srv p99', 'c32 p50', 'c32 p99', 'c32 req/s'])]
  const others = stores.slice(1)
  for (const o of others) head.push(`${o.name}/${stores[0]!.name} c1 p50`, 'srv p50')
  out.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`)
  const errors: string[] = []
  stores[0]?.shapes.forEach((shape, i) => {
    const cells = [shape.resource, shape.filter, shape.sort, ((shape.c1.bytesPerResponse ?? 0) / 1000).toFixed(1)]
    for (const s of stores) {
      const x = s.shapes[i]!
      const flag = x.c1.errors + x.c32.errors > 0 ? ' ⚠' : ''
      if (flag) errors.push(`- ${s.name} ${x.resource} ${x.filter} ${x.sort}: ${x.c1.errors + x.c32.errors} errors, e.g. ${x.c1.firstError ?? x.c32.firstError}`)
      cells.push(`${ms(x.c1.p50)} (${ratio(x.c1.p50, floorP50)})${flag}`, ms(x.c1.p99), ms(x.c1.server?.p50 ?? NaN), ms(x.c1.server?.p99 ?? NaN), ms(x.c32.p50), ms(x.c32.p99), `${int(x.c32.rps)} (${ratio(x.c32.rps, ceiling)})`)
    }
    for (const o of others) {
      const [a, b] = [stores[0]!.shapes[i]!.c1, o.shapes[i]!.c1]
      cells.push(ratio(b.p50, a.p50), a.server && b.server ? ratio(b.server.p50, a.server.p50) : '—')
    }
    out.push(`| ${cells.join(' | ')} |`)
  })
  if (errors.length > 0) out.push('', 'Errors:', ...errors)
  out.push('')

  out.push(
    '#### The documented export loop (Messages List, `_id[lt]` paging, total_entries on every page)',
    '',
    `items/s is followed by its ratio to the in-process keyset loop without a count (${int(f.keysetLoop.itemsPerSecond)} items/s).`,
    '',
    '| store | filter | pages done / planned | items | seconds | items/s | page p50 ms | page p99 ms | complete |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  )
  for (const s of stores) {
    for (const l of s.loops) {
      out.push(
        `| ${s.name} | ${l.filter || 'none'} | ${int(l.pages)} / ${int(l.pagesPlanned)} | ${int(l.items)} | ${l.seconds.toFixed(l.seconds < 10 ? 2 : 0)} | ${int(l.itemsPerSecond)} (${ratio(l.itemsPerSecond, f.keysetLoop.itemsPerSecond)}) | ${ms(l.pageP50)} | ${ms(l.pageP99)} | ${l.complete ? (l.items === l.totalEntries ? 'yes' : `yes, but ${int(l.items)} items of ${int(l.totalEntries)}`) : 'no (time cap)'} |`,
      )
    }
  }
  out.push('', `Server peak RSS (VmHWM of the parley process): ${stores.map((s) => `${s.name} ${s.serverPeakRssMb} MB`).join(', ')}.`)

  const colds = stores.filter((s) => s.coldCounts)
  if (colds.length > 0) {
    out.push('', '#### Counts from scratch (a filter never asked before), and `/health` asked meanwhile', '')
    out.push('| store | request | ms | /health answers | /health p50 ms | /health max ms |', '|---|---|---:|---:|---:|---:|')
    for (const s of colds) for (const c of s.coldCounts!) out.push(`| ${s.name} | \`${c.path}\` | ${ms(c.ms)} | ${c.health.n} | ${ms(c.health.p50)} | ${ms(c.health.max)} |`)
  }

  const exports = stores.filter((s) => s.export)
  if (exports.length > 0) {
    out.push('', '#### Streaming export (`GET /admin/chat/messages/export`, every message, NDJSON read as it arrives)', '')
    out.push('| store | items | seconds | items/s | MB sent | server peak RSS MB: pages / loops / export |', '|---|---:|---:|---:|---:|---|')
    for (const s of exports) {
      const e = s.export!
      const rss = s.phaseRssMb ? `${s.phaseRssMb.pages} / ${s.phaseRssMb.loops} / ${s.phaseRssMb.export}` : ''
      out.push(`| ${s.name} | ${int(e.items)} | ${e.seconds.toFixed(1)} | ${int(e.itemsPerSecond)} | ${int(e.bytes / 1e6)} | ${rss} |`)
    }
  }
  const sends = stores.filter((s) => s.send)
  if (sends.length > 0) {
    out.push('', '#### Chat API: sending messages (`POST /chat/Message` into one group dialog of a fresh database)', '')
    out.push('| store | c1 p50 ms | c1 p99 | c1 msg/s | c32 p50 ms | c32 p99 | c32 msg/s | server peak RSS MB |', '|---|---:|---:|---:|---:|---:|---:|---:|')
    for (const s of sends) {
      const x = s.send!
      out.push(`| ${s.name} | ${ms(x.c1.p50)} | ${ms(x.c1.p99)} | ${int(x.c1.rps)} | ${ms(x.c32.p50)} | ${ms(x.c32.p99)} | ${int(x.c32.rps)} | ${x.serverPeakRssMb} |`)
    }
  }
  return out.join('\n') + '\n'
}

/** Each size's tables sit between their own markers in bench/README.md, so a 1m and a 10m run both show. */
const START = (size: string): string => `<!-- bench:results:${size}:start -->`
const END = (size: string): string => `<!-- bench:results:${size}:end -->`

/** Writes bench/results/<date>-<size>.json and the tables into bench/README.md; returns the JSON path. */
export function save(r: Results, table: string): string {
  const dir = join(ROOT, 'bench/results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${r.date}-${r.size}.json`)
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n')
  const readme = join(ROOT, 'bench/README.md')
  const text = readFileSync(readme, 'utf8')
  const [start, end] = [START(r.size), END(r.size)]
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  // A size not shown yet gets its block at the end of the file.
  if (a < 0 || b < a) writeFileSync(readme, `${text.trimEnd()}\n\n${start}\n\n${table}\n${end}\n`)
  else writeFileSync(readme, `${text.slice(0, a + start.length)}\n\n${table}\n${text.slice(b)}`)
  return file
}
