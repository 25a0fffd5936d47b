// PostgreSQL's prepared statements (store/prepared.ts, decision 0014): an admin page asked again
// runs a statement prepared on its connection with a generic plan, and answers as before; the kept
// count's reads of a large change log walk its xid index under a generic plan too; a statement left
// stale by another process's migration costs one error, not the connection; and
// PARLEY_PREPARED_STATEMENTS=0 prepares nothing. The names themselves are checked without a server.
import { sql, type CompiledQuery } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { importValues } from '../../src/services/import.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'
import { ALL, deriveQueries } from '../../src/store/counts.ts'
import { postgresDialect } from '../../src/store/dialect.ts'
import { statementNames } from '../../src/store/prepared.ts'
import { startServer } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { createPostgresDatabase } from '../helpers/stores.ts'

describe('statementNames', () => {
  it('names a text on its second sighting, the same name ever after, and at most `limit` texts', () => {
    const nameOf = statementNames(2)
    expect(nameOf('a')).toBeUndefined()
    const a = nameOf('a')
    expect(a).toBeDefined()
    expect(nameOf('a')).toBe(a)
    nameOf('b')
    const b = nameOf('b')
    expect(b).toBeDefined()
    expect(b).not.toBe(a)
    nameOf('c')
    expect(nameOf('c')).toBeUndefined()
  })
})

describe('PARLEY_PREPARED_STATEMENTS', () => {
  it('is on by default, 0 turns it off, and anything else stops the program naming it', () => {
    expect(loadConfig({}).store.preparedStatements).toBe(true)
    expect(loadConfig({ PARLEY_PREPARED_STATEMENTS: '0' }).store.preparedStatements).toBe(false)
    expect(() => loadConfig({ PARLEY_PREPARED_STATEMENTS: 'maybe' })).toThrow(/PARLEY_PREPARED_STATEMENTS/)
  })
})

const pgUrl = process.env.PARLEY_TEST_DATABASE_URL

describe.skipIf(!pgUrl)('prepared statements on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>
  // One connection each, so that pg_prepared_statements (per session) shows what the pages ran.
  const open = (env: Record<string, string>, poolSize = 1): Store => createStore({ ...loadConfig(env).store, databaseUrl: db.url, poolSize })
  const prepared = async (store: Store) =>
    (await sql<{ statement: string; generic_plans: number; custom_plans: number }>`select statement, generic_plans, custom_plans from pg_prepared_statements`.execute(store.db)).rows

  beforeAll(async () => {
    db = await createPostgresDatabase(pgUrl!)
    const store = open({}, 2) // migrate() holds a connection for its lock and runs on another
    await migrate(store)
    const dialog = dialogItem(1_700_000_000)
    await importValues(store, 'dialogs', [dialog])
    await importValues(store, 'messages', Array.from({ length: 250 }, (_, i) => messageItem(String(dialog._id), 1_700_000_000 + i)))
    await store.close()
  })
  afterAll(async () => {
    await db?.drop()
  })

  async function pages(env: Record<string, string>): Promise<{ answers: unknown[]; statements: Awaited<ReturnType<typeof prepared>> }> {
    const store = open(env)
    const server = await startServer(store)
    try {
      const answers = []
      let cursor = ''
      for (let i = 0; i < 3; i++) {
        for (let again = 0; again < 4; again++) {
          const page = await server.get(`/admin/chat/messages/list?limit=100&updated_at[gt]=1700000010${cursor}`)
          expect(page.status).toBe(200)
          answers.push(page.json)
        }
        const items = (answers.at(-1) as { items: Array<{ _id: string }> }).items
        cursor = items.length ? `&_id[lt]=${items.at(-1)!._id}` : cursor
      }
      return { answers, statements: await prepared(store) }
    } finally {
      await server.close()
      await store.close()
    }
  }

  it('runs a repeated admin page as a statement prepared on its connection, with the same answers as without', async () => {
    const on = await pages({})
    const pageStatements = on.statements.filter((s) => s.statement.includes('"messages"'))
    // Named from its second sighting: the other two of each cursor's four run the prepared statement,
    // planned once, without its values.
    expect(pageStatements.some((s) => s.generic_plans >= 3)).toBe(true)
    expect(on.statements.every((s) => s.custom_plans === 0)).toBe(true)

    const off = await pages({ PARLEY_PREPARED_STATEMENTS: '0' })
    expect(off.statements).toEqual([])
    expect(on.answers).toEqual(off.answers)
    const totals = (on.answers as Array<{ total_entries: number; items: unknown[] }>).map((a) => [a.total_entries, a.items.length])
    expect(totals).toEqual([...Array(4).fill([239, 100]), ...Array(4).fill([139, 100]), ...Array(4).fill([39, 39])])
  })

  it('closes a connection whose prepared statement a migration made stale, and the next query runs', async () => {
    const store = open({})
    try {
      const read = () => store.db.selectFrom('dialogs').selectAll().where('id', '<>', '').execute()
      await read()
      await read()
      expect((await prepared(store)).some((s) => s.statement.includes('select * from "dialogs"'))).toBe(true)
      const other = open({ PARLEY_PREPARED_STATEMENTS: '0' })
      await sql`alter table dialogs add column later_column integer`.execute(other.db)
      await other.close()
      await expect(read()).rejects.toThrow(/cached plan must not change result type/)
      const rows = await read()
      expect(rows).toHaveLength(1)
      expect(rows[0]).toHaveProperty('later_column', null)
    } finally {
      await store.close()
    }
  })

  it('reads a large change log through its xid index under a generic plan, as right after an import', async () => {
    const store = open({ PARLEY_PREPARED_STATEMENTS: '0' })
    try {
      // A freshly imported table's log: a row per item, until pruning starts minutes later.
      await sql`insert into message_changes (id, existed) select 'log-' || g, 0 from generate_series(1, 200000) as g`.execute(store.db)
      await sql`analyze message_changes`.execute(store.db)
      const { rows } = await sql<{ position: string }>`select pg_current_snapshot()::text as position`.execute(store.db)
      const range = { lower: null, upper: { value: 'f'.repeat(24), inclusive: false } }
      const queries = deriveQueries(postgresDialect, { table: 'messages', column: 'id', rest: [], range }, { range: ALL, count: 10, position: rows[0]!.position }, 100)
      for (const query of [queries.delta.direct(), queries.correction]) {
        const plan = await genericPlan(store, query.compile(store.db))
        expect(plan).toContain('message_changes_xid')
        expect(plan).not.toContain('Seq Scan on message_changes')
      }
    } finally {
      await sql`delete from message_changes where id like 'log-%'`.execute(store.db)
      await store.close()
    }
  })
})

/** EXPLAIN of the plan PostgreSQL makes for `query` without its values (plan_cache_mode = force_generic_plan), on one connection. */
async function genericPlan(store: Store, query: CompiledQuery): Promise<string> {
  return store.db.connection().execute(async (db) => {
    await sql`set plan_cache_mode = force_generic_plan`.execute(db)
    await sql.raw(`prepare plan_check as ${query.sql}`).execute(db)
    try {
      const values = query.parameters.map((v) => `'${String(v).replaceAll("'", "''")}'`).join(', ')
      const { rows } = await sql.raw<{ 'QUERY PLAN': string }>(`explain execute plan_check(${values})`).execute(db)
      return rows.map((r) => r['QUERY PLAN']).join('\n')
    } finally {
      await sql`deallocate plan_check`.execute(db)
      await sql`reset plan_cache_mode`.execute(db)
    }
  })
}
