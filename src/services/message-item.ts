// A message as the Administration API shows it: the Retrieve Messages item plus deleted_for_ids,
// with custom parameters ("mission": "take over the planet") as top-level keys.
import { itemCodec } from './items.ts'

export const messageCodec = itemCodec([
  { name: '_id', codec: 'objectid', required: true },
  { name: 'chat_dialog_id', codec: 'objectid', required: true },
  { name: 'message', codec: 'string' },
  { name: 'date_sent', codec: 'int' },
  { name: 'sender_id', codec: 'int' },
  { name: 'recipient_id', codec: 'int' },
  { name: 'created_at', codec: 'time' },
  { name: 'updated_at', codec: 'time' },
  { name: 'read_ids', codec: 'int_array' },
  { name: 'delivered_ids', codec: 'int_array' },
  { name: 'deleted_for_ids', codec: 'int_array' },
  { name: 'attachments', codec: 'json' },
  { name: 'reactions', codec: 'json' },
  { name: 'views_count', codec: 'int', int32: true },
  { name: 'edited_at', codec: 'json' },
  // Per-user read flag of Retrieve Messages; the admin view has no current user.
  { name: 'read', codec: 'constant', value: 0 },
])
