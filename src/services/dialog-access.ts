// Finding a dialog for a user and the user's role in it. A dialog the user may not know of (a group
// or private dialog they are not in) is answered exactly like a missing one: 404, never 403.
import { AppError, notFound } from '../errors.ts'
import { NOT_AN_OBJECT_ID, OBJECT_ID } from '../object-id.ts'
import type { Store } from '../store/connect.ts'
import { findDialog, lockDialog } from '../store/dialogs.ts'
import { isMember } from '../store/members.ts'
import type { DialogRow } from '../store/schema.ts'
import { can, roleOf, typeOf, type Action, type Role } from './privileges.ts'

export interface Access {
  readonly row: DialogRow
  readonly type: 1 | 2 | 3 | 4
  readonly role: Role
  readonly member: boolean
  readonly occupants: number[]
  readonly admins: number[]
}

export function checkObjectId(raw: string, name: string): string {
  if (!OBJECT_ID.test(raw)) throw new AppError('bad_parameter', { [name]: [NOT_AN_OBJECT_ID] })
  return raw.toLowerCase()
}

export const jsonIds = (store: Store, v: unknown): number[] => (store.dialect.decodeJson(v) as number[] | null) ?? []

/** The dialog and the user's role, or 404. `lock`: inside a transaction, lock the row for a write. */
export async function accessDialog(store: Store, id: string, userId: number, lock = false): Promise<Access> {
  const row = lock ? await lockDialog(store, id) : await findDialog(store, id)
  if (!row) throw notFound('Dialog')
  const admins = jsonIds(store, row.admins_ids)
  const member = row.type === 1 || (await isMember(store, id, userId))
  const role = roleOf(row, admins, userId, member)
  // Group and private dialogs are secret to outsiders; public and broadcast ones are discoverable.
  if (role === 'outsider' && (row.type === 2 || row.type === 3)) throw notFound('Dialog')
  return { row, type: typeOf(row), role, member, occupants: jsonIds(store, row.occupants_ids), admins }
}

export const allowed = (a: Access, action: Action): boolean => can(a.type, a.role, action)

const WHAT: Record<Action, string> = {
  read: 'read this dialog (subscribe to it first)',
  send: 'send messages to this dialog',
  delete_message_for_me: 'delete messages in this dialog',
  delete_own_message_for_all: 'delete messages for everyone in this dialog',
  delete_any_message_for_all: "delete other users' messages for everyone in this dialog",
  delete_dialog_for_me: 'leave this dialog',
  add_occupants: 'add occupants to this dialog',
  remove_occupants: 'remove occupants from this dialog',
  edit_info: "change this dialog's name, photo, description, extensions or permissions",
  pin: 'pin messages in this dialog',
  manage_admins: "change this dialog's admins",
  delete_dialog_for_all: 'delete this dialog for everyone',
}

export function requireAllowed(a: Access, action: Action): void {
  if (!allowed(a, action)) throw new AppError('forbidden', [`You are not allowed to ${WHAT[action]}`])
}
