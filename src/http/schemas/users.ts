// Users and sessions on the wire: the user item, the session envelope, sign-up and session bodies.
import { Type, type Static } from 'typebox'
import { SafeInteger, Time, integerOrNull, nullable, stringOrNull } from './common.ts'

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    full_name: nullable('string'),
    email: nullable('string'),
    login: nullable('string'),
    phone: nullable('string'),
    website: nullable('string'),
    created_at: Time,
    updated_at: Time,
    last_request_at: nullable('string'),
    external_user_id: nullable('integer'),
    external_id: nullable('string'),
    facebook_id: nullable('string'),
    twitter_id: nullable('string'),
    blob_id: nullable('integer'),
    custom_data: nullable('string'),
    avatar: nullable('string'),
    user_tags: nullable('string'),
    timezone: nullable('integer'),
  },
  { $id: 'User' },
)

export const SessionSchema = Type.Object(
  {
    session: Type.Object({
      id: Type.Integer(),
      user_id: Type.Integer(),
      application_id: Type.Integer(),
      token: Type.Optional(Type.String({ description: 'Shown only when the session is created; send it as CB-Token' })),
      ts: Type.Integer(),
      created_at: Time,
      updated_at: Time,
      user: UserSchema,
    }),
  },
  { $id: 'Session' },
)

const text = (maxLength: number) => Type.String({ maxLength })

export const SignUpBody = Type.Object(
  {
    auth_key: Type.Optional(Type.String({ description: 'Instead of the CB-AuthKey header' })),
    user: Type.Object(
      {
        login: Type.Optional(text(50)),
        email: Type.Optional(text(255)),
        password: Type.Optional(text(200)),
        full_name: Type.Optional(text(200)),
        phone: Type.Optional(text(50)),
        website: Type.Optional(text(500)),
        custom_data: Type.Optional(text(10000)),
        external_user_id: Type.Optional(SafeInteger()),
        external_id: Type.Optional(text(200)),
        facebook_id: Type.Optional(text(200)),
        twitter_id: Type.Optional(text(200)),
        blob_id: Type.Optional(SafeInteger()),
        avatar: Type.Optional(text(2000)),
        tag_list: Type.Optional(text(1000)),
        timezone: Type.Optional(Type.Integer({ minimum: -720, maximum: 840 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type SignUpBody = Static<typeof SignUpBody>

/** Update User: sign-up's fields, each also null to clear it (JSON), and the current password to change it. */
export const UpdateUserBody = Type.Object(
  {
    user: Type.Object(
      {
        login: Type.Optional(stringOrNull(50)),
        email: Type.Optional(stringOrNull(255)),
        password: Type.Optional(text(200)),
        old_password: Type.Optional(Type.String({ maxLength: 200, description: 'The current password; required with password' })),
        full_name: Type.Optional(stringOrNull(200)),
        phone: Type.Optional(stringOrNull(50)),
        website: Type.Optional(stringOrNull(500)),
        custom_data: Type.Optional(stringOrNull(10000)),
        external_user_id: Type.Optional(integerOrNull()),
        external_id: Type.Optional(stringOrNull(200)),
        facebook_id: Type.Optional(stringOrNull(200)),
        twitter_id: Type.Optional(stringOrNull(200)),
        blob_id: Type.Optional(integerOrNull()),
        avatar: Type.Optional(stringOrNull(2000)),
        tag_list: Type.Optional(stringOrNull(1000)),
        timezone: Type.Optional(integerOrNull(-720, 840)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type UpdateUserBody = Static<typeof UpdateUserBody>

export const SessionBody = Type.Object(
  {
    application_id: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
    auth_key: Type.Optional(Type.String({ description: 'The application auth key (or the CB-AuthKey header)' })),
    timestamp: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
    nonce: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
    signature: Type.Optional(Type.String()),
    user: Type.Object(
      { login: Type.Optional(text(50)), email: Type.Optional(text(255)), password: Type.Optional(text(200)) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type SessionBody = Static<typeof SessionBody>
