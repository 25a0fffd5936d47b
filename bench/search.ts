// Global search (GET /chat/search) in process, over a copy of the benchmark data set: how long a
// search takes for a member of the largest dialog, and the longest the event loop was held meanwhile
// (what other requests wait at most while a search reads a long history). A measurement to read.
//   npx tsx bench/search.ts [--messages 1m] [--dir /var/tmp/parley-bench] [--pg postgres://…]
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { loadConfig } from '../src/config.ts'
import { search } from '../src/services/search.ts'
import { createStore, type Store } from '../src/store/connect.ts'
import { parseSize, ROOT, sizeLabel, sqliteDataset, withPostgresDataset, type DatasetStats } from './dataset.ts'
import { machine } from './report.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1m' }, dir: { type: 'string', default: '/var/tmp/parley-bench' }, pg: { type: 'string' } } })
const size = parseSize(values.messages!)
mkdirSync(values.dir!, { recursive: true })
const dataset = await sqliteDataset(values.dir!, size, 1, true)
/** A user id no data set holds: a member of the largest dialog and of a typical one, nothing else. */
const SEARCHER = 2_000_000_000

interface Figure {
  search: string
  messages: number
  medianMs: number
  maxMs: number
  /** The longest the event loop was held during the runs. */
  maxLoopBlockMs: number
}

function shapes(stats: DatasetStats): Array<[string, Record<string, unknown>]> {
  const start = stats.messageTimes.to
  return [
    ['text found nowhere (reads every message the user reads)', { search_text: 'zq-nowhere-qz' }],
    ['text found often (stops at 100)', { search_text: 'people' }],
    ['text found nowhere, one typical dialog', { search_text: 'zq-nowhere-qz', chat_dialog_ids: stats.typical[0]!.id }],
    ['text found nowhere, the last week', { search_text: 'zq-nowhere-qz', start_date: String(start), end_date: String(start - 7 * 86_400) }],
  ]
}

async function measure(label: string, store: Store, stats: DatasetStats): Promise<Figure[]> {
  for (const id of [stats.largest.id, stats.typical[0]!.id]) {
    await sql`insert into dialog_users (dialog_id, user_id, unread_count, joined_at) values (${id}, ${SEARCHER}, 0, 0)`.execute(store.db)
  }
  console.log(`\n${label}: ${stats.messages} messages; the searcher is in the largest dialog (${stats.largest.messages}) and a typical one, and reads every broadcast`)
  const figures: Figure[] = []
  for (const [name, params] of shapes(stats)) {
    const times: number[] = []
    let found = 0
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      found = (await search(store, SEARCHER, params)).results.messages.length
      times.push(performance.now() - started)
    }
    loop.disable()
    times.sort((a, b) => a - b)
    const figure = { search: name, messages: found, medianMs: Number(times[2]!.toFixed(1)), maxMs: Number(times[4]!.toFixed(1)), maxLoopBlockMs: Number((loop.max / 1e6).toFixed(1)) }
    figures.push(figure)
    console.log(`  ${name.padEnd(58)} ${String(found).padStart(4)} found: median ${figure.medianMs} ms (max ${figure.maxMs}); event loop held at most ${figure.maxLoopBlockMs} ms`)
  }
  return figures
}

const results: Record<string, Figure[]> = {}
// A copy: the searcher's membership rows must not change the kept data set.
const copy = join(tmpdir(), `parley-search-${process.pid}.db`)
copyFileSync(dataset.file, copy)
const sqlite = createStore(loadConfig({}, { db: copy }).store)
try {
  results.sqlite = await measure('SQLite', sqlite, dataset.stats)
} finally {
  await sqlite.close()
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true })
}

if (values.pg) results.postgres = await withPostgresDataset(values.pg, size, 1, (store) => measure('PostgreSQL', store, dataset.stats))

const date = new Date().toISOString().slice(0, 10)
const file = join(ROOT, 'bench', 'results', `${date}-${sizeLabel(size)}-search.json`)
writeFileSync(file, JSON.stringify({ date, size: sizeLabel(size), machine: await machine(values.pg ?? null), dataset: dataset.stats, results }, null, 2) + '\n')
console.log(`\nwritten to ${file}`)
