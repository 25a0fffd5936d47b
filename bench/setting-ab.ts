// `npx tsx bench/setting-ab.ts --setting NAME=ON,OFF [options]`: the documented export loop on one
// store with a PARLEY_* setting one way and the other, in alternating rounds on the same data, so a
// ratio compares runs minutes apart rather than a run against yesterday's on a machine whose speed
// drifts. Each round starts a server per value, warms it, runs each loop in a process of its own,
// and reads the prepared-page counters from /metrics. Writes bench/results/<date>-<size>-ab-<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createPostgresDatabase } from '../test/helpers/stores.ts'
import { parseSize, postgresDataset, ROOT, sizeLabel, sqliteDataset } from './dataset.ts'
import type { LoopFigures } from './measure.ts'
import { machine } from './report.ts'
import { createKey, exportLoopInChild, startParley } from './servers.ts'

const { values: opts } = parseArgs({
  options: {
    setting: { type: 'string' },
    messages: { type: 'string', default: '1m' },
    'database-url': { type: 'string' },
    keep: { type: 'string', default: '/var/tmp/parley-bench' },
    rounds: { type: 'string', default: '3' },
    'loop-seconds': { type: 'string', default: '30' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (opts.help) {
  process.stdout.write(`npx tsx bench/setting-ab.ts --setting NAME=ON,OFF [options]
  --setting NAME=ON,OFF  a PARLEY_* setting and its two values, e.g. PARLEY_PREFETCH_PAGES=1,0
  --messages N           data set size: 1m (default), 10m, or a count such as 20k
  --database-url URL     measure PostgreSQL: a fresh database on that server, imported and dropped
                         (SQLite otherwise, the kept data set's file)
  --keep DIR             where the SQLite data set is kept and reused (default /var/tmp/parley-bench)
  --rounds N             rounds, each running both values, the order alternating (default 3)
  --loop-seconds S       cap of each loop (default 30)
`)
  process.exit(0)
}
const setting = /^(PARLEY_[A-Z_]+)=([^,]*),([^,]*)$/.exec(opts.setting ?? '')
function usageError(message: string): never {
  process.stderr.write(`setting-ab: ${message} (--help lists the options)\n`)
  process.exit(2)
}
if (!setting) usageError('--setting PARLEY_NAME=ON,OFF is required, e.g. --setting PARLEY_PREFETCH_PAGES=1,0')
const [, name, on, off] = setting as unknown as [string, string, string, string]
const messages = parseSize(opts.messages)
const rounds = Number(opts.rounds)
const cap = Number(opts['loop-seconds'])
if (!Number.isInteger(rounds) || rounds < 1) usageError('--rounds must be a whole number of at least 1')
if (!(cap > 0)) usageError('--loop-seconds must be a number of seconds above 0')
const pgUrl = opts['database-url'] ?? null
const log = (line: string) => process.stderr.write(`${line}\n`)

/** The store's arguments, its median updated_at (the filtered loop's T), and how to drop it. */
async function openData(): Promise<{ args: string[]; medianUpdatedAt: number; drop(): Promise<void> }> {
  const ds = await sqliteDataset(opts.keep, messages, 1, true)
  if (pgUrl === null) return { args: ['--db', ds.file], medianUpdatedAt: ds.stats.medianUpdatedAt, drop: async () => {} }
  const db = await createPostgresDatabase(pgUrl)
  log('postgres: importing…')
  await postgresDataset(db.url, messages, 1)
  return { args: ['--database-url', db.url], medianUpdatedAt: ds.stats.medianUpdatedAt, drop: () => db.drop() }
}

interface Run {
  round: number
  value: string
  loops: LoopFigures[]
  /** parley_admin_next_pages_* lines of /metrics after the loops. */
  nextPages: string[]
}

const data = await openData()
const runs: Run[] = []
try {
  const key = await createKey(data.args)
  for (let round = 0; round < rounds; round++) {
    // Alternating which value goes first, so neither always runs on the warmer machine.
    for (const value of round % 2 === 0 ? [on, off] : [off, on]) {
      const server = await startParley(data.args, { [name]: value })
      try {
        await exportLoopInChild(server.port, key, '', 3)
        const loops = []
        for (const filter of ['', `updated_at[gt]=${data.medianUpdatedAt}`]) loops.push(await exportLoopInChild(server.port, key, filter, cap))
        const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { 'CB-Administration-API-Key': key } })).text()
        const nextPages = metrics.split('\n').filter((l) => l.startsWith('parley_admin_next_pages'))
        runs.push({ round, value, loops, nextPages })
        log(`round ${round} ${name}=${value}: ${loops.map((l) => `${l.filter || 'no filter'} ${l.itemsPerSecond} items/s (p50 ${l.pageP50} ms)`).join(', ')}`)
      } finally {
        await server.stop()
      }
    }
  }
} finally {
  await data.drop()
}

const date = new Date().toISOString().slice(0, 10)
const file = join(ROOT, 'bench', 'results', `${date}-${sizeLabel(messages)}-ab-${name.toLowerCase()}.json`)
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
const store = pgUrl === null ? 'sqlite' : 'postgres'
writeFileSync(file, `${JSON.stringify({ date, store, setting: { name, on, off }, loopCapSeconds: cap, machine: await machine(pgUrl), runs }, null, 2)}\n`)
for (let round = 0; round < rounds; round++) {
  const a = runs.find((r) => r.round === round && r.value === on)!
  const b = runs.find((r) => r.round === round && r.value === off)!
  log(`round ${round}: ${a.loops.map((l, j) => `${(l.itemsPerSecond / b.loops[j]!.itemsPerSecond).toFixed(2)}×`).join(' / ')} (${name}=${on} against ${off})`)
}
log(`wrote ${file}`)
