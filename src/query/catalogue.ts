// Per resource, the fields a list request may filter and sort on: wire name → column, value kind,
// allowed operators. The parameter language knows nothing else about the resources.

export const OPERATORS = ['gt', 'gte', 'lt', 'lte', 'ne', 'in', 'nin', 'all', 'ctn'] as const
export type Operator = (typeof OPERATORS)[number]
/** `eq` is what `field=value` means; it has no bracket form. */
export type Op = Operator | 'eq'

export type FieldKind =
  | 'objectid' // 24 hex chars, compared as text (byte order = time order)
  | 'time' // stored in ms, filtered in unix seconds at second precision
  | 'int'
  | 'int32' // a 32-bit column on PostgreSQL (integer, serial): wider values are refused, on both stores
  | 'string'
  | 'int_array' // JSON array of ints: eq = contains
  | 'object_array' // JSON array of objects, filtered on one key (attachments.type)
  | 'json_key' // one key of a JSON object, given as extensions[key]

/**
 * A key of a json_key field that a filter can name (`extensions[location]`). Writes take only these
 * (services/dialogs.ts castExtensions), so every key stored through the API can be filtered on.
 */
export const JSON_KEY = /^[A-Za-z0-9_]{1,64}$/
export const JSON_KEY_RULE = 'keys are letters, digits and _ (at most 64)'

export interface Field {
  readonly column: string
  readonly kind: FieldKind
  /** For object_array: the key inside each element. */
  readonly key?: string
  /**
   * The column may be NULL. Sorted by it, NULLs come last in both directions: SQLite puts NULLs
   * first ascending and PostgreSQL first descending, and a list must read the same on both.
   */
  readonly nullable?: boolean
}

export interface Catalogue {
  /** Used in messages: "dialogs" or "messages". */
  readonly resource: string
  readonly fields: Readonly<Record<string, Field>>
  /** Fields accepted by sort_asc / sort_desc. */
  readonly sortable: readonly string[]
  readonly defaultSort: { readonly field: string; readonly direction: 'asc' | 'desc' }
}

const SCALAR_OPS: readonly Op[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']
export const OPS_OF_KIND: Record<FieldKind, readonly Op[]> = {
  objectid: SCALAR_OPS,
  time: SCALAR_OPS,
  int: SCALAR_OPS,
  int32: SCALAR_OPS,
  string: [...SCALAR_OPS, 'ctn'],
  int_array: ['eq', 'ne', 'in', 'nin', 'all'],
  object_array: ['eq', 'ne', 'in', 'nin', 'all'],
  json_key: ['eq', 'ne', 'in', 'nin', 'ctn'],
}

/** The Administration API's Dialogs List: its own filters plus those of Retrieve Dialogs. */
export const ADMIN_DIALOGS: Catalogue = {
  resource: 'dialogs',
  fields: {
    _id: { column: 'id', kind: 'objectid' },
    created_at: { column: 'created_at', kind: 'time' },
    updated_at: { column: 'updated_at', kind: 'time' },
    type: { column: 'type', kind: 'int32' },
    name: { column: 'name', kind: 'string' },
    user_id: { column: 'user_id', kind: 'int' },
    last_message_date_sent: { column: 'last_message_date_sent', kind: 'int' },
    occupants_ids: { column: 'occupants_ids', kind: 'int_array' },
    extensions: { column: 'extensions', kind: 'json_key' },
  },
  sortable: ['created_at', 'updated_at', '_id'],
  defaultSort: { field: '_id', direction: 'desc' },
}

/** The Administration API's Messages List: its own filters plus those of Retrieve Messages. */
export const ADMIN_MESSAGES: Catalogue = {
  resource: 'messages',
  fields: {
    _id: { column: 'id', kind: 'objectid' },
    created_at: { column: 'created_at', kind: 'time' },
    updated_at: { column: 'updated_at', kind: 'time' },
    chat_dialog_id: { column: 'chat_dialog_id', kind: 'objectid' },
    sender_id: { column: 'sender_id', kind: 'int' },
    recipient_id: { column: 'recipient_id', kind: 'int' },
    date_sent: { column: 'date_sent', kind: 'int' },
    message: { column: 'message', kind: 'string' },
    'attachments.type': { column: 'attachments', kind: 'object_array', key: 'type' },
  },
  sortable: ['created_at', 'updated_at', '_id'],
  defaultSort: { field: '_id', direction: 'desc' },
}

/** Retrieve Dialogs (chat API): the spec's filter fields; sort by last_message_date_sent or the times. */
export const CHAT_DIALOGS: Catalogue = {
  resource: 'dialogs',
  fields: {
    _id: { column: 'id', kind: 'objectid' },
    type: { column: 'type', kind: 'int32' },
    name: { column: 'name', kind: 'string' },
    // A dialog without messages has none: such dialogs sort after those with messages.
    last_message_date_sent: { column: 'last_message_date_sent', kind: 'int', nullable: true },
    created_at: { column: 'created_at', kind: 'time' },
    updated_at: { column: 'updated_at', kind: 'time' },
    extensions: { column: 'extensions', kind: 'json_key' },
  },
  sortable: ['last_message_date_sent', 'updated_at', 'created_at', '_id'],
  // Latest message first (the spec's one sort field). Not updated_at: a user muting or leaving a
  // dialog moves its updated_at, which must not reorder everyone else's list.
  defaultSort: { field: 'last_message_date_sent', direction: 'desc' },
}

/** Retrieve Messages (chat API), within one dialog: the spec's fields; oldest first by date_sent. */
export const CHAT_MESSAGES: Catalogue = {
  resource: 'messages',
  fields: {
    _id: { column: 'id', kind: 'objectid' },
    message: { column: 'message', kind: 'string' },
    date_sent: { column: 'date_sent', kind: 'int' },
    sender_id: { column: 'sender_id', kind: 'int' },
    recipient_id: { column: 'recipient_id', kind: 'int' },
    'attachments.type': { column: 'attachments', kind: 'object_array', key: 'type' },
    created_at: { column: 'created_at', kind: 'time' },
    updated_at: { column: 'updated_at', kind: 'time' },
  },
  sortable: ['date_sent', 'created_at', 'updated_at', '_id'],
  defaultSort: { field: 'date_sent', direction: 'asc' },
}

/** The users list (Retrieve Users V2's stand-alone fields and times). */
export const USERS: Catalogue = {
  resource: 'users',
  fields: {
    id: { column: 'id', kind: 'int32' },
    login: { column: 'login', kind: 'string' },
    email: { column: 'email', kind: 'string' },
    full_name: { column: 'full_name', kind: 'string' },
    phone: { column: 'phone', kind: 'string' },
    external_id: { column: 'external_id', kind: 'string' },
    facebook_id: { column: 'facebook_id', kind: 'string' },
    twitter_id: { column: 'twitter_id', kind: 'string' },
    created_at: { column: 'created_at', kind: 'time' },
    updated_at: { column: 'updated_at', kind: 'time' },
    last_request_at: { column: 'last_request_at', kind: 'time' },
  },
  sortable: ['id', 'created_at', 'updated_at'],
  defaultSort: { field: 'id', direction: 'asc' },
}
