// Roles and privileges per dialog type, as the spec's table gives them (docs/chat.md). One table,
// read by every dialog and message action, and walked by test/chat/privileges.test.ts.
import type { DialogRow } from '../store/schema.ts'

export type Role = 'owner' | 'admin' | 'member' | 'outsider'

export type Action =
  | 'read' // see the dialog and retrieve its messages
  | 'send'
  | 'delete_message_for_me' // any message it can see, for itself only
  | 'delete_own_message_for_all' // own message, force=1
  | 'delete_any_message_for_all' // anyone's message, force=1
  | 'delete_dialog_for_me' // (leave / unsubscribe)
  | 'add_occupants'
  | 'remove_occupants'
  | 'edit_info' // name, photo, description, extensions, permissions
  | 'pin'
  | 'manage_admins'
  | 'delete_dialog_for_all' // force=1, and clear history for everyone

type Table = Record<1 | 2 | 3 | 4, Record<Role, readonly Action[]>>

const READER: Action[] = ['read', 'delete_dialog_for_me']
const REGULAR: Action[] = ['read', 'send', 'delete_message_for_me', 'delete_own_message_for_all', 'delete_dialog_for_me']
const MODERATOR: Action[] = ['delete_any_message_for_all', 'pin']

export const PRIVILEGES: Table = {
  // Broadcast: everyone reads; admins and the owner write and moderate. The spec lists no "regular
  // user privileges" for a broadcast's super admin and admins, an evident slip: they are the senders.
  1: {
    outsider: READER,
    member: READER,
    admin: [...REGULAR, ...MODERATOR, 'edit_info'],
    owner: [...REGULAR, ...MODERATOR, 'edit_info', 'manage_admins', 'delete_dialog_for_all'],
  },
  2: {
    outsider: [],
    member: [...REGULAR, 'add_occupants', 'edit_info'],
    admin: [...REGULAR, 'add_occupants', 'edit_info', ...MODERATOR, 'remove_occupants'],
    owner: [...REGULAR, 'add_occupants', 'edit_info', ...MODERATOR, 'remove_occupants', 'manage_admins', 'delete_dialog_for_all'],
  },
  // Private: two regular users; the spec lets the creator ("owner") delete it for both.
  3: {
    outsider: [],
    member: REGULAR,
    admin: REGULAR,
    owner: [...REGULAR, 'delete_dialog_for_all'],
  },
  4: {
    outsider: [],
    member: REGULAR,
    admin: [...REGULAR, ...MODERATOR, 'edit_info'],
    owner: [...REGULAR, ...MODERATOR, 'edit_info', 'manage_admins', 'delete_dialog_for_all'],
  },
}

/** Type of a dialog row, as the table's key (imported rows are validated to 1–4). */
export const typeOf = (row: DialogRow): 1 | 2 | 3 | 4 => row.type as 1 | 2 | 3 | 4

/**
 * The user's role. Broadcasts have every user as a member; elsewhere membership (occupants of
 * groups and private dialogs, subscribers of public ones) comes first: an admin or owner who left
 * is an outsider until added again.
 */
export function roleOf(row: DialogRow, adminsIds: number[], userId: number, member: boolean): Role {
  if (!member && row.type !== 1) return 'outsider'
  if (row.user_id === userId) return 'owner'
  if (adminsIds.includes(userId) && row.type !== 3) return 'admin'
  return 'member'
}

export const can = (type: 1 | 2 | 3 | 4, role: Role, action: Action): boolean => PRIVILEGES[type][role].includes(action)
