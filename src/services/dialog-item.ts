// A dialog as the Administration API shows it: the Retrieve Dialogs item plus silent_ids and
// deleted_ids. Key order follows the spec's example.
import { itemCodec } from './items.ts'

export const dialogCodec = itemCodec([
  { name: '_id', codec: 'objectid', required: true },
  { name: 'user_id', codec: 'int' },
  { name: 'created_at', codec: 'time' },
  { name: 'updated_at', codec: 'time' },
  { name: 'type', codec: 'int', required: true, oneOf: [1, 2, 3, 4] },
  { name: 'occupants_ids', codec: 'int_array' },
  { name: 'last_message', codec: 'string' },
  { name: 'last_message_date_sent', codec: 'int' },
  { name: 'last_message_id', codec: 'objectid' },
  { name: 'last_message_user_id', codec: 'int' },
  { name: 'last_message_status', codec: 'string' },
  { name: 'name', codec: 'string' },
  { name: 'description', codec: 'string' },
  { name: 'photo', codec: 'string' },
  { name: 'occupants_count', codec: 'int', int32: true },
  { name: 'xmpp_room_jid', codec: 'string' },
  { name: 'is_e2ee', codec: 'bool' },
  { name: 'admins_ids', codec: 'int_array' },
  // Per-user values of Retrieve Dialogs; no one user is asking in the admin view.
  { name: 'is_muted', codec: 'constant', value: null },
  { name: 'unread_messages_count', codec: 'constant', value: null },
  { name: 'pinned_messages_ids', codec: 'json' },
  { name: 'extensions', codec: 'json' },
  { name: 'permissions', codec: 'json' },
  { name: 'deleted_ids', codec: 'int_array' },
  { name: 'silent_ids', codec: 'int_array' },
])
