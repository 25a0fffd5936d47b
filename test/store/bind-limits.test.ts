// The cap on the values of a request's filters (query/plan.ts MAX_VALUES) keeps every statement a
// list reads under its store's limit of bound parameters: built here at the cap from the costliest
// values — the page, a count from scratch, a derived count's delta and correction, and on PostgreSQL
// the page with three derived terms in one statement (store/items.ts togetherStatement).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES, type Catalogue } from '../../src/query/catalogue.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { MAX_VALUES, planList, type Condition } from '../../src/query/plan.ts'
import { dialogCodec } from '../../src/services/dialog-item.ts'
import { messageCodec } from '../../src/services/message-item.ts'
import { compiledShape } from '../../src/store/compiled.ts'
import { countAllQuery, deriveQueries, splitConditions, type CountTable } from '../../src/store/counts.ts'
import { pageStatement, togetherStatement } from '../../src/store/items.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

/** Bound parameters one statement may hold: SQLite's SQLITE_MAX_VARIABLE_NUMBER, PostgreSQL's protocol limit. */
const LIMIT = { sqlite: 32766, postgres: 65535 }
const CURSOR = { _id: { lt: '64bb56980000000000000ccc' }, updated_at: { gt: '1687886581' } }
const values = (n: number, at: (i: number) => string) => Array.from({ length: n }, (_, i) => at(i))

interface Case {
  name: string
  table: CountTable
  catalogue: Catalogue
  /** The parameters of a request holding `n` values in all, two of them the cursor's ranges. */
  params(n: number): Record<string, unknown>
}

const CASES: Case[] = [
  {
    // Per value: the key read twice (a negated test), each read binding it (SQLite: its JSON path, twice).
    name: 'extension keys, each negated',
    table: 'dialogs',
    catalogue: ADMIN_DIALOGS,
    params: (n) => ({ extensions: Object.fromEntries(values(n - 2, (k) => `k${k}`).map((k) => [k, { ne: 'v' }])), ...CURSOR }),
  },
  {
    // Per value: a time's two bounds, or an attachment type with (SQLite) its JSON path.
    name: 'times and attachment types',
    table: 'messages',
    catalogue: ADMIN_MESSAGES,
    params: (n) => ({
      created_at: { nin: values(1000, (i) => String(1687886000 + i)) },
      'attachments.type': { nin: values(1000, (i) => `t${i}`) },
      date_sent: { nin: values(n - 2002, (i) => String(i)) },
      ...CURSOR,
    }),
  },
]

for (const kind of STORES) {
  describe(`statements at the cap on filter values (${kind.label})`, () => {
    let t: TestStore
    beforeAll(async () => {
      t = await kind.open()
    })
    afterAll(() => t.drop())

    const planOf = (c: Case, n: number) => planList(parseListQuery(c.params(n), c.catalogue), c.catalogue)
    const position = (n: number) => (kind.name === 'postgres' ? `${100 + n}:${100 + n}:` : String(n))

    for (const c of CASES) {
      it(`${c.name}: every statement at ${MAX_VALUES} values binds at most ${LIMIT[kind.name]}`, () => {
        expect(() => planOf(c, MAX_VALUES + 1)).toThrow(AppError)
        const plan = planOf(c, MAX_VALUES)
        const { store } = t
        const d = store.dialect
        const text = (c.table === 'dialogs' ? dialogCodec : messageCodec).itemText
        const sizes: Record<string, number> = { page: pageStatement(store, c.table, plan, text).parameters.length }

        // A total over the cursor's two ranges, split as query/implied.ts countTerms splits it.
        const [a, b] = plan.conditions.filter((x) => x.test === 'cmp')
        const rest = plan.conditions.filter((x) => x !== a && x !== b)
        const terms: Condition[][] = [[...rest, a!], [...rest, b!], rest]
        const deltas = terms.map((conditions, i) => {
          const request = splitConditions(conditions, ['id', 'created_at', 'updated_at'])
          const queries = deriveQueries(d, { table: c.table, ...request }, { range: { lower: null, upper: request.range.upper }, count: 1000, position: position(i) }, 64)
          sizes[`count ${i}`] = countAllQuery(d, c.table, request.rest, request.column, request.range).compile(store.db).parameters.length
          sizes[`delta ${i}`] = compiledShape(store, queries.delta).parameters.length
          sizes[`correction ${i}`] = queries.correction.compile(store.db).parameters.length
          return queries.delta
        })
        // Only PostgreSQL reads a page and its total in one statement (Dialect.statementsCostRoundTrips).
        if (d.statementsCostRoundTrips) sizes.together = togetherStatement(store, c.table, plan, deltas, true, text, 'key-hash').parameters.length

        for (const [statement, size] of Object.entries(sizes)) expect(size, statement).toBeLessThanOrEqual(LIMIT[kind.name])
        // The costliest case comes within a tenth of the limit: the cap is no looser than it needs to be.
        if (c === CASES[0]) expect(Math.max(...Object.values(sizes))).toBeGreaterThan(LIMIT[kind.name] * 0.9)
      })
    }
  })
}
