// Global search (GET /chat/search): a case-sensitive substring of messages' text and dialogs' names,
// across the dialogs the user reads. There is no text index, so each dialog's history is read,
// newest first, in chunks with a turn of the event loop between them (store/search.ts); once
// `limit` matches are found, older messages than the oldest of them are no longer read.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { ParameterErrors } from '../errors.ts'
import type { Store } from '../store/connect.ts'
import { unreadCounts } from '../store/members.ts'
import { findMessages } from '../store/messages.ts'
import { dialogsNamed, readableDialogIds, searchChunk, type ChunkCursor, type TimeRange } from '../store/search.ts'
import { splitIds } from './chat-dialogs.ts'
import { toChatDialog, toChatMessage } from './chat-items.ts'
import type { Item } from './items.ts'
import { parseTime } from './time.ts'

/** Messages read per statement: SQLite holds its thread 1.6–1.9 ms for them on the slow machine of 2026-11-28, about what a page takes there. */
export const SEARCH_CHUNK = 500
const MAX_DIALOG_IDS = 10
const MAX_LIMIT = 100
const MIN_TEXT = 5
const MAX_TEXT = 1000
const PARAMS = ['search_text', 'chat_dialog_ids', 'start_date', 'end_date', 'limit']

export interface SearchQuery {
  text: string
  only: string[] | null
  range: TimeRange
  limit: number
}

/** A time as the spec writes it (ISO 8601, `2016-03-23T17:00:42Z`) or as unix seconds, like the lists' filters; ms. */
function timeParam(raw: unknown, name: string, errors: ParameterErrors): number | null {
  if (raw === undefined) return null
  if (typeof raw === 'string' && /^\d{1,11}$/.test(raw)) return Number(raw) * 1000
  const ms = typeof raw === 'string' ? parseTime(raw) : null
  if (ms === null) errors.add(name, 'expected a time such as 2016-03-23T17:00:42Z, or unix seconds')
  return ms
}

/** Three calendar months before `ms`, in UTC. */
function threeMonthsBefore(ms: number): number {
  const t = new Date(ms)
  t.setUTCMonth(t.getUTCMonth() - 3)
  return t.getTime()
}

export function parseSearch(params: Record<string, unknown>): SearchQuery {
  const errors = new ParameterErrors()
  for (const name of Object.keys(params)) if (!PARAMS.includes(name)) errors.add(name, `unknown parameter; accepted: ${PARAMS.join(', ')}`)
  const { search_text: text, chat_dialog_ids: ids, limit: rawLimit } = params
  if (typeof text !== 'string') errors.add('search_text', text === undefined ? 'is required' : 'expected one text')
  else if ([...text].length < MIN_TEXT) errors.add('search_text', `must be longer than ${MIN_TEXT - 1} characters`)
  else if ([...text].length > MAX_TEXT) errors.add('search_text', `must be at most ${MAX_TEXT} characters`)

  let only: string[] | null = null
  if (ids !== undefined) {
    if (typeof ids !== 'string') errors.add('chat_dialog_ids', 'expected dialog ids separated by commas')
    else {
      const { valid, invalid } = splitIds(ids)
      if (invalid.length > 0) errors.add('chat_dialog_ids', `not dialog ids: ${invalid.slice(0, 5).join(', ')}`)
      else if (valid.length === 0) errors.add('chat_dialog_ids', 'expected dialog ids separated by commas')
      else if (valid.length > MAX_DIALOG_IDS) errors.add('chat_dialog_ids', `at most ${MAX_DIALOG_IDS} dialogs`)
      else only = valid
    }
  }

  // start_date is the later end (lte), end_date the earlier one (gte), as the spec names them.
  const start = timeParam(params.start_date, 'start_date', errors)
  const end = timeParam(params.end_date, 'end_date', errors)
  if (params.start_date !== undefined && params.end_date === undefined) errors.add('end_date', 'is required with start_date')
  if (start !== null && end !== null) {
    if (end > start) errors.add('end_date', 'must not be after start_date (start_date is the later end)')
    else if (end < threeMonthsBefore(start)) errors.add('end_date', 'must be at most 3 months before start_date')
  }

  let limit = MAX_LIMIT
  if (rawLimit !== undefined) {
    limit = typeof rawLimit === 'string' && /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN
    if (!(limit >= 1 && limit <= MAX_LIMIT)) errors.add('limit', `expected an integer from 1 to ${MAX_LIMIT}`)
  }
  errors.throwIfAny()
  return { text: text as string, only, range: { from: end ?? Number.MIN_SAFE_INTEGER, to: start ?? Number.MAX_SAFE_INTEGER }, limit }
}

type Hit = { id: string; created_at: number }
const newerFirst = (a: Hit, b: Hit) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** The `limit` newest messages that match, newest first, across the dialogs in `scope`. */
async function newestMatches(store: Store, me: number, q: SearchQuery, scope: string[]): Promise<Hit[]> {
  let best: Hit[] = []
  for (const dialogId of scope) {
    let before: ChunkCursor | null = null
    for (;;) {
      // With `limit` matches in hand, only as new as the oldest of them can still enter.
      const from = best.length === q.limit ? Math.max(q.range.from, best.at(-1)!.created_at) : q.range.from
      const chunk = await searchChunk(store, dialogId, me, q.text, { from, to: q.range.to }, before, SEARCH_CHUNK)
      if (chunk.hits.length > 0) best = [...best, ...chunk.hits].sort(newerFirst).slice(0, q.limit)
      await yieldToEventLoop()
      if (chunk.next === null) break
      before = chunk.next
    }
  }
  return best
}

/** GET /chat/search: `{"results": {"dialogs": […], "messages": […], "users": []}}`. */
export async function search(store: Store, me: number, params: Record<string, unknown>): Promise<{ results: { dialogs: Item[]; messages: Item[]; users: never[] } }> {
  const q = parseSearch(params)
  const dialogs = await dialogsNamed(store, me, q.text, q.range, q.only, q.limit)
  const hits = await newestMatches(store, me, q, await readableDialogIds(store, me, q.only))
  const rows = new Map((await findMessages(store, hits.map((h) => h.id))).map((r) => [r.id, r]))
  // A message deleted since it was found is left out, not an error.
  const messages = hits.flatMap((h) => {
    const row = rows.get(h.id)
    return row === undefined ? [] : [toChatMessage(row, store.dialect, me)]
  })
  const unread = await unreadCounts(store, me, dialogs.map((d) => d.id))
  return { results: { dialogs: dialogs.map((d) => toChatDialog(d, store.dialect, me, unread.get(d.id))), messages, users: [] } }
}
