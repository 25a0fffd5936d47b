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
