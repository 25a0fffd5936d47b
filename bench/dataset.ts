// The benchmark's data set: demoData with messages/100 dialogs, imported with importItems into a
// store, plus the facts the request shapes need (time ranges, the largest and typical dialogs).
// The SQLite copy can be kept in a directory and reused, keyed by size, seed and generator sources.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { loadConfig } from '../src/config.ts'
import { demoData } from '../src/services/demo-data.ts'
import { importItems, type ImportKind, type Located } from '../src/services/import.ts'
import type { Item } from '../src/services/items.ts'
import { createStore, migrate, SQLITE_PAGE_SIZE, type Store } from '../src/store/connect.ts'
import { createPostgresDatabase } from '../test/helpers/stores.ts'
import { peakRssMb, resetPeakRss } from './measure.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
/**
 * The data set's shape: ~100 messages per dialog on average, a Pareto tail (x^-0.6), and giant
 * dialogs of 200k+ messages — one per 3M messages, at least one. demoData's mean per ordinary dialog
 * is 0.75 × its messagesPerDialog, which is set so that giants and tail add up to `messages`.
 */
function shape(messages: number): { dialogs: number; messagesPerDialog: number; giants: number[] } {
  const dialogs = Math.max(1, Math.round(messages / 100))
  const giants = Array.from({ length: Math.max(1, Math.round(messages / 3e6)) }, (_, k) => 200_000 + 50_000 * k).filter(() => messages >= 400_000)
  const rest = messages - giants.reduce((a, b) => a + b, 0)
  return { dialogs, messagesPerDialog: rest / Math.max(1, dialogs - giants.length) / 0.75, giants }
}

export interface Span {
  /** Unix seconds. */
  from: number
  to: number
}
export interface DialogSpan extends Span {
  id: string
  messages: number
}
export interface DatasetStats {
  seed: number
  messages: number
  dialogs: number
  /** Earliest created_at to latest updated_at. */
  messageTimes: Span
  dialogTimes: Span
  medianUpdatedAt: number
  largest: DialogSpan
  medianDialogSize: number
  /** Up to 20 dialogs of 0.5–2× the median size. */
  typical: DialogSpan[]
}
export interface ImportFigures {
  items: number
  seconds: number
  itemsPerSecond: number
  /** Peak RSS of the bench process during the import (VmHWM, reset before). */
  peakRssMb: number
  /** True when the SQLite file came from --keep and was not imported in this run. */
  cached?: boolean
}

/** "1m", "10m", "20k", "20000" → a count. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim())
  if (!m) throw new Error(`--messages: expected a count like 1m, 10m, 20k or 50000, got ${JSON.stringify(text)}`)
  const n = Math.round(Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6 } as Record<string, number>)[m[2]!.toLowerCase()]!)
  if (n < 1000) throw new Error('--messages: at least 1000')
  return n
}

export const sizeLabel = (n: number): string => (n % 1e6 === 0 ? `${n / 1e6}m` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n))

const seconds = (iso: unknown): number => Math.floor(Date.parse(iso as string) / 1000)
const min = (xs: number[]): number => xs.reduce((a, b) => Math.min(a, b), Infinity)
const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity)

function* located(kind: ImportKind, items: Iterable<Item>): Generator<Located> {
  let i = 0
  for (const value of items) yield { where: `${kind} ${++i}`, value }
}

/** Generates the data set into an empty, migrated store; times the import. */
export async function importDataset(store: Store, messages: number, seed: number): Promise<{ stats: DatasetStats; figures: ImportFigures }> {
  const data = demoData({ ...shape(messages), seed })
  const spans = new Map<string, DialogSpan>()
  function* tracked(): Generator<Item> {
    for (const m of data.messages()) {
      const id = m.chat_dialog_id as string
      const created = seconds(m.created_at)
      const updated = seconds(m.updated_at)
      const s = spans.get(id)
      if (s) {
        s.messages++
        s.from = Math.min(s.from, created)
        s.to = Math.max(s.to, updated)
      } else spans.set(id, { id, messages: 1, from: created, to: updated })
      yield m
    }
  }

  resetPeakRss()
  const started = performance.now()
  const reports = [await importItems(store, 'messages', located('messages', tracked())), await importItems(store, 'dialogs', located('dialogs', data.dialogs))]
  const elapsed = (performance.now() - started) / 1000
  const rejected = reports.flatMap((r) => r.rejected)
  if (rejected.length > 0) throw new Error(`import rejected ${rejected.length} items, e.g. ${JSON.stringify(rejected[0])}`)
  const items = reports[0]!.imported + reports[1]!.imported
  const figures = { items, seconds: elapsed, itemsPerSecond: Math.round(items / elapsed), peakRssMb: peakRssMb() }
  // As `parley import` does when it finishes (src/cli/import.ts), untimed here: otherwise the server
  // being measured prunes the import's change log itself (on PostgreSQL a row per message), about
  // seven minutes after it starts, in the middle of the measurements.
  await store.counts.prune(store, 0)

  const bySize = [...spans.values()].sort((a, b) => b.messages - a.messages)
  const total = reports[0]!.imported
  const { updated_at } = await store.db.selectFrom('messages').select('updated_at').orderBy('updated_at').limit(1).offset(Math.floor(total / 2)).executeTakeFirstOrThrow()
  const median = bySize[Math.floor(bySize.length / 2)]!.messages
  const stats: DatasetStats = {
    seed,
    messages: total,
    dialogs: data.dialogs.length,
    messageTimes: { from: min(bySize.map((s) => s.from)), to: max(bySize.map((s) => s.to)) },
    dialogTimes: { from: min(data.dialogs.map((d) => seconds(d.created_at))), to: max(data.dialogs.map((d) => seconds(d.updated_at))) },
    medianUpdatedAt: Math.floor(Number(updated_at) / 1000),
    largest: bySize[0]!,
    medianDialogSize: median,
    typical: bySize.filter((s) => s.messages >= median / 2 && s.messages <= median * 2).slice(0, 20),
  }
  return { stats, figures }
}

/** A hash of what decides the file's content, so a kept file is rebuilt when any of it changes. */
function sourcesHash(): string {
  const migrations = readdirSync(join(ROOT, 'src/store/migrations')).map((f) => `src/store/migrations/${f}`)
  const files = ['src/services/demo-data.ts', 'src/services/items.ts', 'src/services/message-item.ts', 'src/services/dialog-item.ts', 'bench/dataset.ts', ...migrations]
  const hash = createHash('sha256')
  for (const f of files.sort()) hash.update(readFileSync(join(ROOT, f)))
  // The file's layout too: a kept file made with other pages is rebuilt.
  hash.update(`page_size ${SQLITE_PAGE_SIZE}`)
  return hash.digest('hex').slice(0, 8)
}

export interface SqliteDataset {
  file: string
  stats: DatasetStats
  figures: ImportFigures
}

/** The SQLite data set in `dir`: reused when `reuse` and a complete copy is there, else built. */
export async function sqliteDataset(dir: string, messages: number, seed: number, reuse: boolean): Promise<SqliteDataset> {
  const file = join(dir, `parley-bench-${sizeLabel(messages)}-seed${seed}-${sourcesHash()}.db`)
  const meta = `${file}.json`
  if (reuse && existsSync(file) && existsSync(meta)) {
    const kept = JSON.parse(readFileSync(meta, 'utf8')) as SqliteDataset
    return { ...kept, file, figures: { ...kept.figures, cached: true } }
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, meta]) rmSync(f, { force: true })
  const store = createStore(loadConfig({}, { db: file }).store)
  try {
    await migrate(store)
    const { stats, figures } = await importDataset(store, messages, seed)
    // The meta file is written last: its presence means the database is complete.
    writeFileSync(meta, JSON.stringify({ file, stats, figures }, null, 2))
    return { file, stats, figures }
  } finally {
    await store.close()
  }
}

/**
 * The data set in a fresh PostgreSQL database on the server at `serverUrl`, opened as a store for
 * `work`; the database is dropped afterwards, whatever happens.
 */
export async function withPostgresDataset<T>(serverUrl: string, messages: number, seed: number, work: (store: Store) => Promise<T>): Promise<T> {
  const db = await createPostgresDatabase(serverUrl)
  try {
    await postgresDataset(db.url, messages, seed)
    const store = createStore(loadConfig({ PARLEY_STATEMENT_TIMEOUT: '0' }, { databaseUrl: db.url }).store)
    try {
      return await work(store)
    } finally {
      await store.close()
    }
  } finally {
    await db.drop()
  }
}

/** Imports the data set into the (new, empty) PostgreSQL database at `url`, then VACUUM ANALYZE. */
export async function postgresDataset(url: string, messages: number, seed: number): Promise<{ figures: ImportFigures; analyzeSeconds: number }> {
  // No statement timeout here: VACUUM of a large data set may take longer than the server's default.
  const store = createStore(loadConfig({ PARLEY_STATEMENT_TIMEOUT: '0' }, { databaseUrl: url }).store)
  try {
    await migrate(store)
    const { figures } = await importDataset(store, messages, seed)
    const started = performance.now()
    await sql`vacuum analyze`.execute(store.db)
    return { figures, analyzeSeconds: (performance.now() - started) / 1000 }
  } finally {
    await store.close()
  }
}
