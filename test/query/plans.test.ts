// Every documented filter × sort shape of the admin lists is served by walking an index in order:
// no table scan and no sort of the matches. On SQLite the planner's own choice is checked; on
// PostgreSQL (whose choice depends on statistics) that an index able to serve the shape exists.
// Likewise for the kept counts' delta statement (store/counts.ts): every read of the listed table
// is an id-range walk or an id lookup, never a scan of what the filters match.
import qs from 'qs'
import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyPage } from '../../src/query/apply.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES, type Catalogue } from '../../src/query/catalogue.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { planList } from '../../src/query/plan.ts'
import { deriveQueries, splitConditions } from '../../src/store/counts.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const ID = '655417e50000000040000182'
const FILTERS = ['updated_at[gt]=1687886581', 'created_at[lte]=1687886581', `_id[lt]=${ID}`]

function subsets<T>(list: T[]): T[][] {
  return list.reduce<T[][]>((all, x) => [...all, ...all.map((s) => [...s, x])], [[]])
}

/** The filters of the count shapes: every subset, each counted with `_id[lt]` from a kept `_id[lt]`. */
function countShapes(catalogue: Catalogue): string[] {
  const filters = catalogue === ADMIN_MESSAGES ? [...FILTERS.slice(0, 2), `chat_dialog_id=${ID}`] : [...FILTERS.slice(0, 2), 'type=2']
  return subsets(filters).map((set) => set.join('&'))
}

function shapes(catalogue: Catalogue): string[] {
  const filters = catalogue === ADMIN_MESSAGES ? [...FILTERS, `chat_dialog_id=${ID}`] : FILTERS
  const out: string[] = []
  for (const set of subsets(filters)) {
    for (const field of catalogue.sortable) {
      for (const dir of ['sort_asc', 'sort_desc']) out.push([...set, `${dir}=${field}`].join('&'))
    }
  }
  return out
}

for (const kind of STORES) {
  describe(`query plans (${kind.name})`, () => {
    let db: TestStore
    beforeAll(async () => {
      db = await kind.open()
    })
    afterAll(() => db.drop())

    for (const [table, catalogue] of [['dialogs', ADMIN_DIALOGS], ['messages', ADMIN_MESSAGES]] as const) {
      it(`${table}: ${shapes(catalogue).length} shapes walk an index in order`, async () => {
        const { store } = db
        const bad: string[] = []
        await store.db.connection().execute(async (conn) => {
          if (kind.name === 'postgres') {
            await sql`set enable_seqscan = off`.execute(conn)
            await sql`set enable_sort = off`.execute(conn)
          }
          for (const shape of shapes(catalogue)) {
            const plan = planList(parseListQuery(qs.parse(shape), catalogue), catalogue)
            const q = applyPage(conn.selectFrom(table).selectAll(), plan, store.dialect).compile()
            const prefix = kind.name === 'sqlite' ? 'explain query plan ' : 'explain '
            const { rows } = await conn.executeQuery<Record<string, string>>(CompiledQuery.raw(prefix + q.sql, [...q.parameters]))
            const lines = rows.map((r) => r.detail ?? r['QUERY PLAN'] ?? '')
            const ok =
              kind.name === 'sqlite'
                ? lines.every((l) => !/TEMP B-TREE/.test(l) && (!/^(SCAN|SEARCH)/.test(l) || /USING (COVERING )?INDEX/.test(l)))
                : // …and an _id range is checked on the walked index's entries, not after fetching each row.
                  lines.every((l) => !/Seq Scan|\bSort\b/.test(l) && !/Filter: .*COALESCE\(id, id\)/.test(l))
            if (!ok) bad.push(`${shape}: ${lines.join(' | ')}`)
          }
        })
        expect(bad).toEqual([])
      })

      it(`${table}: ${countShapes(catalogue).length} delta counts walk the id range or look up ids`, async () => {
        const { store } = db
        const bad: string[] = []
        await store.db.connection().execute(async (conn) => {
          if (kind.name === 'postgres') await sql`set enable_seqscan = off`.execute(conn)
          for (const shape of countShapes(catalogue)) {
            const request = splitConditions(planList(parseListQuery(qs.parse(`${shape}&_id[lt]=${ID}`), catalogue), catalogue).conditions)
            const kept = splitConditions(planList(parseListQuery(qs.parse(`${shape}&_id[lt]=${'f'.repeat(24)}`), catalogue), catalogue).conditions)
            const position = kind.name === 'postgres' ? '100:100:' : '1'
            const queries = deriveQueries(store.dialect, { table, ...request }, { range: kept.range, count: 10_000, position }, 8192)
            const prefix = kind.name === 'sqlite' ? 'explain query plan ' : 'explain '
            const lines: string[] = []
            for (const query of [queries.delta.direct(), queries.correction]) {
              const q = query.compile(conn)
              const { rows } = await conn.executeQuery<Record<string, string>>(CompiledQuery.raw(prefix + q.sql, [...q.parameters]))
              lines.push(...rows.map((r) => r.detail ?? r['QUERY PLAN'] ?? ''))
            }
            const ok =
              kind.name === 'sqlite'
                ? lines.every((l) => !new RegExp(`^SCAN ${table}\\b`).test(l) && (!new RegExp(`^SEARCH ${table}\\b`).test(l) || /\bid[<>=]/.test(l)))
                : lines.every((l) => !new RegExp(`Seq Scan on ${table}\\b`).test(l))
            if (!ok) bad.push(`${shape}: ${lines.join(' | ')}`)
          }
        })
        expect(bad).toEqual([])
      })
    }
  })
}
