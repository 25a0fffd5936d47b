// Bodies and answers of the chat API's dialog and message routes. Items reuse the admin item schemas
// (Dialog, Message): the chat view is the same item with the per-user fields filled in.
import { Type, type Static } from 'typebox'
import { ObjectIdString } from './common.ts'
import { DialogUpdateSchema } from './dialogs.ts'

const stringOrNull = (maxLength: number) => Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength })
const booleanOrNull = () => Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })
/** Checked by the service, which names the bad id: a JSON array or a comma list (form bodies). */
const UserIds = (description: string) => Type.Unknown({ description: `${description}: [45, 78] or "45,78"` })

export const DialogCreateSchema = Type.Object(
  {
    type: Type.Integer({ enum: [1, 2, 3, 4], description: '1 broadcast, 2 group, 3 private, 4 public' }),
    name: Type.Optional(stringOrNull(1000)),
    photo: Type.Optional(stringOrNull(2000)),
    description: Type.Optional(stringOrNull(10000)),
    occupants_ids: Type.Optional(UserIds('Other occupants (group: one or more; private: exactly one)')),
    admins_ids: Type.Optional(UserIds('Admins, at most 5')),
    extensions: Type.Optional(Type.Union([Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()), Type.Null()])),
    permissions: Type.Optional(
      Type.Union([Type.Object({ allow_preview: Type.Optional(booleanOrNull()) }, { additionalProperties: false }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
)
export type DialogCreate = Static<typeof DialogCreateSchema>

// The admin Dialog Update body without its admin-only user_id / is_muted (a user mutes through /notifications).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { user_id, is_muted, ...updateFields } = DialogUpdateSchema.properties
export const ChatDialogUpdateSchema = Type.Object(updateFields, { additionalProperties: false })
export type ChatDialogUpdate = Static<typeof ChatDialogUpdateSchema>

export const AdminsUpdateSchema = Type.Object(
  { push_all: Type.Optional(updateFields.push_all), pull_all: Type.Optional(updateFields.pull_all) },
  { additionalProperties: false },
)
export type AdminsUpdate = Static<typeof AdminsUpdateSchema>

export const NotificationsBody = Type.Object(
  { enabled: Type.Integer({ enum: [0, 1], description: '1 on, 0 off (the user joins silent_ids)' }) },
  { additionalProperties: false },
)
export const NotificationsAnswer = Type.Object({ notifications: Type.Object({ enabled: Type.Integer({ enum: [0, 1] }) }) })

const Ids = Type.Object({ ids: Type.Array(Type.String()) })
export const DeleteAnswer = Type.Object(
  { SuccessfullyDeleted: Ids, NotFound: Ids, WrongPermissions: Ids },
  { description: 'Per id: deleted, unknown (or not visible to you), or not yours to delete' },
)

export const ForceQuery = Type.Object({ force: Type.Optional(Type.Integer({ enum: [0, 1], description: '1: for everyone, not only for you' })) })

export const Empty = Type.Object({}, { description: 'Done' })

export const MessageCreateSchema = Type.Object(
  {
    chat_dialog_id: Type.Optional(ObjectIdString),
    recipient_id: Type.Optional(Type.Integer({ minimum: 1, description: 'Without chat_dialog_id: the private dialog with this user (created on the first message)' })),
    message: Type.Optional(Type.String({ maxLength: 100_000 })),
    attachments: Type.Optional(Type.Unknown({ description: '[{"type": "image", "id": "3004"}] or {"0": {...}, "1": {...}}' })),
    send_to_chat: Type.Optional(Type.Unknown({ description: 'Accepted; parley has no real-time transport, so it changes nothing' })),
    markable: Type.Optional(Type.Unknown({ description: 'Kept on the message as given' })),
  },
  { additionalProperties: true, description: 'Any other key is a custom parameter, kept and shown as a top-level key' },
)
export type MessageCreate = Static<typeof MessageCreateSchema>

export const MessageUpdateSchema = Type.Object(
  {
    chat_dialog_id: Type.Optional(ObjectIdString),
    read: Type.Optional(Type.Integer({ enum: [0, 1] })),
    delivered: Type.Optional(Type.Integer({ enum: [0, 1] })),
    message: Type.Optional(Type.String({ maxLength: 100_000 })),
  },
  { additionalProperties: false },
)
export type MessageUpdate = Static<typeof MessageUpdateSchema>

export const ReactionsBody = Type.Object(
  { add: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })), remove: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) },
  { additionalProperties: false },
)
export type ReactionsBody = Static<typeof ReactionsBody>

export const ReactionsAnswer = Type.Record(Type.String(), Type.Array(Type.Integer()), { description: 'Reaction → the users who gave it' })

export const UnreadAnswer = Type.Object(
  { total: Type.Integer() },
  { additionalProperties: Type.Integer(), description: 'total, and per dialog id asked for (chat_dialog_ids) its count' },
)
