// Dialogs and messages as one user sees them through the chat API: the admin item with the per-user
// fields filled in (is_muted, unread_messages_count, last_message_status, read, own reactions) and
// the other users' bookkeeping (silent_ids, deleted_ids, deleted_for_ids) left out.
import type { Dialect } from '../store/dialect.ts'
import type { DialogRow, MessageRow } from '../store/schema.ts'
import { dialogCodec } from './dialog-item.ts'
import type { Item } from './items.ts'
import { messageCodec } from './message-item.ts'

const ids = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : [])

/** `unread`: the user's counter (dialog_users), kept for group and private dialogs only. */
export function toChatDialog(row: DialogRow, d: Dialect, userId: number, unread: number | undefined): Item {
  const item = dialogCodec.toItem(row, d)
  const muted = ids(item.silent_ids).includes(userId)
  delete item.silent_ids
  delete item.deleted_ids
  item.is_muted = muted
  item.unread_messages_count = row.type === 2 || row.type === 3 ? (unread ?? 0) : null
  // The spec: the status of the user's own last message; null when someone else sent it.
  if (item.last_message_user_id !== userId) item.last_message_status = null
  return item
}

export type StoredReactions = Record<string, number[]>

export function isStoredReactions(v: unknown): v is StoredReactions {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((list) => Array.isArray(list))
}

/** {"👍": [ids]} as stored → {"own": [...], "total": {"👍": n}} as the spec shows a message's reactions. */
function reactionsView(stored: unknown, userId: number): unknown {
  if (!isStoredReactions(stored)) return stored ?? null
  const entries = Object.entries(stored).filter(([, users]) => users.length > 0)
  if (entries.length === 0) return null
  return {
    own: entries.filter(([, users]) => users.includes(userId)).map(([type]) => type),
    total: Object.fromEntries(entries.map(([type, users]) => [type, users.length])),
  }
}

export function toChatMessage(row: MessageRow, d: Dialect, userId: number): Item {
  const item = messageCodec.toItem(row, d)
  delete item.deleted_for_ids
  // `read`: whether this user has read someone else's message (the spec's examples show 0 to the sender).
  item.read = ids(item.read_ids).includes(userId) && item.sender_id !== userId ? 1 : 0
  if ('reactions' in item) item.reactions = reactionsView(item.reactions, userId)
  return item
}
