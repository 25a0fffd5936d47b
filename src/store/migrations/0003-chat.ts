// The chat API's own tables: users, their sessions, app settings (the auth key), per-user dialog
// state (membership and unread counters), the pair index that keeps a private dialog unique, and
// reactions. dialogs and messages are not changed: the chat API writes the same columns the admin
// items show, through plain SQL, so the change-log triggers of 0002 keep the kept counts exact.
import type { Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  const t = d.types
  await db.schema
    .createTable('users')
    .addColumn('id', t.autoId, (c) => c.primaryKey())
    .addColumn('login', 'text', (c) => c.unique())
    // Stored lower-case: an address is one account however it is typed.
    .addColumn('email', 'text', (c) => c.unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('full_name', 'text')
    .addColumn('phone', 'text')
    .addColumn('website', 'text')
    .addColumn('custom_data', 'text')
    .addColumn('external_user_id', t.bigint)
    .addColumn('external_id', 'text')
    .addColumn('facebook_id', 'text')
    .addColumn('twitter_id', 'text')
    .addColumn('blob_id', t.bigint)
    .addColumn('avatar', 'text')
    .addColumn('user_tags', 'text')
    .addColumn('timezone', 'integer')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addColumn('last_request_at', t.bigint)
    .execute()

  // Only a SHA-256 of each token: tokens are 160 random bits, so a fast hash is enough and is indexable.
  await db.schema
    .createTable('sessions')
    .addColumn('id', t.autoId, (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', t.bigint, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id']).execute()

  await db.schema
    .createTable('app_settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute()

  // One row per (dialog, member): occupants of group and private dialogs, subscribers of public ones.
  // unread_count is kept by the writes (one UPDATE of the other members per message sent; a decrement
  // per message read), so nothing ever counts a dialog's history to answer it.
  await db.schema
    .createTable('dialog_users')
    .addColumn('dialog_id', t.id, (c) => c.notNull())
    .addColumn('user_id', t.bigint, (c) => c.notNull())
    .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('joined_at', t.bigint, (c) => c.notNull())
    // When the member last marked the whole dialog read (delivered): everything created before it
    // is marked, so the next "mark all" walks only the messages created since.
    .addColumn('read_all_at', t.bigint)
    .addColumn('delivered_all_at', t.bigint)
    .addPrimaryKeyConstraint('dialog_users_pk', ['dialog_id', 'user_id'])
    .execute()
  await db.schema.createIndex('dialog_users_user').on('dialog_users').columns(['user_id', 'dialog_id']).execute()

  // A private dialog per pair of users (low < high): the primary key makes concurrent first
  // messages between the same two users end in one dialog.
  await db.schema
    .createTable('private_pairs')
    .addColumn('low_id', t.bigint, (c) => c.notNull())
    .addColumn('high_id', t.bigint, (c) => c.notNull())
    .addColumn('dialog_id', t.id, (c) => c.notNull())
    .addPrimaryKeyConstraint('private_pairs_pk', ['low_id', 'high_id'])
    .execute()
}
