// The chat API's dialog actions for a signed-in user: create, retrieve, update, delete (for me or
// for everyone), clear history, subscribe, admins, notifications, occupants. Each write runs in one
// transaction that first locks the dialog row, so that concurrent writers of one dialog queue there
// (one lock order for every path: dialog, then its messages, then dialog_users).
import { ObjectId } from 'bson'
import { AppError, ParameterErrors } from '../errors.ts'
import { OBJECT_ID } from '../object-id.ts'
import { CHAT_DIALOGS } from '../query/catalogue.ts'
import { parseListQuery } from '../query/parse.ts'
import { planList } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import { countUserDialogs, deleteDialogRows, insertDialog, listUserDialogs, messagesInDialog, writeDialog } from '../store/dialogs.ts'
import { readSnapshot } from '../store/items.ts'
import { addMembers, claimPrivatePair, findPrivatePair, isMember, memberIds, removeMembers, resetUnread, unreadCounts } from '../store/members.ts'
import { deleteDialogMessages, deleteSomeDialogMessages, hideMessagesFor, hideSomeMessagesFor } from '../store/messages.ts'
import type { DialogRow } from '../store/schema.ts'
import { withTransaction } from '../store/transaction.ts'
import { existingUserIds, usersByIds } from '../store/users.ts'
import { toChatDialog } from './chat-items.ts'
import { accessDialog, allowed, checkObjectId, requireAllowed, type Access } from './dialog-access.ts'
import { dialogCodec } from './dialog-item.ts'
import { castExtensions, edit, type DialogUpdate } from './dialogs.ts'
import type { Item } from './items.ts'
import { joinTime, nowSecond } from './chat-time.ts'
import { formatTime } from './time.ts'
import { parseIdList } from './user-ids.ts'
import { toUserItem } from './users.ts'

export const MAX_ADMINS = 5

async function requireUsers(store: Store, ids: number[], name: string, errors: ParameterErrors): Promise<void> {
  const found = new Set(await existingUserIds(store, ids))
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length > 0) errors.add(name, `no such users: ${missing.join(', ')}`)
}

async function viewOf(store: Store, row: DialogRow, userId: number): Promise<Item> {
  const unread = (await unreadCounts(store, userId, [row.id])).get(row.id)
  return toChatDialog(row, store.dialect, userId, unread)
}

export interface DialogCreate {
  type: number
  name?: string | null
  photo?: string | null
  description?: string | null
  occupants_ids?: unknown
  admins_ids?: unknown
  extensions?: Record<string, unknown> | null
  permissions?: { allow_preview?: boolean | null } | null
}

/** Creates a dialog; a private dialog that exists for the pair is returned instead (`created: false`). */
export async function createDialog(store: Store, me: number, input: DialogCreate): Promise<{ created: boolean; dialog: Item }> {
  const errors = new ParameterErrors()
  const type = input.type
  const others = parseIdList(input.occupants_ids, 'occupants_ids', errors).filter((id) => id !== me)
  const admins = parseIdList(input.admins_ids, 'admins_ids', errors).filter((id) => id !== me)
  const name = typeof input.name === 'string' ? input.name.trim() : ''
  if (type !== 3 && name === '') errors.add('name', 'is required for broadcast, group and public dialogs')
  if (type === 2 && others.length === 0) errors.add('occupants_ids', 'a group dialog needs at least one other occupant')
  if (type === 3 && others.length !== 1) errors.add('occupants_ids', 'a private dialog has exactly one other occupant')
  if ((type === 1 || type === 4) && input.occupants_ids !== undefined) {
    errors.add('occupants_ids', 'broadcast and public dialogs have no occupants list: users subscribe to public dialogs, and every user receives broadcasts')
  }
  if (type === 3 && admins.length > 0) errors.add('admins_ids', 'a private dialog has no admins')
  if (admins.length > MAX_ADMINS) errors.add('admins_ids', `at most ${MAX_ADMINS} admins`)
  if (type === 2) for (const a of admins) if (!others.includes(a)) errors.add('admins_ids', `${a} is not an occupant`)
  errors.throwIfAny('invalid_field')
  await requireUsers(store, [...others, ...admins], type === 2 || type === 3 ? 'occupants_ids' : 'admins_ids', errors)
  errors.throwIfAny('invalid_field')

  return withTransaction(store, async (tx) => {
    const id = new ObjectId().toHexString()
    if (type === 3) {
      const other = others[0] as number
      // The pair is claimed before the dialog exists: of two concurrent first messages, one creates it.
      if (!(await claimPrivatePair(tx, me, other, id))) {
        const existing = (await accessDialog(tx, (await findPrivatePair(tx, me, other)) as string, me, true)).row
        // Asking for it again brings back a private dialog the user had deleted for themselves.
        const deleted = (tx.dialect.decodeJson(existing.deleted_ids) as number[] | null) ?? []
        const row = deleted.includes(me) ? await writeDialog(tx, existing.id, { deleted_ids: edit(deleted, [], [me]) }, nowSecond()) : existing
        return { created: false, dialog: await viewOf(tx, row, me) }
      }
    }
    const now = nowSecond()
    const occupants = type === 2 || type === 3 ? [me, ...others] : []
    const item: Item = {
      _id: id,
      user_id: me,
      created_at: formatTime(now),
      updated_at: formatTime(now),
      type,
      occupants_ids: occupants,
      last_message: null,
      last_message_date_sent: null,
      last_message_id: null,
      last_message_user_id: null,
      last_message_status: null,
      // The spec: a private dialog's name and photo are ignored.
      name: type === 3 ? null : name,
      description: input.description ?? null,
      photo: type === 3 ? null : (input.photo ?? null),
      occupants_count: type === 4 ? 1 : null,
      xmpp_room_jid: type === 3 ? null : `1_${id}@muc.parley`,
      is_e2ee: null,
      admins_ids: admins,
      is_muted: null,
      unread_messages_count: null,
      pinned_messages_ids: [],
      extensions: castExtensions(input.extensions ?? null),
      permissions: input.permissions ?? null,
      deleted_ids: [],
      silent_ids: [],
    }
    const coded = dialogCodec.fromItem(item)
    if ('errors' in coded) throw new AppError('invalid_field', coded.errors)
    await insertDialog(tx, coded.row)
    // The owner of a public dialog is its first subscriber. A new dialog has no messages: everything counts.
    await addMembers(tx, id, type === 4 ? [me] : occupants, now)
    const row = (await accessDialog(tx, id, me)).row
    return { created: true, dialog: await viewOf(tx, row, me) }
  })
}

export async function listDialogs(store: Store, me: number, params: Record<string, unknown>) {
  const plan = planList(parseListQuery(params, CHAT_DIALOGS), CHAT_DIALOGS)
  if (plan.count) return { items: { count: await countUserDialogs(store, me, plan) } }
  return readSnapshot(store, async (snap) => {
    const rows = await listUserDialogs(snap, me, plan)
    const total = await countUserDialogs(snap, me, plan)
    const unread = await unreadCounts(snap, me, rows.map((r) => r.id))
    return { total_entries: total, skip: plan.skip, limit: plan.limit, items: rows.map((r) => toChatDialog(r, store.dialect, me, unread.get(r.id))) }
  })
}

/** What a user may change of a dialog: the admin Dialog Update's fields but the admin-only ones. */
export type ChatDialogUpdate = Omit<DialogUpdate, 'user_id' | 'is_muted'>

/** Update Dialog: each change checked against the user's role; all of it or nothing. */
export async function updateDialog(store: Store, me: number, rawId: string, update: ChatDialogUpdate): Promise<Item> {
  const id = checkObjectId(rawId, 'dialog_id')
  return withTransaction(store, async (tx) => {
    const a = await accessDialog(tx, id, me, true)
    const errors = new ParameterErrors()
    const next: Record<string, unknown> = {}
    const now = nowSecond()

    const info = (['name', 'photo', 'description', 'extensions', 'permissions'] as const).filter((k) => update[k] !== undefined)
    if (info.length > 0) requireAllowed(a, 'edit_info')
    for (const key of ['name', 'photo', 'description'] as const) if (update[key] !== undefined) next[key] = update[key]
    if (update.extensions !== undefined) next.extensions = castExtensions(update.extensions)
    if (update.permissions !== undefined) next.permissions = update.permissions

    await changeOccupants(tx, a, me, update, errors, next, now)
    await changeAdmins(tx, a, update, errors, next)

    const pin = update.push_all?.pinned_messages_ids?.map((m) => m.toLowerCase())
    const unpin = update.pull_all?.pinned_messages_ids?.map((m) => m.toLowerCase())
    if (pin || unpin) {
      requireAllowed(a, 'pin')
      const found = new Set(await messagesInDialog(tx, id, pin ?? []))
      for (const m of pin ?? []) if (!found.has(m)) errors.add('push_all.pinned_messages_ids', `message ${m} is not in this dialog`)
      const current = (tx.dialect.decodeJson(a.row.pinned_messages_ids) as string[] | null) ?? []
      next.pinned_messages_ids = edit(current, pin, unpin)
    }
    errors.throwIfAny('invalid_field')
    const row = await writeDialog(tx, id, next, now)
    return viewOf(tx, row, me)
  })
}

async function changeOccupants(tx: Store, a: Access, me: number, update: ChatDialogUpdate, errors: ParameterErrors, next: Record<string, unknown>, now: number) {
  const add = parseIdList(update.push_all?.occupants_ids, 'push_all.occupants_ids', errors)
  const remove = parseIdList(update.pull_all?.occupants_ids, 'pull_all.occupants_ids', errors)
  if (add.length === 0 && remove.length === 0) return
  if (a.type !== 2) {
    errors.add(add.length > 0 ? 'push_all.occupants_ids' : 'pull_all.occupants_ids', a.type === 3 ? 'a private dialog always has its two occupants' : 'only group dialogs have an occupants list')
    return
  }
  if (add.length > 0) {
    requireAllowed(a, 'add_occupants')
    await requireUsers(tx, add, 'push_all.occupants_ids', errors)
  }
  // Leaving is every occupant's right; removing others is the admins'.
  const removingOthers = remove.some((id) => id !== me)
  if (removingOthers) requireAllowed(a, 'remove_occupants')
  if (remove.length > 0 && !removingOthers) requireAllowed(a, 'delete_dialog_for_me')
  if (removingOthers && remove.includes(a.row.user_id as number)) errors.add('pull_all.occupants_ids', 'the owner cannot be removed')
  if (!errors.empty) return
  next.occupants_ids = edit(a.occupants, add, remove)
  if (remove.length > 0) next.admins_ids = edit(a.admins, [], remove)
  const deleted = (tx.dialect.decodeJson(a.row.deleted_ids) as number[] | null) ?? []
  next.deleted_ids = edit(deleted, remove.filter((id) => a.occupants.includes(id)), add)
  await addMembers(tx, a.row.id, add, joinTime(now))
  await removeMembers(tx, a.row.id, remove)
}

async function changeAdmins(tx: Store, a: Access, update: ChatDialogUpdate, errors: ParameterErrors, next: Record<string, unknown>) {
  const add = parseIdList(update.push_all?.admins_ids, 'push_all.admins_ids', errors).filter((id) => id !== a.row.user_id)
  const remove = parseIdList(update.pull_all?.admins_ids, 'pull_all.admins_ids', errors)
  if (update.push_all?.admins_ids === undefined && update.pull_all?.admins_ids === undefined) return
  requireAllowed(a, 'manage_admins')
  const occupants = (next.occupants_ids as number[] | undefined) ?? a.occupants
  for (const id of add) {
    const inDialog = a.type === 2 ? occupants.includes(id) : a.type === 4 ? await isMember(tx, a.row.id, id) : (await existingUserIds(tx, [id])).length > 0
    if (!inDialog) errors.add('push_all.admins_ids', `${id} is not ${a.type === 4 ? 'a subscriber' : a.type === 2 ? 'an occupant' : 'a user'}`)
  }
  const admins = edit((next.admins_ids as number[] | undefined) ?? a.admins, add, remove)
  if (admins.length > MAX_ADMINS) errors.add('push_all.admins_ids', `at most ${MAX_ADMINS} admins`)
  next.admins_ids = admins
}

export type DeleteAnswer = { SuccessfullyDeleted: { ids: string[] }; NotFound: { ids: string[] }; WrongPermissions: { ids: string[] } }

/** The comma list of an id path parameter: valid ObjectIds (lower-cased) and the rest. */
export function splitIds(raw: string): { valid: string[]; invalid: string[] } {
  const parts = [...new Set(raw.split(',').map((p) => p.trim()).filter(Boolean))]
  return { valid: parts.filter((p) => OBJECT_ID.test(p)).map((p) => p.toLowerCase()), invalid: parts.filter((p) => !OBJECT_ID.test(p)) }
}

/** Leaves a dialog: what "delete for me" means for each type (docs/chat.md). */
async function leave(tx: Store, a: Access, me: number, now: number): Promise<void> {
  const deleted = (tx.dialect.decodeJson(a.row.deleted_ids) as number[] | null) ?? []
  const next: Record<string, unknown> = { deleted_ids: edit(deleted, [me]) }
  if (a.type === 2) {
    next.occupants_ids = edit(a.occupants, [], [me])
    next.admins_ids = edit(a.admins, [], [me])
    await removeMembers(tx, a.row.id, [me])
  } else if (a.type === 3) {
    // Both occupants stay; the dialog is hidden from this one until the next message, which comes
    // without the deleted history (hidden for this user, so the unread counter stays a true count).
    await hideMessagesFor(tx, a.row.id, me, null, now)
    await resetUnread(tx, a.row.id, me)
  } else if (a.type === 4) {
    next.admins_ids = edit(a.admins, [], [me])
    if ((await removeMembers(tx, a.row.id, [me])).length > 0) next.occupants_count = Math.max(0, (a.row.occupants_count ?? 1) - 1)
  }
  await writeDialog(tx, a.row.id, next, now)
}

/** Messages deleted (or hidden for one user) per transaction when all of a dialog's go (inChunks). */
export const DELETE_CHUNK = 2000

/**
 * Deletes a dialog's messages — or hides them for `me` — DELETE_CHUNK at a time, each chunk in a
 * transaction of its own that checks again that `me` `may`, with a turn of the event loop
 * between: on SQLite, one transaction for a 200,000-message dialog held the server's only thread
 * for 2.2 s (1M data set; decision 0013), and hiding 150,000 for one user 2.1 s. Stops at the
 * first chunk that is not full, or when `me` may not (the caller's own transaction then answers as
 * it would have); the caller does what is left in one transaction. A failure half-way leaves the
 * dialog with fewer messages (or fewer of them shown to `me`), never messages without their
 * dialog; asking again finishes it.
 */
async function inChunks(store: Store, me: number, id: string, may: (a: Access) => boolean, chunk: (tx: Store) => Promise<number>): Promise<void> {
  for (;;) {
    const done = await withTransaction(store, async (tx) => {
      // Not found (or secret to `me`): the caller's transaction answers that.
      const a = await accessDialog(tx, id, me, true).catch((error: unknown) => {
        if (error instanceof AppError) return null
        throw error
      })
      return a === null || !may(a) ? 0 : chunk(tx)
    })
    if (done < DELETE_CHUNK) return
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const deleteInChunks = (store: Store, me: number, id: string) =>
  inChunks(store, me, id, (a) => allowed(a, 'delete_dialog_for_all'), (tx) => deleteSomeDialogMessages(tx, id, DELETE_CHUNK))

const hideInChunks = (store: Store, me: number, id: string, may: (a: Access) => boolean) =>
  inChunks(store, me, id, may, (tx) => hideSomeMessagesFor(tx, id, me, DELETE_CHUNK, nowSecond()))

export async function deleteDialogs(store: Store, me: number, rawIds: string, force: boolean): Promise<{ single: boolean; answer: DeleteAnswer }> {
  const { valid, invalid } = splitIds(rawIds)
  const answer: DeleteAnswer = { SuccessfullyDeleted: { ids: [] }, NotFound: { ids: [...invalid] }, WrongPermissions: { ids: [] } }
  for (const id of valid) {
    if (force) await deleteInChunks(store, me, id)
    // Leaving a private dialog hides its history for `me` (leave): a long one a chunk at a time first.
    else await hideInChunks(store, me, id, (a) => a.type === 3 && a.member && allowed(a, 'delete_dialog_for_me'))
    const outcome = await withTransaction(store, async (tx) => {
      let a: Access
      try {
        a = await accessDialog(tx, id, me, true)
      } catch {
        return 'NotFound' as const
      }
      // A public dialog the user never subscribed to is not "theirs" to delete.
      if (!force && !a.member) return 'NotFound' as const
      if (!allowed(a, force ? 'delete_dialog_for_all' : 'delete_dialog_for_me')) return 'WrongPermissions' as const
      if (force) await deleteDialogRows(tx, id)
      else await leave(tx, a, me, nowSecond())
      return 'SuccessfullyDeleted' as const
    })
    answer[outcome].ids.push(id)
  }
  return { single: valid.length + invalid.length === 1, answer }
}

export async function clearHistory(store: Store, me: number, rawId: string, force: boolean): Promise<void> {
  const id = checkObjectId(rawId, 'dialog_id')
  if (force) await deleteInChunks(store, me, id)
  else await hideInChunks(store, me, id, (a) => allowed(a, 'read'))
  await withTransaction(store, async (tx) => {
    const a = await accessDialog(tx, id, me, true)
    requireAllowed(a, force ? 'delete_dialog_for_all' : 'read')
    const now = nowSecond()
    if (force) {
      await deleteDialogMessages(tx, id)
      await resetUnread(tx, id)
      const cleared = { last_message: null, last_message_id: null, last_message_user_id: null, last_message_date_sent: null, last_message_status: null, pinned_messages_ids: [] }
      await writeDialog(tx, id, cleared, now)
    } else {
      await hideMessagesFor(tx, id, me, null, now)
      await resetUnread(tx, id, me)
    }
  })
}

export async function subscribe(store: Store, me: number, rawId: string): Promise<Item> {
  const id = checkObjectId(rawId, 'dialog_id')
  return withTransaction(store, async (tx) => {
    const a = await accessDialog(tx, id, me, true)
    if (a.type !== 4) throw new AppError('invalid_field', { dialog_id: ['only public dialogs (type 4) can be subscribed to'] })
    const now = nowSecond()
    const next: Record<string, unknown> = {}
    const deleted = (tx.dialect.decodeJson(a.row.deleted_ids) as number[] | null) ?? []
    if (deleted.includes(me)) next.deleted_ids = edit(deleted, [], [me])
    if ((await addMembers(tx, id, [me], joinTime(now))).length > 0) next.occupants_count = (a.row.occupants_count ?? 0) + 1
    const row = Object.keys(next).length > 0 ? await writeDialog(tx, id, next, now) : a.row
    return viewOf(tx, row, me)
  })
}

export async function unsubscribe(store: Store, me: number, rawId: string): Promise<void> {
  const id = checkObjectId(rawId, 'dialog_id')
  await withTransaction(store, async (tx) => {
    const a = await accessDialog(tx, id, me, true)
    if (a.type !== 4) throw new AppError('invalid_field', { dialog_id: ['only public dialogs (type 4) can be unsubscribed from'] })
    if (!a.member) return
    const next: Record<string, unknown> = { admins_ids: edit(a.admins, [], [me]) }
    if ((await removeMembers(tx, id, [me])).length > 0) next.occupants_count = Math.max(0, (a.row.occupants_count ?? 1) - 1)
    await writeDialog(tx, id, next, nowSecond())
  })
}

export async function updateAdmins(store: Store, me: number, rawId: string, changes: Pick<ChatDialogUpdate, 'push_all' | 'pull_all'>): Promise<Item> {
  if (!changes.push_all?.admins_ids && !changes.pull_all?.admins_ids) {
    throw new AppError('invalid_field', { push_all: ['give push_all[admins_ids] or pull_all[admins_ids]'] })
  }
  const id = checkObjectId(rawId, 'dialog_id')
  const a = await accessDialog(store, id, me)
  if (a.type === 3) throw new AppError('invalid_field', { admins_ids: ['a private dialog has no admins'] })
  return updateDialog(store, me, id, { push_all: { admins_ids: changes.push_all?.admins_ids }, pull_all: { admins_ids: changes.pull_all?.admins_ids } })
}

export async function setNotifications(store: Store, me: number, rawId: string, enabled: boolean) {
  const id = checkObjectId(rawId, 'dialog_id')
  return withTransaction(store, async (tx) => {
    const a = await accessDialog(tx, id, me, true)
    requireAllowed(a, 'read')
    const silent = (tx.dialect.decodeJson(a.row.silent_ids) as number[] | null) ?? []
    await writeDialog(tx, id, { silent_ids: enabled ? edit(silent, [], [me]) : edit(silent, [me]) }, nowSecond())
    return { notifications: { enabled: enabled ? 1 : 0 } }
  })
}

export async function getNotifications(store: Store, me: number, rawId: string) {
  const a = await accessDialog(store, checkObjectId(rawId, 'dialog_id'), me)
  requireAllowed(a, 'read')
  const silent = (store.dialect.decodeJson(a.row.silent_ids) as number[] | null) ?? []
  return { notifications: { enabled: silent.includes(me) ? 0 : 1 } }
}

export async function occupants(store: Store, me: number, rawId: string, params: Record<string, unknown>) {
  const a = await accessDialog(store, checkObjectId(rawId, 'dialog_id'), me)
  requireAllowed(a, 'read')
  const errors = new ParameterErrors()
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = params[name]
    if (raw === undefined) return fallback
    const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : NaN
    if (!(n >= min)) errors.add(name, `expected an integer >= ${min}`)
    return Math.min(n, max)
  }
  const limit = number('limit', 100, 1, 100)
  const skip = number('skip', 0, 0, Number.MAX_SAFE_INTEGER)
  for (const k of Object.keys(params)) if (k !== 'limit' && k !== 'skip') errors.add(k, 'unknown parameter; accepted: limit, skip')
  errors.throwIfAny()
  const users = await usersByIds(store, await memberIds(store, a.row.id, skip, limit))
  return { items: users.map(toUserItem) }
}
