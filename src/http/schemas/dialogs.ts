// The admin dialog item (Retrieve Dialogs item + silent_ids, deleted_ids) and the Dialog Update body.
import { Type, type Static } from 'typebox'
import { ObjectIdString, Time, anyJson, nullable, nullableIntArray } from './common.ts'

export const DialogSchema = Type.Object(
  {
    _id: ObjectIdString,
    user_id: nullable('integer', "Owner's user id"),
    created_at: Time,
    updated_at: Time,
    type: Type.Integer({ enum: [1, 2, 3, 4], description: '1 broadcast, 2 group, 3 private, 4 public' }),
    occupants_ids: nullableIntArray(),
    last_message: nullable('string'),
    last_message_date_sent: nullable('integer', 'Unix seconds'),
    last_message_id: nullable('string'),
    last_message_user_id: nullable('integer'),
    last_message_status: nullable('string'),
    name: nullable('string'),
    description: nullable('string'),
    photo: nullable('string'),
    occupants_count: nullable('integer'),
    xmpp_room_jid: nullable('string'),
    is_e2ee: nullable('boolean'),
    admins_ids: nullableIntArray(),
    is_muted: anyJson('Per-user; null in the admin view'),
    unread_messages_count: anyJson('Per-user; null in the admin view'),
    pinned_messages_ids: anyJson(),
    extensions: anyJson(),
    permissions: anyJson(),
    deleted_ids: nullableIntArray('Users who deleted the dialog for themselves'),
    silent_ids: nullableIntArray('Users who muted the dialog'),
  },
  { $id: 'Dialog', additionalProperties: true },
)
export type Dialog = Static<typeof DialogSchema>

const IdList = Type.Array(Type.Union([Type.Integer(), Type.String({ pattern: '^-?\\d{1,15}$' })]), { maxItems: 1000 })
const IdListChanges = Type.Object(
  {
    occupants_ids: Type.Optional(IdList),
    admins_ids: Type.Optional(IdList),
    pinned_messages_ids: Type.Optional(Type.Array(ObjectIdString, { maxItems: 1000 })),
  },
  { additionalProperties: false },
)

export const DialogUpdateSchema = Type.Object(
  {
    name: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    photo: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 10000 }), Type.Null()])),
    extensions: Type.Optional(Type.Union([Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()), Type.Null()])),
    permissions: Type.Optional(
      Type.Union([Type.Object({ allow_preview: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])) }, { additionalProperties: false }), Type.Null()]),
    ),
    push_all: Type.Optional(IdListChanges),
    pull_all: Type.Optional(IdListChanges),
    user_id: Type.Optional(Type.Integer({ description: 'The user whose is_muted is set' })),
    is_muted: Type.Optional(Type.Boolean({ description: 'Mute (true) or unmute (false) the dialog for user_id: silent_ids' })),
  },
  { additionalProperties: false },
)
export type DialogUpdate = Static<typeof DialogUpdateSchema>
