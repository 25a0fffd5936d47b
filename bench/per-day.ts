// Messages per day (GET /admin/chat/messages/per_day) in-process, over the benchmark data set: how
// long the GROUP BY takes for the shapes the console asks for. A measurement to read, not a test.
//   npx tsx bench/per-day.ts [--messages 1m] [--dir /tmp/parley-bench] [--pg postgres://…]
import { mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.ts'
import { messagesPerDay } from '../src/services/message-days.ts'
import { createStore, type Store } from '../src/store/connect.ts'
import { parseSize, sqliteDataset, withPostgresDataset, type DatasetStats } from './dataset.ts'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1m' }, dir: { type: 'string', default: '/tmp/parley-bench' }, pg: { type: 'string' } } })
const size = parseSize(values.messages!)
mkdirSync(values.dir!, { recursive: true })
const dataset = await sqliteDataset(values.dir!, size, 1, true)

function shapes(stats: DatasetStats): Array<[string, Record<string, unknown>]> {
  // The middle seven days of the data set, whatever its size.
  const middle = Math.floor((stats.messageTimes.from + stats.messageTimes.to) / 2)
  const week = { gte: String(middle - 3.5 * 86_400), lt: String(middle + 3.5 * 86_400) }
  return [
    ['every message', {}],
    ['one week (created_at range)', { created_at: week }],
    ['the largest dialog', { chat_dialog_id: stats.largest.id }],
    ['a typical dialog', { chat_dialog_id: stats.typical[0]!.id }],
    ['one sender', { sender_id: '1200' }],
    ['one sender, one week', { sender_id: '1200', created_at: week }],
  ]
}

async function measure(label: string, store: Store, stats: DatasetStats): Promise<void> {
  console.log(`\n${label}: ${stats.messages} messages, ${stats.dialogs} dialogs, largest ${stats.largest.messages}`)
  for (const [name, params] of shapes(stats)) {
    const times: number[] = []
    let days = 0
    let total = 0
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const answer = await messagesPerDay(store, params)
      times.push(performance.now() - started)
      days = answer.length
      total = answer.reduce((n, d) => n + d.count, 0)
    }
    times.sort((a, b) => a - b)
    console.log(`  ${name.padEnd(30)} ${String(total).padStart(8)} messages over ${String(days).padStart(3)} days: median ${times[2]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}, max ${times[4]!.toFixed(1)})`)
  }
}

const sqlite = createStore(loadConfig({}, { db: dataset.file }).store)
try {
  await measure('SQLite', sqlite, dataset.stats)
} finally {
  await sqlite.close()
}

if (values.pg) await withPostgresDataset(values.pg, size, 1, (store) => measure('PostgreSQL', store, dataset.stats))
