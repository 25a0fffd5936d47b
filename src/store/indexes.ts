// The secondary indexes of the two listed tables: one for every documented admin filter + sort
// shape, each ending in `id` so that ties break by `_id` inside the index. Declared once: migration
// 0001 creates them, a bulk import into an empty table drops them and builds them at the end
// (store/bulk-load.ts), and ensureIndexes puts back any that an interrupted import left missing.
import type { Kysely } from 'kysely'

export const INDEXES: ReadonlyArray<readonly [name: string, table: 'dialogs' | 'messages', columns: readonly string[]]> = [
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

/** Creates the indexes of `table` (or of both) that do not exist. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function ensureIndexes(db: Kysely<any>, table?: 'dialogs' | 'messages'): Promise<void> {
  for (const [name, t, columns] of INDEXES) {
    if (table === undefined || t === table) await db.schema.createIndex(name).ifNotExists().on(t).columns([...columns]).execute()
  }
}
