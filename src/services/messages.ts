// The chat API's message actions for a signed-in user: send, retrieve (marking read), update (read,
// delivered, edit), delete (for me / for everyone), unread counts, reactions.
//
// What a message costs the dialog: one INSERT, one UPDATE of the dialog row (last_message*,
// updated_at), one UPDATE of the other members' unread counters. Reading n messages: one UPDATE of
// those messages and one decrement of the reader's counter by the number actually marked. Nothing
// scans the dialog's history, except "mark all as read", which touches the reader's unread messages
// of that dialog (docs/chat.md).
import { ObjectId } from 'bson'
import { AppError, ParameterErrors, notFound } from '../errors.ts'
import { CHAT_MESSAGES } from '../query/catalogue.ts'
import { parseListQuery } from '../query/parse.ts'
import { planList, type Condition, type ListPlan } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import { writeDialog } from '../store/dialogs.ts'
import { countNow, listPage } from '../store/items.ts'
import { countRead, countSent, findPrivatePair, markedAllAt, memberSince, resetUnread, setMarkedAllAt, uncountForAllBut, unreadCounts } from '../store/members.ts'
import { deleteMessageRows, findMessages, hideMessagesFor, insertMessage, latestMessage, markMessages, writeMessage } from '../store/messages.ts'
import type { MessageRow } from '../store/schema.ts'
import { withTransaction } from '../store/transaction.ts'
import { existingUserIds } from '../store/users.ts'
import { createDialog, splitIds, type DeleteAnswer } from './chat-dialogs.ts'
import { nowSecond } from './chat-time.ts'
import { isStoredReactions, toChatMessage, type StoredReactions } from './chat-items.ts'
import { accessDialog, allowed, checkObjectId, jsonIds, requireAllowed, type Access } from './dialog-access.ts'
import { edit } from './dialogs.ts'
import type { Item } from './items.ts'
import { messageCodec } from './message-item.ts'
import { formatTime } from './time.ts'
import { isUserId, notAUserId } from './user-ids.ts'

/** Body keys with a meaning; every other key is a custom parameter. */
const KNOWN = new Set(['chat_dialog_id', 'recipient_id', 'message', 'attachments', 'send_to_chat', 'markable'])
/** Item fields the server sets: a custom parameter may not pose as one. */
const SERVER_SET = new Set([...messageCodec.fields.map((f) => f.name), 'deleted_for_ids'].filter((n) => !KNOWN.has(n)))
const MAX_ATTACHMENTS = 100
const PREVIEW_SIZE = 20
const CLOCK_SLACK_MS = 60_000

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `[{…}, …]` or the spec's `{"3": {…}, "7": {…}}` (also what a form's attachments[n][type] gives) → an array. */
function attachmentsOf(raw: unknown, errors: ParameterErrors): unknown[] {
  if (raw === undefined || raw === null || raw === '') return []
  const list = Array.isArray(raw)
    ? raw
    : isRecord(raw)
      ? Object.entries(raw)
          .sort(([a], [b]) => Number(a) - Number(b) || (a < b ? -1 : 1))
          .map(([, v]) => v)
      : null
  if (list === null) {
    errors.add('attachments', 'expected a list of {"type", "id", "url"} objects')
    return []
  }
  if (list.length > MAX_ATTACHMENTS) errors.add('attachments', `at most ${MAX_ATTACHMENTS}`)
  list.forEach((a, i) => {
    if (!isRecord(a)) errors.add(`attachments.${i}`, 'expected an object such as {"type": "image", "id": "3004"}')
  })
  return list
}

export async function sendMessage(store: Store, me: number, body: Record<string, unknown>): Promise<Item> {
  const errors = new ParameterErrors()
  const dialogId = body.chat_dialog_id as string | undefined
  const recipient = body.recipient_id as number | undefined
  if (dialogId === undefined && recipient === undefined) errors.add('chat_dialog_id', 'chat_dialog_id or recipient_id is required')
  const attachments = attachmentsOf(body.attachments, errors)
  const text = body.message as string | undefined
  if ((text === undefined || text === '') && attachments.length === 0) errors.add('message', 'a message needs a text or attachments')
  const custom: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (KNOWN.has(key) && key !== 'markable') continue
    if (SERVER_SET.has(key)) errors.add(key, 'is set by the server')
    else if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) errors.add(key, 'custom parameter names are letters, digits, _ . - (at most 64)')
    else Object.defineProperty(custom, key, { value, enumerable: true })
  }
  if (dialogId === undefined && recipient !== undefined) {
    if (!isUserId(recipient)) errors.add('recipient_id', notAUserId(recipient))
    else if (recipient === me) errors.add('recipient_id', 'is you')
    else if ((await existingUserIds(store, [recipient])).length === 0) errors.add('recipient_id', 'no such user')
  }
  errors.throwIfAny('invalid_field')

  return withTransaction(store, async (tx) => {
    let id = dialogId?.toLowerCase()
    if (id === undefined) {
      // The private dialog with the recipient, created by this first message if it does not exist.
      id = (await findPrivatePair(tx, me, recipient as number)) ?? ((await createDialog(tx, me, { type: 3, occupants_ids: [recipient] })).dialog._id as string)
    }
    const a = await accessDialog(tx, id, me, true)
    requireAllowed(a, 'send')
    const now = nowSecond()
    const messageId = new ObjectId().toHexString()
    const item: Item = {
      _id: messageId,
      chat_dialog_id: id,
      message: text ?? null,
      date_sent: now / 1000,
      sender_id: me,
      recipient_id: recipient ?? (a.type === 3 ? (a.occupants.find((o) => o !== me) ?? 0) : 0),
      created_at: formatTime(now),
      updated_at: formatTime(now),
      read_ids: [me],
      delivered_ids: [me],
      deleted_for_ids: [],
      attachments,
      reactions: null,
      views_count: 0,
      edited_at: null,
      read: 0,
      ...custom,
    }
    const coded = messageCodec.fromItem(item)
    if ('errors' in coded) throw new AppError('invalid_field', coded.errors)
    await insertMessage(tx, coded.row)
    const dialog: Record<string, unknown> = {
      last_message: text ?? null,
      last_message_id: messageId,
      last_message_user_id: me,
      last_message_date_sent: now / 1000,
      last_message_status: 'sent',
    }
    // A private dialog deleted "for me" comes back with the next message.
    if (a.type === 3 && jsonIds(tx, a.row.deleted_ids).length > 0) dialog.deleted_ids = []
    await writeDialog(tx, id, dialog, now)
    if (a.type === 2 || a.type === 3) await countSent(tx, id, me, now)
    const [row] = await findMessages(tx, [messageId])
    return toChatMessage(row as MessageRow, tx.dialect, me)
  })
}

/** Marks messages read or delivered for `me`, moving the counters and last_message_status by what changed. */
async function mark(tx: Store, a: Access, me: number, column: 'read_ids' | 'delivered_ids', ids: string[] | null): Promise<void> {
  const now = nowSecond()
  const cursor = column === 'read_ids' ? 'read_all_at' : 'delivered_all_at'
  // Mark all: only what was created since the member's last "mark all" (same second included).
  const since = ids === null ? await markedAllAt(tx, a.row.id, me, cursor) : undefined
  const marked = await markMessages(tx, { column, dialogId: a.row.id, userId: me, ids, now, since, countView: column === 'read_ids' && (a.type === 1 || a.type === 4) })
  // A minute back: another server whose clock is a little behind may still write messages dated
  // before now; re-walking a minute of messages next time is cheap.
  if (ids === null && since !== undefined) await setMarkedAllAt(tx, a.row.id, me, cursor, now - CLOCK_SLACK_MS)
  if (column === 'read_ids' && (a.type === 2 || a.type === 3)) {
    if (ids === null) await resetUnread(tx, a.row.id, me)
    else {
      // Only messages sent since the user joined were ever counted for them.
      const since = (await memberSince(tx, a.row.id, me)) ?? Infinity
      await countRead(tx, a.row.id, [me], marked.filter((m) => m.created_at >= since).length)
    }
  }
  const last = a.row.last_message_id
  if (last !== null && a.row.last_message_user_id !== me && marked.some((m) => m.id === last)) {
    const status = column === 'read_ids' ? 'read' : a.row.last_message_status === 'read' ? 'read' : 'delivered'
    // A status change is not an activity of the dialog: updated_at stays.
    if (status !== a.row.last_message_status) await writeDialog(tx, a.row.id, { last_message_status: status }, a.row.updated_at)
  }
}

export async function retrieveMessages(store: Store, me: number, params: Record<string, unknown>) {
  const { chat_dialog_id: rawId, mark_as_read: markRaw, preview: previewRaw, ...rest } = params
  const errors = new ParameterErrors()
  if (typeof rawId !== 'string') errors.add('chat_dialog_id', 'is required: the dialog whose messages to retrieve')
  for (const [name, v] of [['mark_as_read', markRaw], ['preview', previewRaw]] as const) {
    if (v !== undefined && v !== '0' && v !== '1') errors.add(name, 'expected 1 or 0')
  }
  errors.throwIfAny()
  const id = checkObjectId(rawId as string, 'chat_dialog_id')
  const a = await accessDialog(store, id, me)
  const preview = previewRaw === '1' && !allowed(a, 'read')
  if (preview) {
    const permissions = store.dialect.decodeJson(a.row.permissions) as { allow_preview?: boolean } | null
    if (permissions?.allow_preview !== true) throw new AppError('forbidden', ['This dialog does not allow previews; subscribe to it first'])
    // The spec: a preview is the last 20 messages; skip, limit and sort are ignored.
    for (const k of ['skip', 'limit', 'sort_asc', 'sort_desc']) delete rest[k]
  } else requireAllowed(a, 'read')

  let plan: ListPlan = planList(parseListQuery(rest, CHAT_MESSAGES), CHAT_MESSAGES)
  const scope: Condition[] = [
    { test: 'cmp', target: { column: 'chat_dialog_id' }, op: '=', value: id },
    { test: 'array', target: { column: 'deleted_for_ids' }, values: [me], mode: 'none' },
  ]
  plan = { ...plan, conditions: [...scope, ...plan.conditions] }
  if (preview) plan = { ...plan, sort: { column: 'date_sent', direction: 'desc' }, skip: 0, limit: PREVIEW_SIZE }
  // Per-user visibility (deleted_for_ids) has no kept count: a plain COUNT(*) within the one dialog.
  if (plan.count) return { items: { count: await countNow(store, 'messages', plan) } }
  const rows = (await listPage(store, 'messages', plan)) as MessageRow[]
  if (preview) rows.reverse()
  const items = rows.map((r) => toChatMessage(r, store.dialect, me))
  if (!preview && markRaw !== '0' && rows.length > 0) {
    await withTransaction(store, async (tx) => mark(tx, await accessDialog(tx, id, me, true), me, 'read_ids', rows.map((r) => r.id)))
  }
  return { skip: plan.skip, limit: plan.limit, items }
}

/** The messages named, grouped by dialog; any unknown or hidden one (deleted for me) makes it a 404. */
async function visibleMessages(store: Store, me: number, ids: string[]): Promise<Map<string, MessageRow[]>> {
  const rows = await findMessages(store, ids)
  const visible = rows.filter((r) => !jsonIds(store, r.deleted_for_ids).includes(me))
  if (visible.length !== ids.length) throw notFound('Message')
  const byDialog = new Map<string, MessageRow[]>()
  for (const r of visible) byDialog.set(r.chat_dialog_id, [...(byDialog.get(r.chat_dialog_id) ?? []), r])
  return byDialog
}

export interface MessageUpdate {
  chat_dialog_id?: string
  read?: number
  delivered?: number
  message?: string
}

export async function updateMessages(store: Store, me: number, rawIds: string | null, update: MessageUpdate): Promise<void> {
  if (update.read === undefined && update.delivered === undefined && update.message === undefined) {
    throw new AppError('invalid_field', { read: ['give read, delivered or message'] })
  }
  if (rawIds === null) {
    // Mark all: every message of the dialog (no body edit without an id).
    if (update.chat_dialog_id === undefined) throw new AppError('invalid_field', { chat_dialog_id: ['is required when no message id is given'] })
    if (update.message !== undefined) throw new AppError('invalid_field', { message: ['editing needs the message id in the path'] })
    const id = checkObjectId(update.chat_dialog_id, 'chat_dialog_id')
    await withTransaction(store, async (tx) => {
      const a = await accessDialog(tx, id, me, true)
      requireAllowed(a, 'read')
      // Delivered first: a read message is delivered too, and 'read' is the status that stays.
      if (update.delivered === 1 || update.read === 1) await mark(tx, a, me, 'delivered_ids', null)
      if (update.read === 1) await mark(tx, a, me, 'read_ids', null)
    })
    return
  }
  const { valid, invalid } = splitIds(rawIds)
  if (invalid.length > 0 || valid.length === 0) throw new AppError('bad_parameter', { message_id: ['expected message ObjectIds separated by commas'] })
  const byDialog = await visibleMessages(store, me, valid)
  const only = update.chat_dialog_id?.toLowerCase()
  if (only !== undefined && [...byDialog.keys()].some((d) => d !== only)) throw notFound('Message')
  for (const [dialogId, rows] of byDialog) {
    await withTransaction(store, async (tx) => {
      let a: Access
      try {
        a = await accessDialog(tx, dialogId, me, true)
      } catch {
        throw notFound('Message')
      }
      requireAllowed(a, 'read')
      const ids = rows.map((r) => r.id)
      if (update.message !== undefined) {
        if (rows.some((r) => r.sender_id !== me)) throw new AppError('forbidden', ['Only the sender can edit a message'])
        const now = nowSecond()
        for (const r of rows) await writeMessage(tx, r.id, { message: update.message, edited_at: formatTime(now), updated_at: now })
        if (a.row.last_message_id !== null && ids.includes(a.row.last_message_id)) await writeDialog(tx, dialogId, { last_message: update.message }, now)
      }
      if (update.delivered === 1 || update.read === 1) await mark(tx, a, me, 'delivered_ids', ids)
      if (update.read === 1) await mark(tx, a, me, 'read_ids', ids)
    })
  }
}

export async function deleteMessages(store: Store, me: number, rawIds: string, force: boolean): Promise<DeleteAnswer> {
  const { valid, invalid } = splitIds(rawIds)
  const answer: DeleteAnswer = { SuccessfullyDeleted: { ids: [] }, NotFound: { ids: [...invalid] }, WrongPermissions: { ids: [] } }
  for (const id of valid) {
    const outcome = await withTransaction(store, async (tx) => {
      const [found] = await findMessages(tx, [id])
      if (!found) return 'NotFound' as const
      let a: Access
      try {
        a = await accessDialog(tx, found.chat_dialog_id, me, true)
      } catch {
        return 'NotFound' as const
      }
      // Read again under the dialog's lock: a concurrent writer of the dialog has finished.
      const [row] = await findMessages(tx, [id])
      if (!row || !allowed(a, 'read') || jsonIds(tx, row.deleted_for_ids).includes(me)) return 'NotFound' as const
      const own = row.sender_id === me
      const may = force ? (own && allowed(a, 'delete_own_message_for_all')) || allowed(a, 'delete_any_message_for_all') : allowed(a, 'delete_message_for_me')
      if (!may) return 'WrongPermissions' as const
      if (force) await deleteForAll(tx, a, row)
      else await deleteForMe(tx, a, row, me)
      return 'SuccessfullyDeleted' as const
    })
    answer[outcome].ids.push(id)
  }
  return answer
}

async function deleteForMe(tx: Store, a: Access, row: MessageRow, me: number): Promise<void> {
  await hideMessagesFor(tx, a.row.id, me, [row.id], nowSecond())
  const unreadForMe = row.sender_id !== me && !jsonIds(tx, row.read_ids).includes(me)
  const since = (await memberSince(tx, a.row.id, me)) ?? Infinity
  if ((a.type === 2 || a.type === 3) && unreadForMe && row.created_at >= since) await countRead(tx, a.row.id, [me], 1)
}

async function deleteForAll(tx: Store, a: Access, row: MessageRow): Promise<void> {
  await deleteMessageRows(tx, [row.id])
  // Whoever had not read it (nor hidden it) had it counted as unread.
  if (a.type === 2 || a.type === 3) {
    const settled = [...jsonIds(tx, row.read_ids), ...jsonIds(tx, row.deleted_for_ids), ...(row.sender_id === null ? [] : [row.sender_id])]
    await uncountForAllBut(tx, a.row.id, settled, row.created_at)
  }
  const next: Record<string, unknown> = {}
  const pinned = (tx.dialect.decodeJson(a.row.pinned_messages_ids) as string[] | null) ?? []
  if (pinned.includes(row.id)) next.pinned_messages_ids = edit(pinned, [], [row.id])
  if (a.row.last_message_id === row.id) {
    // The new last message: one step down the dialog's date_sent index.
    const last = await latestMessage(tx, a.row.id)
    next.last_message = last?.message ?? null
    next.last_message_id = last?.id ?? null
    next.last_message_user_id = last?.sender_id ?? null
    next.last_message_date_sent = last?.date_sent ?? null
    next.last_message_status = last ? (jsonIds(tx, last.read_ids).some((u) => u !== last.sender_id) ? 'read' : 'sent') : null
  }
  if (Object.keys(next).length > 0) await writeDialog(tx, a.row.id, next, nowSecond())
}

export async function unreadMessages(store: Store, me: number, params: Record<string, unknown>) {
  const raw = params.chat_dialog_ids
  for (const k of Object.keys(params)) if (k !== 'chat_dialog_ids') throw new AppError('bad_parameter', { [k]: ['unknown parameter; accepted: chat_dialog_ids'] })
  if (raw !== undefined && typeof raw !== 'string') throw new AppError('bad_parameter', { chat_dialog_ids: ['expected dialog ids separated by commas'] })
  const { valid, invalid } = splitIds(raw ?? '')
  if (invalid.length > 0) throw new AppError('bad_parameter', { chat_dialog_ids: [`not ObjectIds: ${invalid.join(', ')}`] })
  const counts = await unreadCounts(store, me)
  const answer: Record<string, number> = { total: [...counts.values()].reduce((s, n) => s + n, 0) }
  // A dialog the user is not in is left out, not reported as 0: its existence is not theirs to learn.
  for (const id of valid) if (counts.has(id)) answer[id] = counts.get(id) as number
  return answer
}

async function reactableMessage(tx: Store, me: number, rawId: string, lock: boolean): Promise<{ a: Access; row: MessageRow }> {
  const id = checkObjectId(rawId, 'message_id')
  const [found] = await findMessages(tx, [id])
  if (!found) throw notFound('Message')
  let a: Access
  try {
    a = await accessDialog(tx, found.chat_dialog_id, me, lock)
  } catch {
    throw notFound('Message')
  }
  const [row] = lock ? await findMessages(tx, [id]) : [found]
  if (!row || jsonIds(tx, row.deleted_for_ids).includes(me)) throw notFound('Message')
  requireAllowed(a, 'read')
  return { a, row }
}

export async function react(store: Store, me: number, rawId: string, change: { add?: string; remove?: string }): Promise<void> {
  if (change.add === undefined && change.remove === undefined) throw new AppError('invalid_field', { add: ['give add or remove (a reaction such as 👍)'] })
  await withTransaction(store, async (tx) => {
    const { row } = await reactableMessage(tx, me, rawId, true)
    const stored = tx.dialect.decodeJson(row.reactions)
    const reactions: StoredReactions = isStoredReactions(stored) ? { ...stored } : {}
    // defineProperty: a reaction named __proto__ is an ordinary key.
    const put = (type: string, users: number[]) => Object.defineProperty(reactions, type, { value: users, enumerable: true, writable: true, configurable: true })
    if (change.remove !== undefined && Object.hasOwn(reactions, change.remove)) {
      put(change.remove, edit(reactions[change.remove] as number[], [], [me]))
      if ((reactions[change.remove] as number[]).length === 0) delete reactions[change.remove]
    }
    // One reaction of a type per user: adding it again changes nothing.
    if (change.add !== undefined) put(change.add, edit(Object.hasOwn(reactions, change.add) ? (reactions[change.add] as number[]) : [], [me]))
    await writeMessage(tx, row.id, { reactions: Object.keys(reactions).length > 0 ? reactions : null, updated_at: nowSecond() })
  })
}

export async function listReactions(store: Store, me: number, rawId: string): Promise<StoredReactions> {
  const { row } = await reactableMessage(store, me, rawId, false)
  const stored = store.dialect.decodeJson(row.reactions)
  return isStoredReactions(stored) ? stored : {}
}
