// SQLite: the change-log and skews triggers of `messages` and `dialogs` become each connection's
// own (TEMP triggers on the main tables), so that an import's large batch can write with none at
// all. SQLite calls a row trigger for every row even when its WHEN is false: ~0.7 µs a row, as much
// as five triggers, ~7 s of a 10M-message import (docs/performance.md §6m, §6r). A temp trigger
// lives in its connection's temp schema: dropping it there, inside the batch's transaction, is seen
// by no other connection and makes no other connection compile its statements again (dropping the
// schema's own triggers did, §6j). Decision 0018.
//
// The triggers' text moves into `row_triggers`, exactly as 0002/0004 wrote it less 0006's guard and
// with TEMP; every writing connection creates them when it opens (store/row-triggers.ts), and
// `bulk_loading` goes: nothing reads it any more. PostgreSQL's statement triggers stay as they are.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

/** The triggers 0002 and 0004 created (an operator's own triggers stay where they are). */
const MOVED = ['messages', 'dialogs'].flatMap((table) => ['log_delete', 'log_insert', 'log_update', 'skews_insert', 'skews_update'].map((t) => [`${table}_${t}`, table] as const))

/** 0006's `guarded()` undone: the trigger as 0002/0004 created it. */
export function unguarded(trigger: string, table: string): string {
  const guard = ` when not exists (select 1 from bulk_loading where tbl = '${table}')`
  const at = trigger.indexOf(guard)
  if (at < 0) return trigger
  const begin = trigger.search(/\sbegin\s/i)
  const rest = trigger.slice(at + guard.length, begin)
  if (rest === '') return trigger.slice(0, at) + trigger.slice(begin)
  if (!rest.startsWith(' and (') || !rest.endsWith(')')) throw new Error(`a guard this migration did not expect: ${trigger}`)
  return `${trigger.slice(0, at)} when ${rest.slice(' and ('.length, -1)}${trigger.slice(begin)}`
}

/** `create trigger name …` → `create temp trigger if not exists name …`: a connection may be asked twice (store/row-triggers.ts). */
export function temporary(trigger: string): string {
  const head = /^\s*create\s+trigger\s/i.exec(trigger)
  if (!head) throw new Error(`not a CREATE TRIGGER: ${trigger}`)
  return `create temp trigger if not exists ${trigger.slice(head[0].length)}`
}

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  if (!d.importSkipsRowTriggers) return
  await sql`create table row_triggers (name text primary key, tbl text not null, sql text not null)`.execute(db)
  for (const [name, table] of MOVED) {
    const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'trigger' and name = ${name}`.execute(db)
    if (rows.length !== 1) throw new Error(`migration 0007: trigger ${name} not found`)
    await sql`insert into row_triggers (name, tbl, sql) values (${name}, ${table}, ${temporary(unguarded(rows[0]!.sql, table))})`.execute(db)
    await sql`drop trigger ${sql.ref(name)}`.execute(db)
  }
  await sql`drop table bulk_loading`.execute(db)
}
