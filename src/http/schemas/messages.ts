// The admin message item: Retrieve Messages item + deleted_for_ids; custom parameters are extra keys.
import { Type, type Static } from 'typebox'
import { ObjectIdString, Time, anyJson, nullable, nullableIntArray } from './common.ts'

export const MessageSchema = Type.Object(
  {
    _id: ObjectIdString,
    chat_dialog_id: ObjectIdString,
    message: nullable('string'),
    date_sent: nullable('integer', 'Unix seconds'),
    sender_id: nullable('integer'),
    recipient_id: nullable('integer'),
    created_at: Time,
    updated_at: Time,
    read_ids: nullableIntArray(),
    delivered_ids: nullableIntArray(),
    deleted_for_ids: nullableIntArray('Users who deleted the message for themselves'),
    attachments: anyJson('[{"type": "image", "id": "3004"}]'),
    reactions: anyJson(),
    views_count: nullable('integer'),
    edited_at: anyJson(),
    read: anyJson('Per-user; 0 in the admin view'),
  },
  { $id: 'Message', additionalProperties: true, description: 'Custom message parameters appear as extra top-level keys' },
)
export type Message = Static<typeof MessageSchema>
