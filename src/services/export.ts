// The streaming export: everything the list filters match, as NDJSON in _id order, from one snapshot
// and without the lists' 100-item cap. Filters are read by the same list language as the Admin API
// lists (src/query), so they mean the same and fail with the same errors; what a stream has no use
// for (limit, skip, count, a sort other than _id) is refused by name rather than ignored.
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { AppError, ParameterErrors } from '../errors.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES, type Catalogue } from '../query/catalogue.ts'
import { parseListQuery } from '../query/parse.ts'
import { planList } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import { openExport, type ExportPlan } from '../store/export.ts'
import { dialogCodec } from './dialog-item.ts'
import type { ItemCodec } from './items.ts'
import { messageCodec } from './message-item.ts'

export type ExportKind = 'dialogs' | 'messages'

const OF: Record<ExportKind, { catalogue: Catalogue; codec: ItemCodec }> = {
  dialogs: { catalogue: ADMIN_DIALOGS, codec: dialogCodec },
  messages: { catalogue: ADMIN_MESSAGES, codec: messageCodec },
}

// Characters per chunk of the body. Under V8's large-object size (128 KB), so a chunk is born in the
// young generation and dies there once the socket has it; a whole batch as one string (~0.4 MB)
// went to the old generation, or as a Buffer to external memory, and piled up between full GCs:
// the 10M export peaked at 255-321 MB RSS that way, 228 MB in chunks, and ran no slower.
const CHUNK = 32 * 1024

const UNCAPPED = 'not accepted by the export, which streams everything the filters match'

/** List parameters → the export's filters and direction; every problem named at once. */
export function exportPlan(kind: ExportKind, params: Record<string, unknown>): ExportPlan {
  const { catalogue } = OF[kind]
  const query = parseListQuery(params, catalogue)
  const errors = new ParameterErrors()
  if (query.limit !== null) errors.add('limit', UNCAPPED)
  if (query.skip !== null) errors.add('skip', UNCAPPED + '; to resume, filter by _id (e.g. _id[lt]=<last _id>)')
  if (query.count !== null) errors.add('count', `${UNCAPPED}; ask the list for a count`)
  const byId = query.sort === null || query.sort.field === '_id'
  if (!byId) errors.add(query.sort!.param, 'the export is ordered by _id only: sort_asc=_id or sort_desc=_id')
  let plan
  try {
    plan = planList({ ...query, limit: null, skip: null, count: null, sort: byId ? query.sort : null }, catalogue)
  } catch (error) {
    if (!(error instanceof AppError) || Array.isArray(error.details)) throw error
    for (const [name, messages] of Object.entries(error.details)) for (const m of messages) errors.add(name, m)
  }
  errors.throwIfAny()
  return { conditions: plan!.conditions, orderingColumns: plan!.orderingColumns, direction: plan!.sort.direction }
}

export interface ItemExport {
  /** Everything the filters match, in the export's snapshot. */
  readonly total: number
  /** NDJSON text in chunks of whole lines, a turn of the event loop between batches. */
  lines(): AsyncGenerator<string, void, undefined>
  close(): Promise<void>
}

/** Validates the parameters, then opens the snapshot (and counts in it) before anything is sent. */
export async function openItemExport(store: Store, kind: ExportKind, params: Record<string, unknown>): Promise<ItemExport> {
  const plan = exportPlan(kind, params)
  const { codec } = OF[kind]
  const opened = await openExport(store, kind, plan, codec.itemText)
  // A 503 is what HTTP clients (ours included) retry with backoff.
  if (opened === null) throw new AppError('unavailable', ['Too many exports are running; retry in a moment'])
  const cursor = opened
  async function* lines(): AsyncGenerator<string, void, undefined> {
    for await (const rows of cursor.batches()) {
      // Straight from the rows to text, as the list pages are written (decision 0006).
      const write = codec.textWriter(rows.columns, store.dialect)
      let text = ''
      for (const values of rows.values) {
        text += write(values) + '\n'
        if (text.length >= CHUNK) {
          yield text
          text = ''
        }
      }
      if (text !== '') yield text
      // SQLite reads synchronously, and a socket that takes every write at once calls back in a
      // microtask: without a turn of the event loop between batches, an export to a fast reader
      // would hold every other request (and timer) until it ended — 40 s for 10M messages.
      await yieldToEventLoop()
    }
  }
  return { total: cursor.total, lines, close: cursor.close }
}

/** A readable of the NDJSON that pulls a batch only when its reader wants more (backpressure). */
export function exportReadable(itemExport: ItemExport): Readable {
  // Strings go to the socket as they are (a Buffer made of each would be garbage outside the heap).
  const readable = Readable.from(itemExport.lines(), { objectMode: true, highWaterMark: 1 })
  // Destroyed before its first read (a client that went away at once), the generator never ran and
  // so never ends the snapshot itself.
  readable.once('close', () => void itemExport.close().catch(() => {}))
  return readable
}

/** The whole export written to `out` (a file, a socket, a counter in the benchmark); resolves with the total. */
export async function exportToStream(store: Store, kind: ExportKind, params: Record<string, unknown>, out: Writable): Promise<number> {
  const itemExport = await openItemExport(store, kind, params)
  try {
    await pipeline(exportReadable(itemExport), out)
  } finally {
    await itemExport.close()
  }
  return itemExport.total
}
