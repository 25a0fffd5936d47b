// Queries compiled once per shape (store/compiled.ts) run exactly the SQL and values a fresh build
// would: for every page a list request may ask for, its statement — with its shape's text kept from
// another request of the same shape, with other values — equals the one Kysely builds for it now.
import qs from 'qs'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pageShape } from '../../src/query/apply.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES, CHAT_DIALOGS, CHAT_MESSAGES, type Catalogue } from '../../src/query/catalogue.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { planList, type Condition } from '../../src/query/plan.ts'
import { makeObjectId, random } from '../../src/services/demo-data.ts'
import { dialogCodec } from '../../src/services/dialog-item.ts'
import { messageCodec } from '../../src/services/message-item.ts'
import { compiledOnce } from '../../src/store/compiled.ts'
import { ALL, deriveQueries, splitConditions, type Range } from '../../src/store/counts.ts'
import { pageQuery, pageStatement, togetherStatement, type ItemTable } from '../../src/store/items.ts'
import { asArrays } from '../../src/store/row-set.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

/** Seeded, so a failure names a query that fails again. */
function generator(seed: number) {
  const next = random(seed)
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!
  return { int, pick }
}

const id = (n: number) => makeObjectId(1_700_000_000 + n, n)

/** A random list request of `catalogue`: a few filters of every kind its plain columns allow, a sort, a limit and a skip. */
function randomQuery(catalogue: Catalogue, r: ReturnType<typeof generator>): string {
  const parts = new Map<string, string>()
  const plain = Object.entries(catalogue.fields).filter(([, f]) => ['objectid', 'time', 'int', 'int32'].includes(f.kind))
  for (let i = r.int(4); i > 0; i--) {
    const [name, field] = r.pick(plain)
    const value = () => (field.kind === 'objectid' ? id(r.int(1000)) : String(1687886000 + r.int(100000)))
    const op = r.pick(['', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin'])
    const list = () => Array.from({ length: 1 + r.int(3) }, value).join(',')
    const param = op === '' ? name : `${name}[${op}]`
    // qs cannot give one name both a plain value and operators.
    if ([...parts.keys()].some((p) => (op === '' ? p.startsWith(`${name}[`) : p === name))) continue
    parts.set(param, `${param}=${op === 'in' || op === 'nin' ? list() : value()}`)
  }
  parts.set('sort', `${r.pick(['sort_asc', 'sort_desc'])}=${r.pick(catalogue.sortable)}`)
  parts.set('limit', `limit=${1 + r.int(100)}`)
  if (r.int(3) === 0) parts.set('skip', `skip=${r.int(500)}`)
  return [...parts.values()].join('&')
}

const planOf = (query: string, catalogue: Catalogue) => planList(parseListQuery(qs.parse(query), catalogue), catalogue)

const LISTS: { table: ItemTable; catalogue: Catalogue }[] = [
  { table: 'messages', catalogue: ADMIN_MESSAGES },
  { table: 'dialogs', catalogue: ADMIN_DIALOGS },
  { table: 'dialogs', catalogue: CHAT_DIALOGS },
  { table: 'messages', catalogue: CHAT_MESSAGES },
]

for (const kind of STORES) {
  describe(`queries compiled once per shape (${kind.label})`, () => {
    let t: TestStore
    beforeAll(async () => {
      t = await kind.open()
    })
    afterAll(() => t.drop())

    it('every page statement equals the one built for its own values', () => {
      const r = generator(7)
      let kept = 0
      for (const { table, catalogue } of LISTS) {
        for (let i = 0; i < 300; i++) {
          const query = randomQuery(catalogue, r)
          const plan = planOf(query, catalogue)
          // Another request of the same shape first, with other values: its kept text must fit this one.
          // Every other plan reads its items as text, as the admin pages do (decision 0012).
          const text = i % 2 === 0 ? undefined : (table === 'dialogs' ? dialogCodec : messageCodec).itemText
          const shape = pageShape(plan)
          if (shape) {
            kept++
            pageStatement(t.store, table, shape.withValues(shape.values.map((v) => (typeof v === 'number' ? v + 1 : `${v}`.replace(/.$/, 'f')))), text)
          }
          const built = asArrays(pageQuery(t.store, table, plan, text)).compile()
          const statement = pageStatement(t.store, table, plan, text)
          expect({ query, sql: statement.sql, parameters: statement.parameters }).toEqual({ query, sql: built.sql, parameters: built.parameters })
        }
      }
      // Every plan of plain columns has a shape.
      expect(kept).toBe(1200)
    })

    it("every page statement with its total's deltas equals the one built for its own values", () => {
      const r = generator(11)
      const position = (n: number) => (kind.name === 'postgres' ? `${100 + n}:${100 + n}:` : String(n))
      // The deltas of a page's total: one, or two for a split count's terms; over _id or a time.
      const deltasOf = (table: ItemTable, conditions: readonly Condition[], n: number, terms: number) =>
        Array.from({ length: terms }, (_, i) => {
          const request = splitConditions(conditions, [i === 0 ? 'id' : 'updated_at'])
          const kept: Range = n % 2 === 0 ? ALL : { lower: null, upper: request.range.upper }
          return deriveQueries(t.store.dialect, { table, ...request }, { range: kept, count: 1000 + n, position: position(n) }, 64 + n).delta
        })
      let kept = 0
      for (const { table, catalogue } of LISTS) {
        for (let i = 0; i < 150; i++) {
          const query = randomQuery(catalogue, r)
          const plan = planOf(query, catalogue)
          const text = i % 2 === 0 ? undefined : (table === 'dialogs' ? dialogCodec : messageCodec).itemText
          const [terms, withSkews, keyHash] = [1 + r.int(2), r.int(2) === 0, r.int(2) === 0 ? undefined : `key-${i}`]
          const shape = pageShape(plan)
          if (shape) {
            // Another request of the same shape first: other values, another kept count and position.
            const other = shape.withValues(shape.values.map((v) => (typeof v === 'number' ? v + 1 : `${v}`.replace(/.$/, 'f'))))
            const deltas = deltasOf(table, other.conditions, i + 1, terms)
            if (deltas.every((x) => x.key !== null)) kept++
            togetherStatement(t.store, table, other, deltas, withSkews, text, keyHash && `${keyHash}-other`)
          }
          const deltas = deltasOf(table, plan.conditions, i, terms)
          const statement = togetherStatement(t.store, table, plan, deltas, withSkews, text, keyHash)
          // The same statement built and compiled now: deltas without a key have no kept text.
          const built = togetherStatement(t.store, table, plan, deltas.map((x) => ({ ...x, key: null })), withSkews, text, keyHash)
          expect({ query, sql: statement.sql, parameters: statement.parameters }).toEqual({ query, sql: built.sql, parameters: built.parameters })
        }
      }
      // Every plan of plain columns has a shape, and so do its deltas.
      expect(kept).toBe(600)
    })

    it('a page of one dialog compares its id three times over, each from the one value', () => {
      const plan = planOf(`chat_dialog_id=${id(1)}&sort_desc=_id`, ADMIN_MESSAGES)
      const statement = pageStatement(t.store, 'messages', plan)
      expect(statement.parameters.filter((p) => p === id(1)).length).toBe(kind.name === 'postgres' ? 3 : 1)
    })

    it('refuses a build that changes, inlines or drops a value', () => {
      const db = t.store.db
      expect(() => compiledOnce(t.store, 'test changed', ['a'], ([v]) => db.selectFrom('messages').select('id').where('message', '=', `%${v as string}%`))).toThrow(/every value/)
      expect(() => compiledOnce(t.store, 'test inlined', ['a'], ([v]) => sql`select ${sql.lit(v as string)} as x`)).toThrow(/every value/)
      expect(() => compiledOnce(t.store, 'test dropped', ['a', 'b'], ([v]) => db.selectFrom('messages').select('id').where('id', '=', v as string))).toThrow(/every value/)
    })
  })
}
