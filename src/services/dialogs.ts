// Changing dialogs: the Administration API's Dialog Update (the Update Dialog fields, plus is_muted
// for one user). The chat API's dialog actions are in chat-dialogs.ts and share these helpers.
import { ParameterErrors, notFound } from '../errors.ts'
import { JSON_KEY, JSON_KEY_RULE } from '../query/catalogue.ts'
import type { Store } from '../store/connect.ts'
import { lockDialog, messagesInDialog, writeDialog } from '../store/dialogs.ts'
import { addMembers, removeMembers } from '../store/members.ts'
import { joinTime } from './chat-time.ts'
import { checkObjectId } from './dialog-access.ts'
import { dialogCodec } from './dialog-item.ts'
import type { Item } from './items.ts'
import { isUserId, notAUserId, parseIdList } from './user-ids.ts'

export interface IdListChanges {
  occupants_ids?: Array<number | string>
  admins_ids?: Array<number | string>
  pinned_messages_ids?: string[]
}

export interface DialogUpdate {
  name?: string | null
  photo?: string | null
  description?: string | null
  extensions?: Record<string, unknown> | null
  permissions?: { allow_preview?: boolean | null } | null
  push_all?: IdListChanges
  pull_all?: IdListChanges
  user_id?: number
  is_muted?: boolean
}

const LIST_FIELDS = ['occupants_ids', 'admins_ids', 'pinned_messages_ids'] as const

/** Adds `add` (keeping order, no duplicates) and removes `remove`. */
export function edit<T>(current: T[], add: T[] = [], remove: T[] = []): T[] {
  const out = current.filter((v) => !remove.includes(v))
  for (const v of add) if (!out.includes(v) && !remove.includes(v)) out.push(v)
  return out
}

/**
 * Extensions are stored with string values, as ConnectyCube casts them. Its keys are the custom
 * fields an operator declared; parley has no such list, so it takes any key a filter can name and
 * refuses the others, which would be stored but never found (`extensions[a b]` is no parameter).
 */
export function castExtensions(ext: Record<string, unknown> | null): Record<string, string> | null {
  if (ext === null) return null
  const errors = new ParameterErrors()
  for (const k of Object.keys(ext)) if (!JSON_KEY.test(k)) errors.add(`extensions.${k}`, `${JSON_KEY_RULE}, as filters name them`)
  errors.throwIfAny('invalid_field')
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(ext)) {
    if (v !== null && v !== undefined) Object.defineProperty(out, k, { value: typeof v === 'string' ? v : JSON.stringify(v), enumerable: true })
  }
  return out
}

export async function adminUpdateDialog(store: Store, rawId: string, update: DialogUpdate): Promise<Item> {
  const id = checkObjectId(rawId, 'dialog_id')
  const errors = new ParameterErrors()
  if (update.is_muted !== undefined && update.user_id === undefined) errors.add('user_id', 'is required with is_muted')
  if (update.user_id !== undefined && update.is_muted === undefined) errors.add('is_muted', 'is required with user_id')
  if (update.user_id !== undefined && !isUserId(update.user_id)) errors.add('user_id', notAUserId(update.user_id))
  errors.throwIfAny('invalid_field')

  return store.db.transaction().execute(async (trx) => {
    const tx = { ...store, db: trx }
    const row = await lockDialog(tx, id)
    if (!row) throw notFound('Dialog')
    const current = dialogCodec.toItem(row, store.dialect)
    const next: Record<string, unknown> = {}

    for (const key of ['name', 'photo', 'description'] as const) if (update[key] !== undefined) next[key] = update[key]
    if (update.extensions !== undefined) next.extensions = castExtensions(update.extensions)
    if (update.permissions !== undefined) next.permissions = update.permissions

    for (const field of LIST_FIELDS) {
      const add = update.push_all?.[field]
      const remove = update.pull_all?.[field]
      if (add === undefined && remove === undefined) continue
      // User ids as the chat API takes them, but not required to be users here: an imported dialog's
      // occupants are users of the server it came from (docs/api-notes.md, Dialog Update).
      const norm = (list: Array<string | number> | undefined, change: 'push_all' | 'pull_all') =>
        field === 'pinned_messages_ids' ? list?.map((v) => String(v).toLowerCase()) : parseIdList(list, `${change}.${field}`, errors)
      if (field === 'occupants_ids' && current.type === 3) {
        errors.add('occupants_ids', 'a private dialog (type 3) always has its two occupants')
        continue
      }
      if (field === 'pinned_messages_ids' && add) {
        const ids = norm(add, 'push_all') as string[]
        const found = new Set(await messagesInDialog(tx, id, ids))
        for (const m of ids) if (!found.has(m)) errors.add('push_all.pinned_messages_ids', `message ${m} is not in this dialog`)
      }
      next[field] = edit((current[field] as Array<string | number> | null) ?? [], norm(add, 'push_all'), norm(remove, 'pull_all'))
    }

    if (update.user_id !== undefined) {
      const silent = (current.silent_ids as number[] | null) ?? []
      next.silent_ids = update.is_muted ? edit(silent, [update.user_id]) : edit(silent, [], [update.user_id])
    }
    errors.throwIfAny('invalid_field')

    // A field the imported item lacked is shown again once it is set.
    const absent = (store.dialect.decodeJson(row.absent) as string[] | null) ?? []
    if (absent.some((name) => Object.hasOwn(next, name))) {
      const still = absent.filter((name) => !Object.hasOwn(next, name))
      next.absent = still.length > 0 ? still : null
    }

    // Times are kept at whole seconds, as ConnectyCube shows them.
    const updatedAt = Math.floor(Date.now() / 1000) * 1000
    const written = await writeDialog(tx, id, next, updatedAt)
    // The chat API finds a user's dialogs through membership rows: keep them equal to occupants_ids.
    if (next.occupants_ids !== undefined && current.type === 2) {
      const before = (current.occupants_ids as number[] | null) ?? []
      const after = next.occupants_ids as number[]
      await addMembers(tx, id, after.filter((u) => !before.includes(u)), joinTime(updatedAt))
      await removeMembers(tx, id, before.filter((u) => !after.includes(u)))
    }
    return dialogCodec.toItem(written, store.dialect)
  })
}
