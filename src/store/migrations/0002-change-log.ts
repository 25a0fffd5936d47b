// Change logs for exact, cheap counts (docs/performance.md). For every row of `messages` and
// `dialogs` that is inserted, deleted, or updated in a column a list filter can read, a trigger
// appends one row to `message_changes` / `dialog_changes`: the row's id, whether it existed before
// (0 for an insert), and its pre-image in those columns — the same names and types as the base table,
// so that the WHERE compiled for a list applies to the log unchanged. Triggers, not application code,
// so that every write path (import, Dialog Update, the chat API to come, psql) is covered: row
// triggers on SQLite, statement triggers with transition tables on PostgreSQL (same log rows, one
// INSERT … SELECT per statement rather than a plpgsql call per row).
//
// `change_log_cut` records, per table, up to where the log has been pruned: a count kept from before
// that point cannot be brought up to date and is never used (store/counts.ts).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

/**
 * The columns whose pre-images are logged: every column of src/query/catalogue.ts except id.
 * Fixed here (a migration never changes); test/store/change-log.test.ts checks that they still cover
 * the catalogues, so a new filterable field forces a new migration.
 */
export const LOGGED = {
  messages: {
    log: 'message_changes',
    columns: ['chat_dialog_id', 'created_at', 'updated_at', 'sender_id', 'recipient_id', 'date_sent', 'message', 'attachments'],
  },
  dialogs: {
    log: 'dialog_changes',
    columns: ['type', 'name', 'user_id', 'last_message_date_sent', 'occupants_ids', 'extensions', 'created_at', 'updated_at'],
  },
} as const

type Table = keyof typeof LOGGED

/** The base table's column types, as 0001-init declared them. */
function typeOf(d: Dialect, column: string) {
  const t = d.types
  switch (column) {
    case 'chat_dialog_id':
      return t.id
    case 'created_at':
    case 'updated_at':
    case 'sender_id':
    case 'recipient_id':
    case 'date_sent':
    case 'user_id':
    case 'last_message_date_sent':
      return t.bigint
    case 'type':
      return 'integer' as const
    case 'message':
    case 'name':
      return 'text' as const
    default:
      return t.json // attachments, occupants_ids, extensions
  }
}

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  const pg = d.name === 'postgres'

  await db.schema
    .createTable('change_log_cut')
    .addColumn('tbl', 'text', (c) => c.primaryKey())
    // SQLite: the last pruned seq. PostgreSQL: every change with xid < cut has been pruned.
    .addColumn('cut', pg ? sql`xid8` : 'integer', (c) => c.notNull())
    .execute()
  await sql`insert into change_log_cut (tbl, cut) values ('messages', ${sql.raw(pg ? `'0'::xid8` : '0')}), ('dialogs', ${sql.raw(pg ? `'0'::xid8` : '0')})`.execute(db)

  for (const table of Object.keys(LOGGED) as Table[]) {
    const { log, columns } = LOGGED[table]
    let create = db.schema
      .createTable(log)
      // AUTOINCREMENT: SQLite never reuses a seq, even once the newest rows were pruned.
      .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', d.types.id, (c) => c.notNull())
      .addColumn('existed', 'integer', (c) => c.notNull())
    for (const column of columns) create = create.addColumn(column, typeOf(d, column))
    create = create.addColumn('at', d.types.bigint, (c) =>
      c.notNull().defaultTo(pg ? sql`(extract(epoch from now()) * 1000)::bigint` : sql`(cast(unixepoch('subsec') * 1000 as integer))`),
    )
    if (pg) create = create.addColumn('xid', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
    await create.execute()
    if (pg) await db.schema.createIndex(`${log}_xid`).on(log).column('xid').execute()

    const cols = columns.join(', ')
    const old = columns.map((c) => `old.${c}`).join(', ')
    // An update is logged only when the id or a logged column changes (NULL-safe comparisons):
    // changes to read_ids and the like cannot move a row in or out of any list filter.
    const changed = ['id', ...columns].map((c) => `old.${c} is not new.${c}`).join(' or ')

    if (pg) {
      // Statement triggers with transition tables: one INSERT … SELECT per statement instead of a
      // function call per row (an import upserts 1000 rows a statement). The log rows are the same
      // as row triggers would write; an upsert fires the insert and the update trigger, each with
      // its own rows. The update trigger pairs old and new rows by id: an old row without a new one
      // of the same id lost its id (logged as existing before), a new row without an old one gained
      // it (logged as an insert).
      const fn = async (name: string, body: string) =>
        sql.raw(`create function ${name}() returns trigger language plpgsql as $$
begin
${body}
  return null;
end $$`).execute(db)
      await fn(`${log}_inserted`, `  insert into ${log} (id, existed) select id, 0 from added;`)
      await fn(
        `${log}_updated`,
        `  insert into ${log} (id, existed, ${cols})
    select o.id, 1, ${columns.map((c) => `o.${c}`).join(', ')} from old_rows o left join new_rows n on n.id = o.id
    where n.id is null or (${columns.map((c) => `o.${c}`).join(', ')}) is distinct from (${columns.map((c) => `n.${c}`).join(', ')})
    order by o.id;
  insert into ${log} (id, existed)
    select n.id, 0 from new_rows n where not exists (select 1 from old_rows o where o.id = n.id) order by n.id;`,
      )
      await fn(`${log}_deleted`, `  insert into ${log} (id, existed, ${cols}) select id, 1, ${cols} from removed order by id;`)
      await sql.raw(`create trigger ${table}_log_insert after insert on ${table} referencing new table as added for each statement execute function ${log}_inserted()`).execute(db)
      await sql
        .raw(`create trigger ${table}_log_update after update on ${table} referencing old table as old_rows new table as new_rows for each statement execute function ${log}_updated()`)
        .execute(db)
      await sql.raw(`create trigger ${table}_log_delete after delete on ${table} referencing old table as removed for each statement execute function ${log}_deleted()`).execute(db)
    } else {
      await sql.raw(`create trigger ${table}_log_insert after insert on ${table} begin insert into ${log} (id, existed) values (new.id, 0); end`).execute(db)
      await sql
        .raw(
          `create trigger ${table}_log_update after update on ${table} when ${changed} begin
  insert into ${log} (id, existed, ${cols}) values (old.id, 1, ${old});
  insert into ${log} (id, existed) select new.id, 0 where new.id is not old.id;
end`,
        )
        .execute(db)
      await sql.raw(`create trigger ${table}_log_delete after delete on ${table} begin insert into ${log} (id, existed, ${cols}) values (old.id, 1, ${old}); end`).execute(db)
    }
  }

  if (pg) {
    // TRUNCATE fires no row triggers. It moves the cut past its own transaction instead, so that no
    // count kept from before it is ever used again (SQLite has no TRUNCATE: DELETE fires per row).
    await sql
      .raw(
        `create function change_log_truncated() returns trigger language plpgsql as $$
begin
  update change_log_cut set cut = greatest(cut, ((pg_current_xact_id()::text)::bigint + 1)::text::xid8) where tbl = tg_table_name;
  return null;
end $$`,
      )
      .execute(db)
    for (const table of Object.keys(LOGGED)) {
      await sql.raw(`create trigger ${table}_log_truncate after truncate on ${table} for each statement execute function change_log_truncated()`).execute(db)
    }
  }
}
