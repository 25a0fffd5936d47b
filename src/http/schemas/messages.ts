// The admin message item: Retrieve Messages item + deleted_for_ids; custom parameters are extra keys.
import { Type, type Static } from 'typebox'
import { ObjectIdString, Time, anyJson, nullable, nullableIntArray } from './common.ts'

export const MessageSchema = Type.Object(
  {
    // Optional: the keys an item may lack. An imported item comes back with only the keys it had.
    _id: ObjectIdString,
    chat_dialog_id: ObjectIdString,
    message: Type.Optional(nullable('string')),
    date_sent: Type.Optional(nullable('integer', 'Unix seconds')),
    sender_id: Type.Optional(nullable('integer')),
    recipient_id: Type.Optional(nullable('integer')),
    created_at: Time,
    updated_at: Time,
    read_ids: Type.Optional(nullableIntArray()),
    delivered_ids: Type.Optional(nullableIntArray()),
    deleted_for_ids: Type.Optional(nullableIntArray('Users who deleted the message for themselves')),
    attachments: Type.Optional(anyJson('[{"type": "image", "id": "3004"}]')),
    reactions: Type.Optional(anyJson()),
    views_count: Type.Optional(nullable('integer')),
    edited_at: Type.Optional(anyJson()),
    read: Type.Optional(anyJson('Per-user; 0 in the admin view')),
  },
  { $id: 'Message', additionalProperties: true, description: 'Custom message parameters appear as extra top-level keys' },
)
export type Message = Static<typeof MessageSchema>

/** GET /admin/chat/messages/per_day: one entry per UTC day from the first matching message's to the last's. */
export const MessagesPerDaySchema = Type.Array(
  Type.Object({
    day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'UTC day of created_at, YYYY-MM-DD' }),
    count: Type.Integer({ minimum: 0, description: 'Messages the filters match that were created that day' }),
  }),
  { $id: 'MessagesPerDay', description: 'Days in order, empty days included; [] when nothing matches' },
)
