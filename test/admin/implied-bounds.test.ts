// Pages that range over one of _id / created_at / updated_at and sort by another get the bounds
// their filters imply on the sort column (src/query/implied.ts), from skew bounds that triggers keep
// (migration 0004). Those bounds must never drop a row: checked as a property of the pure function,
// and through HTTP on data whose times are skewed every which way — imported, then widened by
// updates — against pages computed here from the items themselves.
import qs from 'qs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_MESSAGES } from '../../src/query/catalogue.ts'
import { countTerms, withImpliedBounds, type Skews } from '../../src/query/implied.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { planList, type Condition } from '../../src/query/plan.ts'
import { random } from '../../src/services/demo-data.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { iso, messageItem } from '../helpers/factories.ts'
import { expectedOrder, idsOf } from '../helpers/lists.ts'
import { sentDuring } from '../helpers/pg-spy.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const FROM = 1_690_000_000
const SPAN = 100_000
const DIALOG = '64bb56980000000000000001'
const SORTS = [
  ['_id', 'desc'],
  ['_id', 'asc'],
  ['created_at', 'desc'],
  ['created_at', 'asc'],
  ['updated_at', 'desc'],
  ['updated_at', 'asc'],
] as const

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/** Messages whose created_at strays from their ObjectId's time and updated_at from created_at by up to `stray` s, either way. */
function skewedItems(rnd: () => number, n: number, stray: number, serial: { n: number }): Item[] {
  return Array.from({ length: n }, () => {
    const idTime = FROM + Math.floor(rnd() * SPAN)
    const created = idTime + Math.floor((rnd() - 0.5) * 2 * stray)
    const updated = created + Math.floor((rnd() - 0.3) * stray)
    return messageItem(DIALOG, created, { _id: hex(idTime, 8) + hex(++serial.n, 16), created_at: iso(created), updated_at: iso(updated) })
  })
}

/** Random parameters ranging over one or two of the three columns, and a sort by any. */
function randomParams(rnd: () => number): string {
  const t = () => FROM - 2000 + Math.floor(rnd() * (SPAN + 4000))
  const id = () => hex(t(), 8) + hex(Math.floor(rnd() * 1000), 16)
  const ops = ['gt', 'gte', 'lt', 'lte']
  const op = () => ops[Math.floor(rnd() * 4)]
  const parts: string[] = []
  for (const field of ['_id', 'created_at', 'updated_at']) if (rnd() < 0.5) parts.push(`${field}[${op()}]=${field === '_id' ? id() : t()}`)
  if (parts.length === 0) parts.push(`created_at[${op()}]=${t()}`)
  const [field, dir] = SORTS[Math.floor(rnd() * SORTS.length)]!
  parts.push(`sort_${dir}=${field}`)
  return parts.join('&')
}

/** Whether an item matches a plan's cmp conditions (the only kind these tests send). */
function matches(item: Item, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => {
    if (c.test !== 'cmp') throw new Error('cmp conditions only')
    const v = c.target.column === 'id' ? (item._id as string) : Date.parse(item[c.target.column] as string)
    const w = c.value
    switch (c.op) {
      case '<':
        return v < w
      case '<=':
        return v <= w
      case '>':
        return v > w
      case '>=':
        return v >= w
      case '=':
        return v === w
    }
  })
}

const skewsOf = (items: Item[]): Skews => {
  const id = items.map((i) => Date.parse(i.created_at as string) - parseInt((i._id as string).slice(0, 8), 16) * 1000)
  const upd = items.map((i) => Date.parse(i.updated_at as string) - Date.parse(i.created_at as string))
  return { idLo: Math.min(...id), idHi: Math.max(...id), updLo: Math.min(...upd), updHi: Math.max(...upd) }
}

describe('implied bounds (pure)', () => {
  it('select exactly the rows the plan does, and bound the sort column when the filters allow', () => {
    const rnd = random(17)
    const serial = { n: 0 }
    let bounded = 0
    const wrong: string[] = []
    for (let round = 0; round < 16; round++) {
      const items = skewedItems(rnd, 200, [0, 5, 600, 50_000][round % 4]!, serial)
      const skews = skewsOf(items)
      for (let q = 0; q < 50; q++) {
        const plan = planList(parseListQuery(qs.parse(randomParams(rnd)), ADMIN_MESSAGES), ADMIN_MESSAGES)
        const walked = withImpliedBounds(plan, skews)
        if (walked !== plan) bounded++
        // The walk's conditions select exactly the plan's rows (null: none).
        for (const item of items) {
          if ((walked !== null && matches(item, walked.conditions)) !== matches(item, plan.conditions)) wrong.push(JSON.stringify({ item, walked }))
        }
      }
    }
    expect(wrong.slice(0, 3)).toEqual([])
    expect(bounded).toBeGreaterThan(400)
  })

  it('split a count over two ranges into counts that add up to it', () => {
    const rnd = random(19)
    const serial = { n: 0 }
    const wrong: string[] = []
    const kinds = new Map<number, number>()
    for (let round = 0; round < 16; round++) {
      const items = skewedItems(rnd, 200, [0, 5, 600, 50_000][round % 4]!, serial)
      const skews = skewsOf(items)
      for (let q = 0; q < 60; q++) {
        const plan = planList(parseListQuery(qs.parse(randomParams(rnd)), ADMIN_MESSAGES), ADMIN_MESSAGES)
        const terms = countTerms(plan.conditions, skews)
        if (terms === null) continue
        kinds.set(terms.length, (kinds.get(terms.length) ?? 0) + 1)
        const want = items.filter((i) => matches(i, plan.conditions)).length
        const got = terms.reduce((sum, t) => sum + t.sign * items.filter((i) => matches(i, t.conditions)).length, 0)
        if (got !== want) wrong.push(`${JSON.stringify(plan.conditions)}: ${got} != ${want}`)
      }
    }
    expect(wrong.slice(0, 3)).toEqual([])
    // Every way of splitting happened: nothing matches (0 terms), one range, three terms, or the band itself.
    expect([...kinds.keys()].sort()).toEqual([0, 1, 3])
  })

  it('adds nothing without skews or without a range on another column', () => {
    const plan = planList(parseListQuery({ created_at: { lte: String(FROM) }, sort_desc: '_id' }, ADMIN_MESSAGES), ADMIN_MESSAGES)
    expect(withImpliedBounds(plan, null)).toBe(plan)
    const own = planList(parseListQuery({ _id: { lt: 'f'.repeat(24) }, sort_desc: '_id' }, ADMIN_MESSAGES), ADMIN_MESSAGES)
    expect(withImpliedBounds(own, { idLo: 0, idHi: 0, updLo: 0, updHi: 0 })).toBe(own)
  })
})

for (const kind of STORES) {
  describe(`implied bounds over HTTP (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const items: Item[] = []
    const rnd = random(23)
    const serial = { n: 1_000_000 }

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      // Tight skews first (the bounds start narrow), then strays that must widen them: a bulk batch
      // (the importer widens the skews itself) and a small one (the triggers do).
      items.push(...skewedItems(rnd, 1200, 2, serial))
      await importValues(db.store, 'messages', items)
      for (const n of [1000, 20]) {
        const strays = skewedItems(rnd, n, n === 20 ? 5_000 : 40_000, serial)
        await importValues(db.store, 'messages', strays)
        items.push(...strays)
      }
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    async function expectPages(count: number): Promise<void> {
      for (let q = 0; q < count; q++) {
        const params = randomParams(rnd)
        const plan = planList(parseListQuery(qs.parse(params), ADMIN_MESSAGES), ADMIN_MESSAGES)
        const matching = items.filter((i) => matches(i, plan.conditions))
        const [field, dir] = [plan.sort.column === 'id' ? '_id' : plan.sort.column, plan.sort.direction] as const
        const r = await server.get(`/admin/chat/messages/list?${params}&limit=20`)
        expect(r.status, r.text).toBe(200)
        expect(idsOf(r), params).toEqual(expectedOrder(matching, field as '_id', dir).slice(0, 20))
        expect(r.json.total_entries, params).toBe(matching.length)
      }
    }

    it('answers every page as the items say, with skews that imports widened', async () => {
      await expectPages(150)
    })

    it('still does after updates widen the skews of rows already there', async () => {
      // Move some created_at / updated_at far from where they were, through SQL as any writer could.
      for (let k = 0; k < 10; k++) {
        const item = items[k * 7]!
        const created = Date.parse(item.created_at as string) / 1000 + (k % 2 === 0 ? 70_000 : -70_000)
        const updated = created + (k % 3 === 0 ? -90_000 : 90_000)
        item.created_at = iso(created)
        item.updated_at = iso(updated)
        await db.store.db.updateTable('messages').set({ created_at: created * 1000, updated_at: updated * 1000 }).where('id', '=', item._id as string).execute()
      }
      await expectPages(150)
    })
  })
}

/** The item with the least _id. */
const oldestOf = (items: Item[]): Item => [...items].sort((a, b) => ((a._id as string) < (b._id as string) ? -1 : 1))[0]!

// On PostgreSQL a page and its total can be one statement whose implied bounds come from the skews
// this process read last (store/items.ts pageWithDerivedTotal). A write can widen the skews while a
// kept count stays fresh (a count request refreshed it without reading the skews): the statement
// must notice that its own snapshot's skews differ, and not answer from a walk that stops too soon.
for (const kind of STORES) {
  describe(`implied bounds from remembered skews (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const items: Item[] = []
    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      items.push(...skewedItems(random(5), 400, 2, { n: 0 }))
      await importValues(db.store, 'messages', items)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('answers from the skews of the page’s own snapshot after a write widened them', async () => {
      const t = FROM + SPAN - 1000
      const expected = () => {
        const matching = items.filter((i) => Date.parse(i.updated_at as string) > t * 1000)
        return expectedOrder(matching, '_id', 'desc').slice(0, 20)
      }
      const page = () => server.get(`/admin/chat/messages/list?updated_at[gt]=${t}&sort_desc=_id&limit=20`)
      // Reads the skews (remembered) and keeps a count of updated_at > t.
      const first = await page()
      expect(idsOf(first)).toEqual(expected())
      // The oldest message, edited now: it matches, far below where the skews said matches could be.
      const oldest = oldestOf(items)
      oldest.updated_at = iso(t + 100)
      await db.store.db.updateTable('messages').set({ updated_at: (t + 100) * 1000 }).where('id', '=', oldest._id as string).execute()
      // A count of the same filter refreshes the kept count, and reads no skews.
      const count = await server.get(`/admin/chat/messages/list?updated_at[gt]=${t}&count=1`)
      expect(count.json.items.count).toBe(expected().length)
      const after = await page()
      expect(idsOf(after)).toEqual(expected())
      expect(idsOf(after)).toContain(oldest._id)
      expect(after.json.total_entries).toBe(expected().length)
    })

    it('answers “nothing” from the remembered skews only while its own snapshot’s skews still say so', async () => {
      // Ids before FROM + 1000, updated after every row's time plus its skew (the test above widened
      // that past a day; rounded up to 2^27 ms, about 1.6 days): nothing can match.
      const cut = hex(FROM + 1000, 8) + '0'.repeat(16)
      const t = FROM + SPAN + 400_000
      const page = () => server.get(`/admin/chat/messages/list?_id[lt]=${cut}&updated_at[gt]=${t}&limit=20`)
      for (let i = 0; i < 2; i++) {
        const empty = await page()
        expect([empty.status, empty.json.total_entries, empty.json.items]).toEqual([200, 0, []])
      }
      // An old message edited now: it matches, and widens the skews past what this process read last.
      const oldest = oldestOf(items)
      await db.store.db.updateTable('messages').set({ updated_at: (t + 60) * 1000 }).where('id', '=', oldest._id as string).execute()
      const after = await page()
      expect(after.json.total_entries).toBe(1)
      expect(idsOf(after)).toEqual([oldest._id])
    })
  })
}

// A page ranging over _id and updated_at whose total keptCount would split into terms (counts over
// one range each) is, on PostgreSQL, one statement deriving every term beside the page once their
// counts are kept (store/items.ts pageWithDerivedTotal), rather than a transaction of a statement
// a term. The bench's random `_id[lt]` + `updated_at[gt]` shapes: each request a new cursor and time.
for (const kind of STORES) {
  describe(`a split count in the page's statement (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const items: Item[] = []
    const rnd = random(41)

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      items.push(...skewedItems(rnd, 1500, 300, { n: 0 }))
      await importValues(db.store, 'messages', items)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    async function randomPage(): Promise<void> {
      const cut = FROM + Math.floor(rnd() * SPAN)
      const t = FROM + Math.floor(rnd() * SPAN)
      const id = hex(cut, 8) + hex(Math.floor(rnd() * 2000), 16)
      const r = await server.get(`/admin/chat/messages/list?_id[lt]=${id}&updated_at[gt]=${t}&sort_desc=updated_at&limit=10`)
      const matching = items.filter((i) => (i._id as string) < id && Date.parse(i.updated_at as string) > t * 1000)
      expect(r.status, r.text).toBe(200)
      expect(idsOf(r)).toEqual(expectedOrder(matching, 'updated_at', 'desc').slice(0, 10))
      expect(r.json.total_entries).toBe(matching.length)
    }

    it('answers exact pages, in one statement each on PostgreSQL once the terms’ counts are kept', async () => {
      for (let i = 0; i < 30; i++) await randomPage()
      let single = 0
      let split = 0
      for (let i = 0; i < 20; i++) {
        // The audit log's batches go out on a timer of their own, in plain BEGIN … COMMIT.
        const sent = (await sentDuring(randomPage)).filter((q) => !/^(begin|commit|insert into "admin_audit")/i.test(q))
        if (sent.length === 1) single++
        if (sent.length === 1 && sent[0]!.startsWith('with "d0" as') && sent[0]!.includes('row_to_json("d1")')) split++
      }
      // Every page one statement: an empty one reads the skews alone, the others derive each term
      // beside the page (several terms for most of them).
      if (kind.name === 'postgres') expect([single, split >= 5]).toEqual([20, true])
    })
  })
}
