// Global search's reads (services/search.ts): the user's dialogs by name, and their messages' text a
// bounded chunk at a time. No index serves a substring, so a history is read through; in chunks, a
// long one never holds SQLite's one thread (or a PostgreSQL statement) for long.
import { sql, type SqlBool } from 'kysely'
import type { Store } from './connect.ts'
import { visibleTo } from './dialogs.ts'
import type { DialogRow } from './schema.ts'

/** Creation times, in ms, both ends included. */
export interface TimeRange {
  readonly from: number
  readonly to: number
}

/** Where a dialog's next chunk starts: below this creation time and id. */
export interface ChunkCursor {
  readonly created_at: number
  readonly id: string
}

/**
 * The dialogs `userId` reads (Retrieve Dialogs' set: broadcasts, and those they are in and did not
 * delete), the most recently active first; of `only`, when given.
 */
export async function readableDialogIds(store: Store, userId: number, only: readonly string[] | null): Promise<string[]> {
  const rows = await readable(store, userId, only).select('id').orderBy('updated_at', 'desc').orderBy('id', 'desc').execute()
  return rows.map((r) => r.id)
}

/** Of those dialogs, the ones whose name holds `text` (case-sensitive) and were created in `range`; newest first. */
export async function dialogsNamed(store: Store, userId: number, text: string, range: TimeRange, only: readonly string[] | null, limit: number): Promise<DialogRow[]> {
  const q = readable(store, userId, only)
    .selectAll()
    .where(store.dialect.contains(sql.ref('name'), text))
    .where('created_at', '>=', range.from)
    .where('created_at', '<=', range.to)
  return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()) as DialogRow[]
}

/** The dialogs `userId` reads, of `only` when given (an empty `only`: none, not an empty IN list, which PostgreSQL does not parse). */
function readable(store: Store, userId: number, only: readonly string[] | null) {
  const q = store.db.selectFrom('dialogs').where(visibleTo(store, userId))
  return only === null ? q : q.where('id', 'in', only.length > 0 ? [...only] : [''])
}

export interface Chunk {
  /** The ids and times of the chunk's messages that match, newest first. */
  readonly hits: Array<{ id: string; created_at: number }>
  /** Where the next chunk starts; null when this one reached the end of the range. */
  readonly next: ChunkCursor | null
}

/**
 * One chunk of a dialog's history: its `size` newest messages created in `range` below `before`,
 * walked down the index (chat_dialog_id, created_at, id), each marked whether its text holds `text`
 * (case-sensitive) and it is not deleted for `userId`.
 */
export async function searchChunk(
  store: Store,
  dialogId: string,
  userId: number,
  text: string,
  range: TimeRange,
  before: ChunkCursor | null,
  size: number,
): Promise<Chunk> {
  const d = store.dialect
  const hit = sql<SqlBool>`(${d.contains(sql.ref('message'), text)} and (deleted_for_ids is null or not ${d.arrayHas('deleted_for_ids', undefined, [userId], 'any')}))`
  // One upper bound, the lower of the range's and the cursor's: given both, SQLite walked the index
  // from the range's and tested the cursor's on each entry, so every chunk walked down from the top
  // of the dialog (17–27 ms a chunk halfway down a 200k-message one, whatever its size).
  const to = before === null ? range.to : Math.min(range.to, before.created_at)
  let q = store.db
    .selectFrom('messages')
    .select(['id', 'created_at', hit.as('hit')])
    .where('chat_dialog_id', '=', dialogId)
    .where('created_at', '>=', range.from)
    .where('created_at', '<=', to)
  if (before !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.created_at, before.id)))
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(size).execute()
  // SQLite answers 1 or 0, PostgreSQL true or false; null where there is no text.
  const hits = rows.filter((r) => (r.hit as unknown) === true || (r.hit as unknown) === 1).map((r) => ({ id: r.id, created_at: Number(r.created_at) }))
  const last = rows.at(-1)
  return { hits, next: rows.length === size && last !== undefined ? { created_at: Number(last.created_at), id: last.id } : null }
}
