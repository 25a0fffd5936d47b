// Import of admin-format items (NDJSON, a JSON array, or saved {"items": [...]} pages): each item is
// validated by the item codec and upserted by _id in batches. A bad item is reported with where it
// was and why, and skipped; the good ones are kept.
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { Store } from '../store/connect.ts'
import { openBulkLoader } from '../store/bulk-load.ts'
import type { ItemTable } from '../store/items.ts'
import { dialogCodec } from './dialog-item.ts'
import type { Item, ItemCodec, Row } from './items.ts'
import { messageCodec } from './message-item.ts'
import { findUnstorable } from './storable-text.ts'

export type ImportKind = 'dialogs' | 'messages'
export const CODEC_OF: Record<ImportKind, ItemCodec> = { dialogs: dialogCodec, messages: messageCodec }

export interface Located {
  /** "line 12" or "line 3, item 5": where the item stood in the input. */
  readonly where: string
  readonly value: unknown
  /** The JSON text it was parsed from, when it came from one (with any other items of its line). */
  readonly text?: string
}

export interface Rejection {
  readonly where: string
  readonly reason: string
}

export interface ImportReport {
  imported: number
  rejected: Rejection[]
}

/** readline's line breaks (crlfDelay: Infinity), for readers of lines without it (import-worker.ts). */
export const LINE_BREAK = /\r?\n|\r(?!\n)/

/** Items per transaction: large enough that a batch's fixed costs (store/bulk-load.ts) do not show. */
const BATCH = 5000

/** Items of a page object ({"items": [...]}) or of an array, else the value itself. */
function* expand(value: unknown, where: string, text?: string): Generator<Located> {
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && !('_id' in value) && Array.isArray((value as { items?: unknown }).items)
      ? (value as { items: unknown[] }).items
      : null
  if (list === null) {
    yield { where, value, text }
    return
  }
  for (let i = 0; i < list.length; i++) yield { where: `${where}, item ${i + 1}`, value: list[i], text }
}

function parsed(line: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(line) }
  } catch {
    return null
  }
}
const isJson = (line: string): boolean => parsed(line) !== null
/** A first line that opens a value but is not JSON on its own: the start of a multi-line document. */
export const opensDocument = (text: string): boolean => /^[[{]/.test(text) && !isJson(text)
const isJsonObject = (line: string): boolean => {
  const p = parsed(line)
  return p !== null && typeof p.value === 'object' && p.value !== null
}

/** The items of one NDJSON line (none for a blank one), or why it is not JSON; `where` names the line. */
export function* fromLine(line: string, where: string): Generator<Located | Rejection> {
  const text = line.trim()
  if (text === '') return
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    yield { where, reason: `not valid JSON: ${(error as Error).message}` }
    return
  }
  yield* expand(value, where, text)
}

/**
 * Reads items from a file path or '-' (stdin). NDJSON is read line by line in constant memory; a
 * document that is not NDJSON (a pretty-printed array or page) is read whole, and so is NDJSON
 * whose first line is broken JSON opening with { or [ (only the end of input tells them apart).
 */
export async function* readItems(input: Readable): AsyncGenerator<Located | Rejection> {
  const lines = createInterface({ input, crlfDelay: Infinity })
  let lineNo = 0
  let sawContent = false
  let whole: string[] | null = null
  let wholeStart = 0
  for await (const line of lines) {
    lineNo++
    if (whole) {
      whole.push(line)
      continue
    }
    const text = line.trim()
    if (!sawContent && opensDocument(text)) {
      whole = [line]
      wholeStart = lineNo
      continue
    }
    if (text !== '') sawContent = true
    yield* fromLine(line, `line ${lineNo}`)
  }
  if (whole) {
    let value: unknown
    try {
      value = JSON.parse(whole.join('\n'))
    } catch (error) {
      // Not one document either. When another line is a JSON object by itself, this is NDJSON whose
      // first line is broken: report that line and read the others one by one, keeping the good ones.
      if (whole.slice(1).some(isJsonObject)) {
        for (let i = 0; i < whole.length; i++) yield* fromLine(whole[i]!, `line ${wholeStart + i}`)
        return
      }
      yield { where: 'document', reason: `not valid JSON: ${(error as Error).message}` }
      return
    }
    yield* expand(value, 'document')
  }
}

const isRejection = (x: Located | Rejection): x is Rejection => 'reason' in x

/**
 * JSON text can only bring a NUL or an unpaired surrogate in as a \u escape: a raw NUL is not JSON,
 * and text decoded from UTF-8 holds no unpaired surrogate. Text without such an escape needs no walk.
 */
const MAY_BE_UNSTORABLE = /\\u(0000|d[89a-f])/i

/**
 * One item through the codec, or why not. Text PostgreSQL cannot store is refused on both stores
 * alike (storable-text.ts), as it would otherwise fail the whole batch there; an item nested too
 * deep for the walks (a stack overflow) is that item's problem too, not the import's. `text`, the
 * JSON the item was parsed from, spares the walk for unstorable text when it has no escape for one.
 */
function checked(codec: ItemCodec, value: unknown, text?: string): ReturnType<ItemCodec['fromItem']> | { errors: string[] } {
  try {
    // includes() first: most text has no \u escape at all, and it is several times cheaper than the regex.
    const bad = text !== undefined && !(text.includes('\\u') && MAY_BE_UNSTORABLE.test(text)) ? null : findUnstorable(value)
    if (bad) return { errors: [`${bad.path}: ${bad.reason}`] }
    return codec.fromItem(value)
  } catch (error) {
    if (error instanceof RangeError) return { errors: [`cannot be read: ${error.message}`] }
    throw error
  }
}

/** An entry of the input as a row to store, or why not: its own rejection, or the codec's. */
export function rowOf(codec: ItemCodec, entry: Located | Rejection): { row: Row } | Rejection {
  if (isRejection(entry)) return entry
  const result = checked(codec, entry.value, entry.text)
  return 'errors' in result ? { where: entry.where, reason: result.errors.join('; ') } : { row: result.row }
}

/**
 * Validates and upserts everything `source` yields, BATCH rows per transaction. Within one run a
 * later item with the same _id replaces an earlier one, as the upsert would across runs.
 */
export async function importItems(
  store: Store,
  kind: ImportKind,
  source: AsyncIterable<Located | Rejection> | Iterable<Located | Rejection>,
  onProgress: (report: ImportReport) => void = () => {},
  onlyBatches = false,
): Promise<ImportReport> {
  const codec = CODEC_OF[kind]
  const report: ImportReport = { imported: 0, rejected: [] }
  const loader = await openBulkLoader(store, kind as ItemTable, onlyBatches)
  let batch = new Map<string, Record<string, unknown>>()
  const flush = async () => {
    if (batch.size === 0) return
    await loader.write([...batch.values()])
    report.imported += batch.size
    batch = new Map()
    onProgress(report)
  }
  try {
    for await (const entry of source) {
      const result = rowOf(codec, entry)
      if ('reason' in result) {
        report.rejected.push(result)
        continue
      }
      batch.set(result.row.id as string, result.row)
      if (batch.size >= BATCH) await flush()
    }
    await flush()
  } finally {
    await loader.finish()
  }
  return report
}

/** Items already in memory (tests, the demo data): imported, with any rejection thrown. */
export async function importValues(store: Store, kind: ImportKind, items: Item[]): Promise<number> {
  const report = await importItems(store, kind, items.map((value, i) => ({ where: `item ${i + 1}`, value })))
  if (report.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(report.rejected.slice(0, 3))}`)
  return report.imported
}
