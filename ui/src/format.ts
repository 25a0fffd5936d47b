// How values read in the console: times in UTC as the API gives them, lists of ids, short ids.
import type { Item } from './api.ts'

/** "2022-02-17T11:01:40Z" → "2022-02-17 11:01:40" (UTC, as stored). */
export const time = (iso: unknown): string => (typeof iso === 'string' ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '') : '')

/** Unix seconds (date_sent, last_message_date_sent) → the same form. */
export const unixTime = (seconds: unknown): string =>
  typeof seconds === 'number' ? time(new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z') : ''

export const idList = (ids: unknown): string => (Array.isArray(ids) && ids.length > 0 ? ids.join(', ') : '—')

export const DIALOG_TYPES: Record<number, string> = { 1: 'broadcast', 2: 'group', 3: 'private', 4: 'public' }

/** The message keys parley defines; any other key of an item is a custom parameter. */
const MESSAGE_KEYS = new Set([
  '_id', 'chat_dialog_id', 'message', 'date_sent', 'sender_id', 'recipient_id', 'created_at', 'updated_at', 'read_ids',
  'delivered_ids', 'deleted_for_ids', 'attachments', 'reactions', 'views_count', 'edited_at', 'read',
])
export const customParameters = (item: Item): Array<[string, unknown]> => Object.entries(item).filter(([k]) => !MESSAGE_KEYS.has(k))

export const json = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value))

/** An attachment as "video · id: v0 · url: …": its type, then its other keys in name order (PostgreSQL's JSONB reorders keys). */
export const attachment = (a: Item): string =>
  [String(a.type ?? '?'), ...Object.keys(a).filter((k) => k !== 'type').sort().map((k) => `${k}: ${json(a[k])}`)].join(' · ')
