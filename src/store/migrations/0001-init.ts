// The initial schema: dialogs, messages, admin keys, and their indexes (store/indexes.ts).
import type { Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'
import { ensureIndexes } from '../indexes.ts'

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

  await ensureIndexes(db)
}
