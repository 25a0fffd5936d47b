// Admin-format items for tests, with ObjectIds made from a chosen time so that order is known.
import type { Item } from '../../src/services/items.ts'

let counter = 0

/** An ObjectId whose timestamp is `seconds`; successive calls with the same time still increase. */
export function objectId(seconds: number): string {
  counter++
  return seconds.toString(16).padStart(8, '0') + counter.toString(16).padStart(16, '0')
}

export const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z'

export function dialogItem(seconds: number, overrides: Item = {}): Item {
  return {
    _id: objectId(seconds),
    user_id: 32241,
    created_at: iso(seconds),
    updated_at: iso(seconds + 9),
    type: 3,
    occupants_ids: [32241, 32242],
    last_message: 'Warning! People are coming',
    last_message_date_sent: seconds + 9,
    last_message_id: objectId(seconds + 9),
    last_message_user_id: 32241,
    last_message_status: 'sent',
    name: null,
    description: null,
    photo: null,
    occupants_count: null,
    xmpp_room_jid: null,
    is_e2ee: null,
    admins_ids: [],
    is_muted: null,
    unread_messages_count: null,
    pinned_messages_ids: null,
    extensions: null,
    permissions: null,
    deleted_ids: [],
    silent_ids: [],
    ...overrides,
  }
}

export function messageItem(dialogId: string, seconds: number, overrides: Item = {}): Item {
  return {
    _id: objectId(seconds),
    chat_dialog_id: dialogId,
    message: 'Warning! People are coming! Right Now. By Http',
    date_sent: seconds,
    sender_id: 4980089,
    recipient_id: 4997495,
    created_at: iso(seconds),
    updated_at: iso(seconds),
    read_ids: [4980089],
    delivered_ids: [4980089],
    deleted_for_ids: [],
    attachments: [{ type: 'image', id: '3004' }],
    reactions: null,
    views_count: 0,
    edited_at: null,
    read: 0,
    ...overrides,
  }
}
