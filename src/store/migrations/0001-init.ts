// The initial schema: dialogs, messages, admin keys, and an index for every documented admin
// filter + sort shape, each ending in `id` so that ties break by `_id` inside the index.
import type { Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  const t = d.types
  await db.schema
    .createTable('dialogs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.bigint)
    .addColumn('type', 'integer', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('photo', 'text')
    .addColumn('occupants_ids', t.json)
    .addColumn('occupants_count', 'integer')
    .addColumn('admins_ids', t.json)
    .addColumn('pinned_messages_ids', t.json)
    .addColumn('silent_ids', t.json)
    .addColumn('deleted_ids', t.json)
    .addColumn('xmpp_room_jid', 'text')
    .addColumn('is_e2ee', 'integer')
    .addColumn('last_message', 'text')
    .addColumn('last_message_id', t.id)
    .addColumn('last_message_user_id', t.bigint)
    .addColumn('last_message_date_sent', t.bigint)
    .addColumn('last_message_status', 'text')
    .addColumn('extensions', t.json)
    .addColumn('permissions', t.json)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addColumn('extra', t.json)
    .addColumn('absent', t.json)
    .execute()

  await db.schema
    .createTable('messages')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('chat_dialog_id', t.id, (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('date_sent', t.bigint)
    .addColumn('sender_id', t.bigint)
    .addColumn('recipient_id', t.bigint)
    .addColumn('read_ids', t.json)
    .addColumn('delivered_ids', t.json)
    .addColumn('deleted_for_ids', t.json)
    .addColumn('attachments', t.json)
    .addColumn('reactions', t.json)
    .addColumn('views_count', 'integer')
    .addColumn('edited_at', t.json)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addColumn('extra', t.json)
    .addColumn('absent', t.json)
    .execute()

  await db.schema
    .createTable('admin_keys')
    .addColumn('id', t.autoId, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('last_used_at', t.bigint)
    .addColumn('revoked_at', t.bigint)
    .execute()

  const indexes: Array<[string, string, string[]]> = [
    ['dialogs_created_at', 'dialogs', ['created_at', 'id']],
    ['dialogs_updated_at', 'dialogs', ['updated_at', 'id']],
    ['dialogs_type', 'dialogs', ['type', 'id']],
    ['dialogs_user_id', 'dialogs', ['user_id', 'id']],
    ['dialogs_last_message_date_sent', 'dialogs', ['last_message_date_sent', 'id']],
    ['messages_created_at', 'messages', ['created_at', 'id']],
    ['messages_updated_at', 'messages', ['updated_at', 'id']],
    ['messages_dialog', 'messages', ['chat_dialog_id', 'id']],
    ['messages_dialog_created_at', 'messages', ['chat_dialog_id', 'created_at', 'id']],
    ['messages_dialog_updated_at', 'messages', ['chat_dialog_id', 'updated_at', 'id']],
    ['messages_dialog_date_sent', 'messages', ['chat_dialog_id', 'date_sent', 'id']],
    ['messages_sender', 'messages', ['sender_id', 'id']],
  ]
  for (const [name, table, columns] of indexes) {
    await db.schema.createIndex(name).on(table).columns(columns).execute()
  }
}
