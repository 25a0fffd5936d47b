// The admin dialog item (Retrieve Dialogs item + silent_ids, deleted_ids) and the Dialog Update body.
import { Type, type Static } from 'typebox'
import { ObjectIdString, Time, anyJson, nullable, nullableIntArray, stringOrNull } from './common.ts'

export const DialogSchema = Type.Object(
  {
    // Optional: the keys an item may lack. An imported item comes back with only the keys it had.
    _id: ObjectIdString,
    user_id: Type.Optional(nullable('integer', "Owner's user id")),
    created_at: Time,
    updated_at: Time,
    type: Type.Integer({ enum: [1, 2, 3, 4], description: '1 broadcast, 2 group, 3 private, 4 public' }),
    occupants_ids: Type.Optional(nullableIntArray()),
    last_message: Type.Optional(nullable('string')),
    last_message_date_sent: Type.Optional(nullable('integer', 'Unix seconds')),
    last_message_id: Type.Optional(nullable('string')),
    last_message_user_id: Type.Optional(nullable('integer')),
    last_message_status: Type.Optional(nullable('string')),
    name: Type.Optional(nullable('string')),
    description: Type.Optional(nullable('string')),
    photo: Type.Optional(nullable('string')),
    occupants_count: Type.Optional(nullable('integer')),
    xmpp_room_jid: Type.Optional(nullable('string')),
    is_e2ee: Type.Optional(nullable('boolean')),
    admins_ids: Type.Optional(nullableIntArray()),
    is_muted: Type.Optional(anyJson('Per-user; null in the admin view')),
    unread_messages_count: Type.Optional(anyJson('Per-user; null in the admin view')),
    pinned_messages_ids: Type.Optional(anyJson()),
    extensions: Type.Optional(anyJson()),
    permissions: Type.Optional(anyJson()),
    deleted_ids: Type.Optional(nullableIntArray('Users who deleted the dialog for themselves')),
    silent_ids: Type.Optional(nullableIntArray('Users who muted the dialog')),
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

// "T or null" as a type array, not a Union: with Ajv's coerceTypes the Union's first branch would
// turn a null into "" (or false) instead of letting it clear the field.
const booleanOrNull = () => Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })

export const DialogUpdateSchema = Type.Object(
  {
    name: Type.Optional(stringOrNull(1000)),
    photo: Type.Optional(stringOrNull(2000)),
    description: Type.Optional(stringOrNull(10000)),
    extensions: Type.Optional(Type.Union([Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()), Type.Null()])),
    permissions: Type.Optional(
      Type.Union([Type.Object({ allow_preview: Type.Optional(booleanOrNull()) }, { additionalProperties: false }), Type.Null()]),
    ),
    push_all: Type.Optional(IdListChanges),
    pull_all: Type.Optional(IdListChanges),
    user_id: Type.Optional(Type.Integer({ description: 'The user whose is_muted is set' })),
    is_muted: Type.Optional(Type.Boolean({ description: 'Mute (true) or unmute (false) the dialog for user_id: silent_ids' })),
  },
  { additionalProperties: false },
)
export type DialogUpdate = Static<typeof DialogUpdateSchema>
