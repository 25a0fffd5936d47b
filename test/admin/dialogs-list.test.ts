// GET /admin/chat/list through real HTTP: every filter and operator, time precision, sorting with
// ties, skip / limit / count, the three ways of sending parameters, and the imported item round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, iso } from '../helpers/factories.ts'
import { allPages, expectedOrder, expectListedEveryWay, idsOf, jsonOf, listVia, shortName, VIAS } from '../helpers/lists.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const LIST = '/admin/chat/list'
/** 2022-02-17T11:01:40Z, the spec's example dialog time. */
const B = 1645095700

/**
 * Seven dialogs a..g, created (and so _id-ordered) in that order. `updated_at` of d carries
 * milliseconds (B + 0.5 s); a, b and c share one updated_at.
 */
function filterDialogs(): Record<string, Item> {
  const d = (created: number, overrides: Item) => dialogItem(created, { created_at: iso(created), ...overrides })
  return {
    a: d(B - 600, { updated_at: iso(B - 100), type: 3, user_id: 100, name: null, occupants_ids: [100, 200], last_message_date_sent: B - 90, extensions: null }),
    b: d(B - 500, {
      updated_at: iso(B - 100),
      type: 2,
      user_id: 100,
      name: 'Planet Earth',
      occupants_ids: [100, 200, 300],
      last_message_date_sent: B - 80,
      extensions: { location: 'Sun bar', level: '5' },
    }),
    c: d(B - 400, {
      updated_at: iso(B - 100),
      type: 2,
      user_id: 200,
      name: 'planet mars',
      occupants_ids: [200, 300],
      last_message_date_sent: null,
      extensions: { location: 'Moon bar' },
    }),
    d: d(B - 300, { updated_at: '2022-02-17T11:01:40.500Z', type: 1, user_id: 300, name: 'Broadcast', occupants_ids: [300], last_message_date_sent: B - 70, extensions: null }),
    e: d(B - 200, { updated_at: iso(B), type: 4, user_id: 400, name: 'Public', occupants_ids: null, last_message_date_sent: B - 60, extensions: { level: '7' } }),
    f: d(B - 100, { updated_at: iso(B + 1), type: 2, user_id: null, name: 'Ops', occupants_ids: [100, 400], last_message_date_sent: B - 50, extensions: {} }),
    g: d(B - 50, {
      updated_at: iso(B + 100),
      type: 3,
      user_id: 200,
      name: 'Earth planet hub',
      occupants_ids: [200, 100],
      last_message_date_sent: null,
      // Imported with non-string values (the chat API stores strings): compared as their text.
      extensions: { location: 'sun deck', rank: 5, vip: true },
    }),
  }
}

/** `values` and others up to 1000 in all, comma-separated: by default numbers no dialog's time or occupant is. */
function withOthers(values: number[], other: (i: number) => number = (i) => B - 100_000 - i * 7): string {
  return [...values, ...Array.from({ length: 1000 - values.length }, (_, i) => other(i))].join(',')
}

/** [parameters ({a}..{g} stand for those dialogs' _id), the dialogs that match]. */
const FILTERS: Array<[string, string]> = [
  // updated_at: second precision against the stored ms; d is B + 0.5 s, e is exactly B
  [`updated_at=${B}`, 'de'],
  [`updated_at=${B}.0`, 'de'],
  [`updated_at=${B}.5`, ''],
  [`updated_at[gt]=${B}`, 'fg'],
  [`updated_at[gt]=${B}.0`, 'fg'],
  [`updated_at[gte]=${B}`, 'defg'],
  [`updated_at[gte]=${B}.0`, 'defg'],
  [`updated_at[lt]=${B}`, 'abc'],
  [`updated_at[lte]=${B}`, 'abcde'],
  [`updated_at[lt]=${B + 1}`, 'abcde'],
  [`updated_at[lte]=${B + 1}`, 'abcdef'],
  [`updated_at[gt]=${B - 1}.5`, 'defg'],
  [`updated_at[lt]=${B}.5`, 'abcde'],
  [`updated_at=${B - 100}`, 'abc'],
  [`updated_at[gt]=${B - 100}`, 'defg'],
  [`updated_at[gte]=${B - 100}`, 'abcdefg'],
  [`updated_at[gt]=${B - 100}&updated_at[lt]=${B + 100}`, 'def'],
  [`updated_at[gte]=${B}&updated_at[lte]=${B + 1}`, 'def'],
  [`updated_at[gt]=${B}&updated_at[lt]=${B}`, ''],
  [`updated_at[ne]=${B}`, 'abcfg'],
  [`updated_at[in]=${B - 100},${B + 1}`, 'abcf'],
  [`updated_at[nin]=${B},${B + 100}`, 'abcf'],
  // the spec's curl example
  ['updated_at[lt]=1687886581', 'abcdefg'],
  // created_at
  [`created_at=${B - 400}`, 'c'],
  [`created_at[gt]=${B - 400}`, 'defg'],
  [`created_at[gte]=${B - 400}`, 'cdefg'],
  [`created_at[lt]=${B - 400}`, 'ab'],
  [`created_at[lte]=${B - 400}`, 'abc'],
  [`created_at[lte]=${B - 400}.0`, 'abc'],
  [`created_at[gte]=${B - 500}&created_at[lt]=${B - 200}`, 'bcd'],
  [`created_at[ne]=${B - 400}`, 'abdefg'],
  // _id
  ['_id={c}', 'c'],
  ['_id={C}', 'c'],
  ['_id[gt]={c}', 'defg'],
  ['_id[gte]={c}', 'cdefg'],
  ['_id[lt]={c}', 'ab'],
  ['_id[lte]={c}', 'abc'],
  ['_id[gt]={a}&_id[lte]={d}', 'bcd'],
  ['_id[gte]={b}&_id[lt]={b}', ''],
  ['_id[ne]={a}', 'bcdefg'],
  ['_id[in]={a},{c}', 'ac'],
  ['_id[nin]={a},{c}', 'bdefg'],
  ['_id[lt]=000000000000000000000000', ''],
  ['_id[gt]=ffffffffffffffffffffffff', ''],
  // type
  ['type=2', 'bcf'],
  ['type[ne]=2', 'adeg'],
  ['type[in]=1,4', 'de'],
  ['type[nin]=2,3', 'de'],
  ['type[gt]=2', 'aeg'],
  ['type[lte]=2', 'bcdf'],
  // user_id (f has none)
  ['user_id=100', 'ab'],
  ['user_id[ne]=100', 'cdefg'],
  ['user_id[in]=100,300', 'abd'],
  ['user_id[nin]=100,200', 'def'],
  ['user_id[gte]=300', 'de'],
  // name (a has none); ctn is a case-sensitive substring
  ['name=Ops', 'f'],
  ['name=Planet%20Earth', 'b'],
  ['name[ctn]=Planet', 'b'],
  ['name[ctn]=planet', 'cg'],
  ['name[ctn]=PLANET', ''],
  ['name[ctn]=et%20m', 'c'],
  ['name[ne]=Ops', 'abcdeg'],
  ['name[in]=Ops,Public', 'ef'],
  ['name[nin]=Ops,Public', 'abcdg'],
  // last_message_date_sent (c and g have none)
  [`last_message_date_sent=${B - 70}`, 'd'],
  [`last_message_date_sent[gt]=${B - 70}`, 'ef'],
  [`last_message_date_sent[gte]=${B - 70}`, 'def'],
  [`last_message_date_sent[lt]=${B - 80}`, 'a'],
  [`last_message_date_sent[lte]=${B - 80}`, 'ab'],
  [`last_message_date_sent[ne]=${B - 70}`, 'abcefg'],
  [`last_message_date_sent[in]=${B - 90},${B - 50}`, 'af'],
  [`last_message_date_sent[nin]=${B - 90},${B - 80}`, 'cdefg'],
  // occupants_ids (e has none): = contains, in any, all every, ne / nin none (a missing array included)
  ['occupants_ids=100', 'abfg'],
  ['occupants_ids[in]=300,400', 'bcdf'],
  ['occupants_ids[all]=100,200', 'abg'],
  ['occupants_ids[all]=100,200,300', 'b'],
  ['occupants_ids[ne]=100', 'cde'],
  ['occupants_ids[nin]=100,200', 'de'],
  // extensions[key] (a and d have none, f has {})
  ['extensions[location]=Sun%20bar', 'b'],
  ['extensions[location][ctn]=bar', 'bc'],
  ['extensions[location][ctn]=Sun', 'b'],
  ['extensions[location][ne]=Sun%20bar', 'acdefg'],
  ['extensions[location][in]=Sun%20bar,Moon%20bar', 'bc'],
  ['extensions[location][nin]=Moon%20bar', 'abdefg'],
  ['extensions[level]=5', 'b'],
  ['extensions[level]=7&type=4', 'e'],
  ['extensions[nothere]=x', ''],
  ['extensions[rank]=5', 'g'],
  ['extensions[vip]=true', 'g'],
  ['extensions[rank][in]=4,5', 'g'],
  ['extensions[rank][nin]=4,5', 'abcdef'],
  // lists of 1000, the most a list takes: one test each, never an OR of 1000 (SQLite's depth limit)
  [`updated_at[in]=${withOthers([B])}`, 'de'],
  [`created_at[nin]=${withOthers([B - 600, B - 100])}`, 'bcdeg'],
  [`occupants_ids[in]=${withOthers([300, 400])}`, 'bcdf'],
  [`occupants_ids[all]=${withOthers([100, 200], (i) => (i % 2 ? 100 : 200))}`, 'abg'],
  [`occupants_ids[nin]=${withOthers([100, 200])}`, 'de'],
  // several fields at once
  ['type=2&user_id=100', 'b'],
  [`type=2&updated_at[gte]=${B}`, 'f'],
  ['occupants_ids=300&name[ctn]=planet', 'c'],
]

for (const kind of STORES) {
  describe(`Dialogs List filters (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const dialogs = filterDialogs()
    const keyOf = new Map(Object.entries(dialogs).map(([k, d]) => [d._id as string, k]))
    const fill = (template: string) =>
      template.replace(/\{([a-gA-G])\}/g, (_, k: string) => {
        const id = dialogs[k.toLowerCase()]!._id as string
        return k === k.toUpperCase() ? id.toUpperCase() : id
      })

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      // imported out of order: the answer's order must come from the sort, not insertion
      await importValues(db.store, 'dialogs', Object.values(dialogs).reverse())
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    for (const [template, expected] of FILTERS) {
      it(`${shortName(template)} → ${expected || 'nothing'}`, async () => {
        const params = fill(template)
        // default order: _id descending, so g..a
        const want = expected.split('').reverse()
        await expectListedEveryWay(server, LIST, params, keyOf, want)
      })
    }

    it('answers each item exactly as imported', async () => {
      const r = await server.get(`${LIST}?_id=${dialogs.d!._id}`)
      expect(r.json.items).toEqual([dialogs.d])
      expect(r.json.items[0].updated_at).toBe('2022-02-17T11:01:40.500Z')
      const all = await server.get(LIST)
      expect(all.json.items).toEqual(Object.values(dialogs).reverse())
    })

    it('counts the matches with count=1, skip and limit aside', async () => {
      for (const via of VIAS) {
        const r = await listVia(server, LIST, `count=1&type=2&skip=1&limit=1`, via)
        expect(r.status).toBe(200)
        expect(r.json).toStrictEqual({ items: { count: 3 } })
      }
      expect((await server.get(`${LIST}?count=1`)).json).toStrictEqual({ items: { count: 7 } })
      expect((await server.get(`${LIST}?count=1&name=nobody`)).json).toStrictEqual({ items: { count: 0 } })
      const page = await server.get(`${LIST}?count=0&type=2`)
      expect(page.json.total_entries).toBe(3)
      expect(page.json.items).toHaveLength(3)
    })
  })

  describe(`Dialogs List order and paging (${kind.name})`, () => {
    const N = 130
    let db: TestStore
    let server: TestServer
    const dialogs: Item[] = []
    // _id order follows i; created_at is a permutation of i with ties (three dialogs a second);
    // updated_at takes one of five values, so ties are the rule.
    for (let i = 0; i < N; i++) {
      const created = B - 100_000 + Math.floor(((i * 37) % N) / 3)
      dialogs.push(dialogItem(B - 200_000 + i, { created_at: iso(created), updated_at: iso(B + ((i * 7) % 5) * 60), type: 2, name: `dialog ${i}` }))
    }
    const ms = (t: unknown) => Date.parse(t as string)
    const order = (field: 'created_at' | 'updated_at' | '_id', dir: 'asc' | 'desc') => expectedOrder(dialogs, field, dir)

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      // shuffled, so that insertion order tells nothing
      await importValues(db.store, 'dialogs', [...dialogs].sort((x, y) => ((x.name as string) < (y.name as string) ? -1 : 1)))
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('has real ties to break', () => {
      expect(new Set(dialogs.map((d) => d.updated_at)).size).toBe(5)
      expect(new Set(dialogs.map((d) => d.created_at)).size).toBeLessThan(N / 2)
    })

    it('defaults to _id descending, 100 a page, skip 0', async () => {
      const r = await server.get(LIST)
      expect(r.status).toBe(200)
      expect(r.json.total_entries).toBe(N)
      expect(r.json.skip).toBe(0)
      expect(r.json.limit).toBe(100)
      expect(idsOf(r)).toEqual(order('_id', 'desc').slice(0, 100))
      expect(idsOf(await server.get(`${LIST}?sort_desc=_id`))).toEqual(idsOf(r))
    })

    for (const field of ['created_at', 'updated_at', '_id'] as const) {
      for (const dir of ['asc', 'desc'] as const) {
        it(`sort_${dir}=${field} is total, ties broken by _id ${dir}`, async () => {
          const want = order(field, dir)
          const first = await server.get(`${LIST}?sort_${dir}=${field}`)
          expect(idsOf(first)).toEqual(want.slice(0, 100))
          expect(first.json.total_entries).toBe(N)
          // paged with skip in uneven steps: every dialog once, in the same order
          expect(await allPages(server, LIST, `sort_${dir}=${field}`, 23)).toEqual(want)
        })
      }
    }

    it('sorts a filtered list and counts only the matches', async () => {
      const t = B + 120
      const want = order('updated_at', 'asc').filter((id) => ms(dialogs.find((d) => d._id === id)!.updated_at) > t * 1000)
      expect(want.length).toBeGreaterThan(20)
      const r = await server.get(`${LIST}?updated_at[gt]=${t}&sort_asc=updated_at&skip=5&limit=10`)
      expect(idsOf(r)).toEqual(want.slice(5, 15))
      expect(r.json.total_entries).toBe(want.length)
      expect(r.json.skip).toBe(5)
      expect(r.json.limit).toBe(10)
    })

    it('applies skip and limit, total_entries regardless of them', async () => {
      const want = order('_id', 'desc')
      const r = await server.get(`${LIST}?limit=7&skip=5`)
      expect(r.json).toMatchObject({ total_entries: N, skip: 5, limit: 7 })
      expect(idsOf(r)).toEqual(want.slice(5, 12))
      const tail = await server.get(`${LIST}?skip=125`)
      expect(tail.json).toMatchObject({ total_entries: N, skip: 125, limit: 100 })
      expect(idsOf(tail)).toEqual(want.slice(125))
      const beyond = await server.get(`${LIST}?skip=500&limit=3`)
      expect(beyond.json).toEqual({ total_entries: N, skip: 500, limit: 3, items: [] })
      const one = await server.get(`${LIST}?limit=1&sort_asc=created_at`)
      expect(idsOf(one)).toEqual(order('created_at', 'asc').slice(0, 1))
    })

    it('clamps limit to 100 and says so', async () => {
      for (const limit of ['100', '101', '1000', '999999999']) {
        const r = await server.get(`${LIST}?limit=${limit}`)
        expect(r.status).toBe(200)
        expect(r.json.limit).toBe(100)
        expect(r.json.items).toHaveLength(100)
        expect(r.json.total_entries).toBe(N)
      }
      const body = await server.get(LIST, { body: { limit: 1000, skip: 100 } })
      expect(body.json).toMatchObject({ total_entries: N, skip: 100, limit: 100 })
      expect(idsOf(body)).toEqual(order('_id', 'desc').slice(100))
    })

    it('answers count=1 with exactly {"items": {"count": N}}', async () => {
      const r = await server.get(`${LIST}?count=1`)
      expect(r.status).toBe(200)
      expect(r.json).toStrictEqual({ items: { count: N } })
      const filtered = await server.get(`${LIST}?count=1&updated_at=${B}&limit=1&skip=3&sort_asc=created_at`)
      expect(filtered.json).toStrictEqual({ items: { count: dialogs.filter((d) => d.updated_at === iso(B)).length } })
    })

    it('gives identical answers for query string, form body and JSON body', async () => {
      const sets = [
        '',
        'limit=10',
        'sort_asc=updated_at&skip=17&limit=20',
        `sort_desc=created_at&updated_at[gte]=${B + 60}&updated_at[lte]=${B + 180}&limit=50`,
        `updated_at[lt]=${B + 120}&count=1`,
        `_id[in]=${dialogs[3]!._id},${dialogs[9]!._id},${dialogs[77]!._id}&sort_asc=_id`,
        'name[ctn]=dialog%201&sort_desc=updated_at&limit=1000',
      ]
      for (const params of sets) {
        const [q, f, j] = await Promise.all(VIAS.map((via) => listVia(server, LIST, params, via)))
        expect(q!.status, `${params}: ${q!.text}`).toBe(200)
        expect(f!.json, params).toEqual(q!.json)
        expect(j!.json, params).toEqual(q!.json)
      }
    })

    it('merges query string and body, but a parameter in both is a 400', async () => {
      const merged = await server.get(`${LIST}?limit=5`, { body: 'skip=2&sort_asc=_id' })
      expect(idsOf(merged)).toEqual(order('_id', 'asc').slice(2, 7))
      const json = await server.get(`${LIST}?sort_asc=_id`, { body: { limit: 5, skip: 2 } })
      expect(json.json).toEqual(merged.json)
      for (const [query, body] of [
        ['limit=5', 'limit=6'],
        ['limit=5', 'limit=5'],
        [`updated_at[gt]=${B}`, `updated_at[lt]=${B + 500}`],
      ] as const) {
        const r = await server.get(`${LIST}?${query}`, { body })
        expect(r.status).toBe(400)
        expect(Object.keys(r.json.errors)).toContain(query.split(/[[=]/)[0])
        const j = await server.get(`${LIST}?${query}`, { body: jsonOf(body) })
        expect(j.status).toBe(400)
      }
    })
  })

  describe(`Dialogs List round trip (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    // The spec's own example item, verbatim.
    const example: Item = {
      _id: '620e2b1463ee2a1977b4ee65',
      user_id: 32241,
      created_at: '2022-02-17T11:01:40Z',
      updated_at: '2022-02-17T11:01:49Z',
      type: 3,
      occupants_ids: [32241, 32242],
      last_message: 'Warning! People are coming',
      last_message_date_sent: 1645095709,
      last_message_id: '620e2b14e45f5b089d000008',
      last_message_user_id: 32241,
      last_message_status: 'sent',
      name: null,
      description: null,
      photo: null,
      occupants_count: null,
      xmpp_room_jid: null,
      is_e2ee: null,
      admins_ids: [],
      is_muted: null,
      unread_messages_count: null,
      pinned_messages_ids: null,
      deleted_ids: [],
      silent_ids: [],
    }
    // Only what is required, plus a name: no deleted_ids, silent_ids, occupants_ids, ...
    const minimal: Item = { _id: '620e2b2063ee2a1977b4ee66', type: 2, created_at: '2022-02-17T11:01:52Z', updated_at: '2022-02-17T11:01:52.250Z', name: 'bare' }
    const rich = dialogItem(B + 30, {
      type: 2,
      user_id: 7,
      name: 'Rich',
      description: 'all the fields',
      photo: 'https://example.com/p.png',
      occupants_count: 3,
      occupants_ids: [1, 2, 3],
      admins_ids: [1],
      xmpp_room_jid: 'room@muc.example.com',
      is_e2ee: true,
      pinned_messages_ids: ['620e2b14e45f5b089d000008'],
      extensions: { location: 'Sun bar' },
      permissions: { allow_preview: true },
      deleted_ids: [2],
      silent_ids: [3],
      custom_tag: { any: ['json', 1, null] },
    })

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'dialogs', [example, minimal, rich])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('answers every imported dialog deep-equal to what was imported', async () => {
      const r = await server.get(LIST)
      expect(r.json.total_entries).toBe(3)
      const byId = new Map((r.json.items as Item[]).map((i) => [i._id, i]))
      expect(byId.get(example._id)).toStrictEqual(example)
      expect(byId.get(minimal._id)).toStrictEqual(minimal)
      expect(byId.get(rich._id)).toStrictEqual(rich)
      expect(Object.keys(byId.get(minimal._id)!).sort()).toEqual(['_id', 'created_at', 'name', 'type', 'updated_at'])
    })

    it('filters a dialog that lacks a field as having none', async () => {
      const r = await server.get(`${LIST}?occupants_ids[nin]=32241&user_id[ne]=32241`)
      expect(idsOf(r).sort()).toEqual([minimal._id, rich._id].sort())
      const e = await server.get(`${LIST}?updated_at=1645095712`)
      expect(idsOf(e)).toEqual([minimal._id])
    })
  })
}
