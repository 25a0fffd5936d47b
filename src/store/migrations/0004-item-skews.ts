// How far apart each item's three ordered values can be (docs/performance.md, "Implied bounds"):
// per table, the least and greatest (created_at − the time in its ObjectId) and (updated_at −
// created_at) over every row ever written. A page that filters one of _id / created_at / updated_at
// and sorts by another walks the sort column's index; these bounds turn the filter into a range of
// that index (created_at <= T implies _id < the ObjectId of T + the greatest skew), so the walk
// starts where matches can be instead of skipping every row before them.
//
// Kept by triggers, like the change log, so that every write path keeps them sound. They only
// widen: a delete leaves them as they were, which is still sound (a bound that is too wide costs
// time, never a row). A widening appends a row rather than updating a shared one, so concurrent
// writers never wait for each other's lock; readers take the min/max. Each appended bound is rounded
// outward to a power of two (ms), so a table gets at most a few dozen rows in its whole life.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

const TABLES = ['messages', 'dialogs'] as const

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  const pg = d.name === 'postgres'
  await db.schema
    .createTable('item_skews')
    .addColumn('tbl', 'text', (c) => c.notNull())
    .addColumn('id_lo', d.types.bigint, (c) => c.notNull())
    .addColumn('id_hi', d.types.bigint, (c) => c.notNull())
    .addColumn('upd_lo', d.types.bigint, (c) => c.notNull())
    .addColumn('upd_hi', d.types.bigint, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('item_skews_tbl').on('item_skews').column('tbl').execute()

  // The ObjectId's time in ms: its first 8 hex digits are seconds. SQLite has no hex→integer
  // function, so the digits are read one by one.
  const idTime = (id: string): string =>
    pg
      ? `(('x' || substr(${id}, 1, 8))::bit(32)::bigint * 1000)`
      : `((${Array.from({ length: 8 }, (_, i) => `(instr('0123456789abcdef', lower(substr(${id}, ${i + 1}, 1))) - 1)`).reduce((acc, digit) => `(${acc} * 16 + ${digit})`)}) * 1000)`
  const idSkew = (row: string) => `(${row}.created_at - ${idTime(`${row}.id`)})`
  const updSkew = (row: string) => `(${row}.updated_at - ${row}.created_at)`
  // Outward to a power of two; min/max with the value itself keeps it sound whatever log2 rounds to.
  const log2 = (x: string) => (pg ? `log(2, (${x})::numeric)` : `log2(${x})`)
  const pow2 = (e: string) => (pg ? `power(2::numeric, ${e})::bigint` : `cast(power(2, ${e}) as integer)`)
  const [least, greatest] = pg ? ['least', 'greatest'] : ['min', 'max']
  const down = (x: string) => `${least}(${x}, case when ${x} > 0 then ${pow2(`floor(${log2(x)})`)} when ${x} < 0 then -${pow2(`ceil(${log2(`-${x}`)})`)} else 0 end)`
  const up = (x: string) => `${greatest}(${x}, case when ${x} > 0 then ${pow2(`ceil(${log2(x)})`)} when ${x} < 0 then -${pow2(`floor(${log2(`-${x}`)})`)} else 0 end)`
  const current = (table: string) =>
    `(select min(id_lo) as id_lo, max(id_hi) as id_hi, min(upd_lo) as upd_lo, max(upd_hi) as upd_hi from item_skews where tbl = ${table})`

  for (const table of TABLES) {
    await sql`insert into item_skews (tbl, id_lo, id_hi, upd_lo, upd_hi)
      select ${table}, ${sql.raw(down('x.id_lo'))}, ${sql.raw(up('x.id_hi'))}, ${sql.raw(down('x.upd_lo'))}, ${sql.raw(up('x.upd_hi'))}
      from (select min(${sql.raw(idSkew(table))}) as id_lo, max(${sql.raw(idSkew(table))}) as id_hi, min(${sql.raw(updSkew(table))}) as upd_lo, max(${sql.raw(updSkew(table))}) as upd_hi
            from ${sql.table(table)}) x
      where x.id_lo is not null`.execute(db)
  }

  if (pg) {
    // Statement triggers: one aggregate over the statement's rows, a row appended only when it widens.
    await sql
      .raw(
        `create function item_skews_widened() returns trigger language plpgsql as $$
begin
  insert into item_skews (tbl, id_lo, id_hi, upd_lo, upd_hi)
    select tg_table_name, ${down('x.id_lo')}, ${up('x.id_hi')}, ${down('x.upd_lo')}, ${up('x.upd_hi')}
    from (select min(${idSkew('n')}) as id_lo, max(${idSkew('n')}) as id_hi, min(${updSkew('n')}) as upd_lo, max(${updSkew('n')}) as upd_hi from written n) x,
         ${current('tg_table_name')} s
    where x.id_lo is not null
      and (s.id_lo is null or x.id_lo < s.id_lo or x.id_hi > s.id_hi or x.upd_lo < s.upd_lo or x.upd_hi > s.upd_hi);
  return null;
end $$`,
      )
      .execute(db)
    for (const table of TABLES) {
      for (const event of ['insert', 'update']) {
        await sql
          .raw(`create trigger ${table}_skews_${event} after ${event} on ${table} referencing new table as written for each statement execute function item_skews_widened()`)
          .execute(db)
      }
    }
    return
  }

  for (const table of TABLES) {
    const name = `'${table}'`
    const within = `exists (select 1 from ${current(name)} s where ${idSkew('new')} between s.id_lo and s.id_hi and ${updSkew('new')} between s.upd_lo and s.upd_hi)`
    const widen = `insert into item_skews (tbl, id_lo, id_hi, upd_lo, upd_hi)
    select ${name}, ${down('x.i')}, ${up('x.i')}, ${down('x.u')}, ${up('x.u')} from (select ${idSkew('new')} as i, ${updSkew('new')} as u) x;`
    await sql.raw(`create trigger ${table}_skews_insert after insert on ${table} when not ${within} begin ${widen} end`).execute(db)
    await sql.raw(`create trigger ${table}_skews_update after update of id, created_at, updated_at on ${table} when not ${within} begin ${widen} end`).execute(db)
  }
}
