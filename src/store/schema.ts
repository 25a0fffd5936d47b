// The database as Kysely sees it. Times are integer milliseconds since the epoch (BIGINT), which
// compare the same on SQLite and PostgreSQL; the wire shows them at second precision. JSON columns
// hold arrays and objects (TEXT on SQLite, JSONB on PostgreSQL); see dialect.ts.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

/** A JSON column: written as JSON text, read back as a value (dialect.decodeJson). */
export type Json = ColumnType<unknown, string | null, string | null>

export interface DialogTable {
  id: string
  user_id: number | null
  type: number
  name: string | null
  description: string | null
  photo: string | null
  occupants_ids: Json
  occupants_count: number | null
  admins_ids: Json
  pinned_messages_ids: Json
  silent_ids: Json
  deleted_ids: Json
  xmpp_room_jid: string | null
  is_e2ee: number | null
  last_message: string | null
  last_message_id: string | null
  last_message_user_id: number | null
  last_message_date_sent: number | null
  last_message_status: string | null
  extensions: Json
  permissions: Json
  created_at: number
  updated_at: number
  /** Top-level keys outside the standard item, kept as given. */
  extra: Json
  /** Standard item keys the imported item did not have, so that it comes back without them. */
  absent: Json
}

export interface MessageTable {
  id: string
  chat_dialog_id: string
  message: string | null
  date_sent: number | null
  sender_id: number | null
  recipient_id: number | null
  read_ids: Json
  delivered_ids: Json
  deleted_for_ids: Json
  attachments: Json
  reactions: Json
  views_count: number | null
  edited_at: Json
  created_at: number
  updated_at: number
  /** Custom message parameters ("mission": "take over the planet"), shown as top-level keys. */
  extra: Json
  absent: Json
}

export interface AdminKeyTable {
  id: Generated<number>
  name: string
  key_hash: string
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

/**
 * One row per change to a row of the base table (migrations/0002-change-log.ts): its id, whether it
 * existed before (0: an insert), and its pre-image in every filterable column (NULL for an insert).
 */
interface ChangeColumns {
  seq: Generated<number>
  id: string
  existed: number
  at: Generated<number>
  /** PostgreSQL only: the writing transaction (xid8, as text). */
  xid?: Generated<string>
}

export type MessageChangeTable = ChangeColumns &
  Partial<Pick<MessageTable, 'chat_dialog_id' | 'created_at' | 'updated_at' | 'sender_id' | 'recipient_id' | 'date_sent' | 'message' | 'attachments'>>
export type DialogChangeTable = ChangeColumns &
  Partial<Pick<DialogTable, 'type' | 'name' | 'user_id' | 'last_message_date_sent' | 'occupants_ids' | 'extensions' | 'created_at' | 'updated_at'>>

/** Per base table, how far its change log has been pruned (a seq on SQLite, an xid8 on PostgreSQL). */
export interface ChangeLogCutTable {
  tbl: string
  cut: string | number
}

export interface UserTable {
  id: Generated<number>
  login: string | null
  email: string | null
  password_hash: string
  full_name: string | null
  phone: string | null
  website: string | null
  custom_data: string | null
  external_user_id: number | null
  external_id: string | null
  facebook_id: string | null
  twitter_id: string | null
  blob_id: number | null
  avatar: string | null
  user_tags: string | null
  timezone: number | null
  created_at: number
  updated_at: number
  last_request_at: number | null
}

export interface SessionTable {
  id: Generated<number>
  token_hash: string
  user_id: number
  created_at: number
  updated_at: number
  expires_at: number
}

export interface AppSettingTable {
  name: string
  value: string
}

/** Per-user state of a dialog (migrations/0003-chat.ts). */
export interface DialogUserTable {
  dialog_id: string
  user_id: number
  unread_count: Generated<number>
  joined_at: number
  read_all_at: number | null
  delivered_all_at: number | null
}

export interface PrivatePairTable {
  low_id: number
  high_id: number
  dialog_id: string
}

/** Bounds of (created_at − ObjectId time) and (updated_at − created_at) in ms, appended as they widen; the table's bounds are the min/max over its rows (migrations/0004-item-skews.ts). */
export interface ItemSkewsTable {
  tbl: string
  id_lo: number
  id_hi: number
  upd_lo: number
  upd_hi: number
}

/** One admin request (migrations/0005-admin-audit.ts); `at` in ms, `params` JSON with secrets redacted. */
export interface AdminAuditTable {
  id: Generated<number>
  at: number
  key_id: number | null
  key_name: string | null
  method: string
  route: string
  params: string
  status: number
  duration_us: number
  remote: string | null
}

export interface Database {
  dialogs: DialogTable
  messages: MessageTable
  admin_keys: AdminKeyTable
  message_changes: MessageChangeTable
  dialog_changes: DialogChangeTable
  change_log_cut: ChangeLogCutTable
  users: UserTable
  sessions: SessionTable
  app_settings: AppSettingTable
  dialog_users: DialogUserTable
  private_pairs: PrivatePairTable
  item_skews: ItemSkewsTable
  admin_audit: AdminAuditTable
}

export type DialogRow = Selectable<DialogTable>
export type NewDialogRow = Insertable<DialogTable>
export type MessageRow = Selectable<MessageTable>
export type NewMessageRow = Insertable<MessageTable>
export type AdminKeyRow = Selectable<AdminKeyTable>
export type UserRow = Selectable<UserTable>
export type SessionRow = Selectable<SessionTable>
