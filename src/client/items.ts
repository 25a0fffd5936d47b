// The items and pages of the Administration API, as the wire has them (snake_case, `_id`). Custom
// parameters of messages and dialogs are extra top-level keys, hence the index signatures.

export interface Dialog {
  _id: string
  user_id?: number | null
  created_at: string
  updated_at: string
  type: 1 | 2 | 3 | 4
  occupants_ids?: number[] | null
  last_message?: string | null
  last_message_date_sent?: number | null
  last_message_id?: string | null
  last_message_user_id?: number | null
  last_message_status?: string | null
  name?: string | null
  description?: string | null
  photo?: string | null
  occupants_count?: number | null
  xmpp_room_jid?: string | null
  is_e2ee?: boolean | null
  admins_ids?: number[] | null
  is_muted?: boolean | null
  unread_messages_count?: number | null
  pinned_messages_ids?: string[] | null
  extensions?: Record<string, string> | null
  permissions?: unknown
  deleted_ids?: number[] | null
  silent_ids?: number[] | null
  [custom: string]: unknown
}

export interface Message {
  _id: string
  chat_dialog_id: string
  message?: string | null
  date_sent?: number | null
  sender_id?: number | null
  recipient_id?: number | null
  created_at: string
  updated_at: string
  read_ids?: number[] | null
  delivered_ids?: number[] | null
  deleted_for_ids?: number[] | null
  attachments?: Array<Record<string, unknown>> | null
  reactions?: unknown
  views_count?: number | null
  edited_at?: unknown
  read?: number
  [custom: string]: unknown
}

export interface Page<T> {
  total_entries: number
  skip: number
  limit: number
  items: T[]
}

export type Resource = 'dialogs' | 'messages'
export type ItemOf<R extends Resource> = R extends 'dialogs' ? Dialog : Message
