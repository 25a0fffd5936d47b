// The request shapes measured: filter × sort on both admin lists. Every call of path() draws fresh
// parameter values (times, _id points, dialogs) from a seeded generator, so no cache is flattered
// and every run draws the same sequence.
import { makeObjectId } from '../src/services/demo-data.ts'
import type { DatasetStats, Span } from './dataset.ts'

export type Resource = 'dialogs' | 'messages'

export interface Shape {
  resource: Resource
  filter: string
  sort: string
  path(rnd: () => number): string
}

export const SORTS = ['sort_desc=_id', 'sort_asc=updated_at', 'sort_desc=created_at']
export const URL_OF: Record<Resource, string> = { dialogs: '/admin/chat/list', messages: '/admin/chat/messages/list' }

/** A whole second in the span. */
export const timeIn = (rnd: () => number, s: Span): number => s.from + Math.floor(rnd() * (s.to - s.from + 1))
/** An ObjectId at a random second of the span (sequence 0: before every real id of that second). */
export const idIn = (rnd: () => number, s: Span): string => makeObjectId(timeIn(rnd, s), 0)

/** `_id[lt]` at a random second of the span and `updated_at[gt]` at a random second before it. */
function cursorAndEarlierTime(rnd: () => number, s: Span): string {
  const cursor = timeIn(rnd, s)
  return `_id[lt]=${makeObjectId(cursor, 0)}&updated_at[gt]=${timeIn(rnd, { from: s.from, to: cursor })}`
}

export function shapes(stats: DatasetStats): Shape[] {
  const m = stats.messageTimes
  const d = stats.dialogTimes
  const big = stats.largest
  // [list, filter label, parameters, sorts beyond SORTS]
  const filters: Array<[Resource, string, (rnd: () => number) => string, string[]?]> = [
    ['messages', 'none', () => ''],
    ['messages', 'updated_at[gt]', (r) => `updated_at[gt]=${timeIn(r, m)}`],
    ['messages', 'created_at[lte]', (r) => `created_at[lte]=${timeIn(r, m)}`],
    ['messages', '_id[lt]', (r) => `_id[lt]=${idIn(r, m)}`],
    ['messages', `chat_dialog_id (largest)`, () => `chat_dialog_id=${big.id}`],
    ['messages', `chat_dialog_id (typical)`, (r) => `chat_dialog_id=${stats.typical[Math.floor(r() * stats.typical.length)]!.id}`],
    ['messages', 'chat_dialog_id (largest) + updated_at[gt]', (r) => `chat_dialog_id=${big.id}&updated_at[gt]=${timeIn(r, big)}`],
    // A range on one field, sorted by another: sort_desc=updated_at is the case the issue names. The
    // time is before the cursor's, as on the pages a loop visits: drawn from the whole span, half
    // the pages were empty, and a p50 over a mix of empty and full pages is either's (README, method).
    ['messages', '_id[lt] + updated_at[gt]', (r) => cursorAndEarlierTime(r, m), ['sort_desc=updated_at']],
    // One filter that stays while the cursor jumps anywhere it matches (an operator paging one
    // filtered view back and forth): served from the filter's ladder.
    ['messages', '_id[lt] + updated_at[gt] (median, fixed)', (r) => `_id[lt]=${idIn(r, { from: stats.medianUpdatedAt, to: m.to })}&updated_at[gt]=${stats.medianUpdatedAt}`],
    // Nothing matches (a time after every update): the page the skews answer without a query.
    ['messages', '_id[lt] + updated_at[gt] (after the last update)', (r) => `_id[lt]=${idIn(r, m)}&updated_at[gt]=${m.to + 1}`],
    ['dialogs', 'none', () => ''],
    ['dialogs', 'updated_at[gt]', (r) => `updated_at[gt]=${timeIn(r, d)}`],
    ['dialogs', 'created_at[lte]', (r) => `created_at[lte]=${timeIn(r, d)}`],
    ['dialogs', '_id[lt]', (r) => `_id[lt]=${idIn(r, d)}`],
    ['dialogs', '_id[lt] + updated_at[gt]', (r) => cursorAndEarlierTime(r, d), ['sort_desc=updated_at']],
  ]
  return filters.flatMap(([resource, filter, params, more = []]) =>
    [...SORTS, ...more].map((sort) => ({
      resource,
      filter,
      sort,
      path: (rnd: () => number) => `${URL_OF[resource]}?limit=100&${[params(rnd), sort].filter(Boolean).join('&')}`,
    })),
  )
}
