// The list pages are written as text straight from rows read as arrays (ItemCodec.textWriter);
// toItem stays the reference. Items of every kind — custom keys, missing keys, overridden per-user constants, odd
// strings, sub-second times — go into each real store, and every row read back must give the same
// JSON text, byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { random } from '../../src/services/demo-data.ts'
import { dialogCodec } from '../../src/services/dialog-item.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item, ItemCodec } from '../../src/services/items.ts'
import { messageCodec } from '../../src/services/message-item.ts'
import { formatTime } from '../../src/services/time.ts'
import type { ListPlan } from '../../src/query/plan.ts'
import { ITEM_TEXT } from '../../src/store/item-text.ts'
import { listPageRows, listWithTotal } from '../../src/store/items.ts'
import { asArrays, rowSetOf, type RowSet } from '../../src/store/row-set.ts'
import { dialogItem, messageItem, objectId } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const STRINGS = ['', 'plain', 'quote " and \\ backslash', 'line\nbreak\ttab', 'ünïcödé ✓ 😀', '\u2028\u2029', '"read"', "it's", '\u0001\b\f\r\u001f\u007f']

function variants(rnd: () => number): { dialogs: Item[]; messages: Item[] } {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const dialogs: Item[] = []
  const messages: Item[] = []
  for (let i = 0; i < 60; i++) {
    const t = 1_700_000_000 + i * 3600
    const d = dialogItem(t, { name: pick(STRINGS), extensions: rnd() < 0.5 ? { key: pick(STRINGS), n: i } : null, is_e2ee: pick([null, true, false]) })
    if (i % 5 === 1) d.is_muted = true // a per-user value kept as a custom key, in its own place
    if (i % 7 === 2) delete d.photo // an absent key
    if (i % 4 === 3) Object.assign(d, { custom: { deep: [1, 'two', null] }, ['__proto__']: pick(STRINGS) })
    if (i % 9 === 4) d.updated_at = formatTime(t * 1000 + 250) // a sub-second time
    dialogs.push(d)
    const m = messageItem(d._id as string, t + 1, { message: pick(STRINGS), attachments: rnd() < 0.5 ? [] : [{ type: 'image', id: pick(STRINGS) }] })
    if (i % 3 === 0) m.mission = pick(STRINGS)
    if (i % 6 === 5) m.read = 1
    if (i % 8 === 6) delete m.reactions
    if (i % 10 === 7) Object.assign(m, { a: 1, b: { c: [true, false] } })
    messages.push(m)
  }
  dialogs.push(dialogItem(1_700_000_000, { _id: objectId(1_600_000_000) }), { _id: objectId(1_650_000_000), type: 2 })
  // The first and last seconds an import accepts, and a leap day before 1970.
  dialogs.push(dialogItem(1_700_000_000, { _id: objectId(1_650_000_001), created_at: '0000-01-01T00:00:00Z', updated_at: '1600-02-29T23:59:59Z' }))
  messages.push(messageItem(dialogs[0]!._id as string, 1_700_000_000, { updated_at: '9999-12-31T23:59:59Z' }))
  return { dialogs, messages }
}

for (const kind of STORES) {
  describe(`item JSON text [${kind.name}]`, () => {
    let t: TestStore
    beforeAll(async () => {
      t = await kind.open()
      const { dialogs, messages } = variants(random(7))
      await importValues(t.store, 'dialogs', dialogs)
      await importValues(t.store, 'messages', messages)
    })
    afterAll(() => t.drop())

    const cases: Array<[string, 'dialogs' | 'messages', ItemCodec]> = [
      ['dialogs', 'dialogs', dialogCodec],
      ['messages', 'messages', messageCodec],
    ]
    for (const [label, table, codec] of cases) {
      /** Every row, byte for byte as JSON.stringify(toItem(row)): JSON.parse would hide a repeated key. */
      const expectEachWrittenAsItem = (set: RowSet, rows: readonly Record<string, unknown>[]) => {
        const write = codec.textWriter(set.columns, t.store.dialect)
        rows.forEach((row, i) => expect(write(set.values[i]!)).toBe(JSON.stringify(codec.toItem(row, t.store.dialect))))
      }
      /** A plan for one page of every row in `_id` order. */
      const everyRow = (direction: 'asc' | 'desc'): ListPlan => ({ conditions: [], sort: { column: 'id', direction }, orderingColumns: [], limit: 1000, skip: 0, count: false })

      it(`writes every ${label} row as JSON.stringify(toItem(row)) would`, async () => {
        const query = t.store.db.selectFrom(table).selectAll().orderBy('id')
        // The rows as objects for toItem, and as the pages read them: arrays (raw mode on SQLite).
        const rows = (await query.execute()) as Record<string, unknown>[]
        const set = rowSetOf((await asArrays(query).execute()) as unknown[])
        expect(rows.length).toBeGreaterThan(50)
        expect(set.values.length).toBe(rows.length)
        expectEachWrittenAsItem(set, rows)
      })

      it(`writes every ${label} row the same when the page is read with item text (decision 0012)`, async () => {
        const rows = (await t.store.db.selectFrom(table).selectAll().orderBy('id').execute()) as Record<string, unknown>[]
        const set = await listPageRows(t.store, table, everyRow('asc'), codec.itemText)
        expect(set.values.length).toBe(rows.length)
        expectEachWrittenAsItem(set, rows)
        // SQLite: objects written by the database and values for the codec; PostgreSQL: values only.
        const kinds = new Set(set.values.map((v) => (v[set.columns.indexOf(ITEM_TEXT)] as string)[0]))
        expect([...kinds].sort()).toEqual(t.store.dialect.name === 'sqlite' ? ['[', '{'] : ['['])
      })

      it(`writes every ${label} row the same when the page and its total are read together`, async () => {
        const rows = (await t.store.db.selectFrom(table).selectAll().orderBy('id', 'desc').execute()) as Record<string, unknown>[]
        const plan = everyRow('desc')
        // The first keeps a count; the second derives its total from it, on PostgreSQL in the page's
        // own statement, whose item texts and ids come back joined (store/items.ts joinedRows).
        await listWithTotal(t.store, table, plan, codec.itemText)
        const before = t.store.counts.stats.withPage
        const { rows: set, total } = await listWithTotal(t.store, table, plan, codec.itemText)
        expect(t.store.counts.stats.withPage - before).toBe(t.store.dialect.name === 'postgres' ? 1 : 0)
        expect(total).toBe(rows.length)
        expect(set.values.map((v) => v[set.columns.indexOf('id')])).toEqual(rows.map((r) => r.id))
        expectEachWrittenAsItem(set, rows)
      })
    }
  })
}

describe('formatTime', () => {
  const reference = (ms: number): string => {
    const iso = new Date(ms).toISOString()
    return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso
  }
  it('matches toISOString at second precision across days, years and the edges', () => {
    const rnd = random(3)
    const samples = [0, 999, 1000, 86_399_000, 86_400_000, 951_782_400_000, 253_402_300_799_000, 253_402_300_800_000, -1000, -86_400_001]
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(rnd() * 253_402_300_799) * 1000, Math.floor(rnd() * 4e12))
    for (const ms of samples) expect(formatTime(ms)).toBe(reference(ms))
  })
})
