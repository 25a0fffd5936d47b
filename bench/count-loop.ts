// The measurement behind docs/performance.md: import the demo data set into a fresh SQLite file, then
// run the documented export loop (`?limit=100`, then `?limit=100&_id[lt]=<last _id>`) over real HTTP,
// with and without filters, reading `total_entries` on every page.
//
//   npx tsx bench/count-loop.ts [--dialogs 2000] [--per-dialog 100] [--keep] [--import-only]
//                               [--database-url postgres://…]  (default: a SQLite file)
//
// Prints one JSON object: dataset, machine, import rates, and per loop pages/s and the store's count
// statistics (full vs delta counts) when the store keeps them.
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.ts'
import { demoData } from '../src/services/demo-data.ts'
import { importItems } from '../src/services/import.ts'
import { createStore, migrate, type Store } from '../src/store/connect.ts'
import { startServer } from '../test/helpers/app.ts'
import { createPostgresDatabase } from '../test/helpers/stores.ts'
import { ADMIN_MESSAGES } from '../src/query/catalogue.ts'
import { parseListQuery } from '../src/query/parse.ts'
import { planList } from '../src/query/plan.ts'
import * as items from '../src/store/items.ts'

const { values: args } = parseArgs({
  options: {
    dialogs: { type: 'string', default: '2000' },
    'per-dialog': { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    'import-only': { type: 'boolean', default: false },
    /** A PostgreSQL server: the run uses a fresh database on it, dropped afterwards. */
    'database-url': { type: 'string' },
  },
})

interface LoopResult {
  filter: string
  pages: number
  items: number
  seconds: number
  pagesPerSecond: number
  itemsPerSecond: number
  totals: { first: number; last: number }
  counts?: unknown
}

type Stats = { full: number; delta: number }
type WithCounts = { counts?: { stats: Stats; clear(): void } }
const statsOf = (store: Store): Stats | undefined => (store as unknown as WithCounts).counts?.stats

async function loop(url: string, key: string, filter: string, store: Store): Promise<LoopResult> {
  const headers = { 'CB-Administration-API-Key': key }
  const pre = filter ? `${filter}&` : ''
  // Each loop starts with nothing kept, as an export run by a new client would.
  ;(store as unknown as WithCounts).counts?.clear()
  const before = statsOf(store) ? { ...statsOf(store)! } : undefined
  const started = performance.now()
  let page = await fetch(`${url}?${pre}limit=100`, { headers }).then((r) => r.json())
  const first = page.total_entries as number
  let last = first
  let pages = 1
  let items = page.items.length as number
  const batches = Math.ceil(first / 100)
  for (let i = 1; i < batches; i++) {
    const lastId = page.items.at(-1)._id
    page = await fetch(`${url}?${pre}limit=100&_id[lt]=${lastId}`, { headers }).then((r) => r.json())
    last = page.total_entries
    pages++
    items += page.items.length
  }
  const seconds = (performance.now() - started) / 1000
  const after = statsOf(store)
  return {
    filter: filter || '(none)',
    pages,
    items,
    seconds: round(seconds),
    pagesPerSecond: round(pages / seconds),
    itemsPerSecond: Math.round(items / seconds),
    totals: { first, last },
    ...(before && after ? { counts: { full: after.full - before.full, delta: after.delta - before.delta } } : {}),
  }
}

const round = (x: number): number => Math.round(x * 100) / 100

/**
 * The same loop in process, no HTTP: the page alone (the floor), the page plus COUNT(*) (what every
 * page paid before kept counts), and the page plus the kept count, each in one read transaction.
 */
async function inProcess(store: Store, filter: Record<string, unknown>): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const api = items as Record<string, unknown>
  const modes: Array<[string, (s: Store, p: ReturnType<typeof planList>) => Promise<unknown>]> = [['page', async (s, p) => items.listPage(s, 'messages', p)]]
  if (typeof api.readSnapshot === 'function') {
    const readSnapshot = api.readSnapshot as <T>(s: Store, f: (t: Store) => Promise<T>) => Promise<T>
    const countNow = api.countNow as typeof items.countMatching
    modes.push(['pagePlusCountStar', (s, p) => readSnapshot(s, async (t) => [await items.listPage(t, 'messages', p), await countNow(t, 'messages', p)])])
    modes.push(['pagePlusKeptCount', (s, p) => readSnapshot(s, async (t) => [await items.listPage(t, 'messages', p), await items.countMatching(t, 'messages', p)])])
  } else {
    modes.push(['pagePlusCountStar', async (s, p) => Promise.all([items.listPage(s, 'messages', p), items.countMatching(s, 'messages', p)])])
  }
  for (const [mode, run] of modes) {
    let cursor: string | null = null
    let pages = 0
    const started = performance.now()
    for (;;) {
      const params: Record<string, unknown> = { ...filter, limit: '100', ...(cursor ? { _id: { lt: cursor } } : {}) }
      const plan = planList(parseListQuery(params, ADMIN_MESSAGES), ADMIN_MESSAGES)
      const result = await run(store, plan)
      const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Array<{ id: string }>
      pages++
      if (rows.length < 100) break
      cursor = rows.at(-1)!.id
    }
    out[`${mode}MsPerPage`] = Math.round(((performance.now() - started) / pages) * 1000) / 1000
  }
  return out
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'))
  const pg = args['database-url'] ? await createPostgresDatabase(args['database-url']) : null
  const store = createStore({ ...loadConfig({}).store, dbFile: join(dir, 'parley.db'), databaseUrl: pg?.url ?? null })
  await migrate(store)
  const data = demoData({ dialogs: Number(args.dialogs), messagesPerDialog: Number(args['per-dialog']) })

  // Messages stream from the generator; dialogs are complete only once messages() is consumed.
  let t = performance.now()
  const source = (function* () {
    let i = 0
    for (const value of data.messages()) yield { where: `message ${++i}`, value }
  })()
  const imported = await importItems(store, 'messages', source)
  const messageSeconds = (performance.now() - t) / 1000
  t = performance.now()
  await importItems(store, 'dialogs', data.dialogs.map((value, i) => ({ where: `dialog ${i + 1}`, value })))
  const dialogSeconds = (performance.now() - t) / 1000

  // The busiest dialog, and a time T that splits the messages' updated_at roughly in half.
  const busy = await store.db
    .selectFrom('messages')
    .select(['chat_dialog_id'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy('chat_dialog_id')
    .orderBy('n', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow()
  const median = await store.db
    .selectFrom('messages')
    .select('updated_at')
    .orderBy('updated_at')
    .offset(Math.floor(imported.imported / 2))
    .limit(1)
    .executeTakeFirstOrThrow()
  const T = Math.floor(Number(median.updated_at) / 1000)

  const loops: LoopResult[] = []
  const direct: Record<string, Record<string, number>> = {}
  if (!args['import-only']) {
    const filters: Array<[string, Record<string, unknown>]> = [
      ['(none)', {}],
      [`updated_at[gt]=${T}`, { updated_at: { gt: String(T) } }],
    ]
    for (const [name, filter] of filters) direct[name] = await inProcess(store, filter)
    const server = await startServer(store)
    const url = `${server.url}/admin/chat/messages/list`
    for (const filter of ['', `updated_at[gt]=${T}`, `chat_dialog_id=${busy.chat_dialog_id}`]) {
      loops.push(await loop(url, server.key, filter, store))
    }
    await server.close()
  }
  await store.close()
  if (!args.keep) {
    rmSync(dir, { recursive: true, force: true })
    await pg?.drop()
  }

  console.log(
    JSON.stringify(
      {
        machine: { cores: cpus().length, cpu: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version },
        store: store.dialect.name,
        dataset: { messages: imported.imported, dialogs: data.dialogs.length, busiestDialog: Number(busy.n) },
        import: {
          messagesPerSecond: Math.round(imported.imported / messageSeconds),
          messageSeconds: round(messageSeconds),
          dialogsPerSecond: Math.round(data.dialogs.length / dialogSeconds),
        },
        loops,
        inProcess: direct,
      },
      null,
      2,
    ),
  )
}

await main()
