// GET /admin/chat/messages/list through real HTTP: every filter and operator, time precision, sorting
// with ties, skip / limit / count, the three ways of sending parameters, custom parameters, no side
// effects, and the imported item round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { iso, messageItem, objectId } from '../helpers/factories.ts'
import { allPages, expectedOrder, expectListedEveryWay, idsOf, listVia, shortName, VIAS } from '../helpers/lists.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const LIST = '/admin/chat/messages/list'
/** 2022-11-27T11:36:30Z, the spec's example message time. */
const M = 1669548990

/** Three dialogs X, Y, Z; six messages a..f created (and _id-ordered) in that order. */
function filterData() {
  const dialog = { X: objectId(M - 10_000), Y: objectId(M - 9_000), Z: objectId(M - 8_000) }
  const m = (dialogId: string, created: number, overrides: Item) => messageItem(dialogId, created, { created_at: iso(created), ...overrides })
  const messages: Record<string, Item> = {
    a: m(dialog.X, M - 500, {
      updated_at: iso(M - 100),
      sender_id: 10,
      recipient_id: 20,
      date_sent: M - 500,
      message: 'Warning! 100% sure: People are coming',
      attachments: [{ type: 'image', id: '3004' }],
    }),
    b: m(dialog.X, M - 400, {
      updated_at: iso(M - 100),
      sender_id: 20,
      recipient_id: 10,
      date_sent: M - 400,
      message: 'take over the Planet',
      attachments: [
        { type: 'image', id: '1' },
        { type: 'video', id: '2' },
      ],
    }),
    c: m(dialog.Y, M - 300, {
      updated_at: '2022-11-27T11:36:30.500Z',
      sender_id: 10,
      recipient_id: null,
      date_sent: M - 300,
      message: 'the planet is ours',
      attachments: null,
    }),
    d: m(dialog.Y, M - 200, { updated_at: iso(M), sender_id: 30, recipient_id: 10, date_sent: M - 200, message: null, attachments: [] }),
    e: m(dialog.Z, M - 100, { updated_at: iso(M + 1), sender_id: null, recipient_id: 20, date_sent: null, message: 'Planetarium', attachments: [{ type: 'audio', id: '3' }] }),
    f: m(dialog.X, M - 50, {
      updated_at: iso(M + 100),
      sender_id: 20,
      recipient_id: 30,
      date_sent: M - 50,
      message: 'hello',
      attachments: [{ type: 'video', id: '4' }],
      mission: 'take over the planet',
      name: 'intel',
    }),
  }
  return { dialog, messages }
}

/** `values` and others up to 1000 in all, comma-separated: by default seconds long before the data. */
function withOthers(values: Array<string | number>, other: (i: number) => string | number = (i) => M - 100_000 - i * 7): string {
  return [...values, ...Array.from({ length: 1000 - values.length }, (_, i) => other(i))].join(',')
}

/** [parameters ({a}..{f} stand for those messages' _id, {X}..{Z} for the dialogs), the messages that match]. */
const FILTERS: Array<[string, string]> = [
  // updated_at: second precision against the stored ms; c is M + 0.5 s, d is exactly M
  [`updated_at=${M}`, 'cd'],
  [`updated_at=${M}.0`, 'cd'],
  [`updated_at[gt]=${M}`, 'ef'],
  [`updated_at[gt]=${M}.0`, 'ef'],
  [`updated_at[gte]=${M}`, 'cdef'],
  [`updated_at[lt]=${M}`, 'ab'],
  [`updated_at[lt]=${M}.0`, 'ab'],
  [`updated_at[lte]=${M}`, 'abcd'],
  [`updated_at[lt]=${M + 1}`, 'abcd'],
  [`updated_at[lte]=${M + 1}`, 'abcde'],
  [`updated_at=${M - 100}`, 'ab'],
  [`updated_at[gt]=${M - 100}&updated_at[lt]=${M + 100}`, 'cde'],
  [`updated_at[gte]=${M - 100}&updated_at[lte]=${M}`, 'abcd'],
  [`updated_at[ne]=${M}`, 'abef'],
  [`updated_at[in]=${M - 100},${M + 1}`, 'abe'],
  [`updated_at[nin]=${M}`, 'abef'],
  // created_at
  [`created_at=${M - 300}`, 'c'],
  [`created_at[gt]=${M - 300}`, 'def'],
  [`created_at[gte]=${M - 300}`, 'cdef'],
  [`created_at[lt]=${M - 300}`, 'ab'],
  [`created_at[lte]=${M - 300}`, 'abc'],
  [`created_at[gte]=${M - 400}&created_at[lt]=${M - 100}`, 'bcd'],
  // _id, including the spec's curl example shape
  ['_id={c}', 'c'],
  ['_id={C}', 'c'],
  ['_id[gt]={c}', 'def'],
  ['_id[gte]={c}', 'cdef'],
  ['_id[lt]={c}', 'ab'],
  ['_id[lte]={c}', 'abc'],
  ['_id[gt]={a}&_id[lt]={e}', 'bcd'],
  ['_id[ne]={a}', 'bcdef'],
  ['_id[in]={a},{f}', 'af'],
  ['_id[nin]={a},{f}', 'bcde'],
  // chat_dialog_id
  ['chat_dialog_id={X}', 'abf'],
  ['chat_dialog_id={XU}', 'abf'],
  ['chat_dialog_id={Z}', 'e'],
  ['chat_dialog_id[ne]={X}', 'cde'],
  ['chat_dialog_id[in]={Y},{Z}', 'cde'],
  ['chat_dialog_id[nin]={X},{Y}', 'e'],
  ['chat_dialog_id=620e2b1463ee2a1977b4ee65', ''],
  // sender_id (e has none)
  ['sender_id=10', 'ac'],
  ['sender_id[ne]=10', 'bdef'],
  ['sender_id[in]=20,30', 'bdf'],
  ['sender_id[nin]=10,20', 'de'],
  ['sender_id[gt]=10', 'bdf'],
  ['sender_id[lte]=20', 'abcf'],
  // recipient_id (c has none)
  ['recipient_id=10', 'bd'],
  ['recipient_id[ne]=10', 'acef'],
  ['recipient_id[in]=20,30', 'aef'],
  ['recipient_id[nin]=10,20', 'cf'],
  // date_sent (e has none)
  [`date_sent=${M - 300}`, 'c'],
  [`date_sent[gt]=${M - 400}`, 'cdf'],
  [`date_sent[gte]=${M - 200}`, 'df'],
  [`date_sent[lt]=${M - 400}`, 'a'],
  [`date_sent[lte]=${M - 400}`, 'ab'],
  [`date_sent[gt]=${M - 400}&date_sent[lte]=${M - 200}`, 'cd'],
  [`date_sent[ne]=${M - 300}`, 'abdef'],
  [`date_sent[in]=${M - 300},${M - 50}`, 'cf'],
  [`date_sent[nin]=${M - 500},${M - 400}`, 'cdef'],
  // message (d has none): ctn is a case-sensitive substring, with no wildcards
  ['message=hello', 'f'],
  ['message=the%20planet%20is%20ours', 'c'],
  ['message[ctn]=Planet', 'be'],
  ['message[ctn]=planet', 'c'],
  ['message[ctn]=PLANET', ''],
  ['message[ctn]=%25', 'a'],
  ['message[ctn]=0%25%20s', 'a'],
  ['message[ctn]=_', ''],
  ['message[ne]=hello', 'abcde'],
  ['message[in]=hello,Planetarium', 'ef'],
  ['message[nin]=hello,Planetarium', 'abcd'],
  // attachments.type (c has none, d an empty list)
  ['attachments.type=image', 'ab'],
  ['attachments.type[in]=video,audio', 'bef'],
  ['attachments.type[all]=image,video', 'b'],
  ['attachments.type[all]=video', 'bf'],
  ['attachments.type[ne]=image', 'cdef'],
  ['attachments.type[nin]=image,video', 'cde'],
  // lists of 1000, the most a list takes: one test each, never an OR of 1000 (SQLite's depth limit)
  [`updated_at[in]=${withOthers([M])}`, 'cd'],
  [`updated_at[nin]=${withOthers([M, M + 1])}`, 'abf'],
  [`created_at[in]=${withOthers([M - 500, M - 50])}`, 'af'],
  [`chat_dialog_id={X}&updated_at[in]=${withOthers([M - 100])}&sort_asc=updated_at`, 'ba'],
  [`attachments.type[in]=${withOthers(['video', 'audio'], (i) => `t${i}`)}`, 'bef'],
  [`attachments.type[nin]=${withOthers(['image', 'video'], (i) => `t${i}`)}`, 'cde'],
  [`attachments.type[all]=${withOthers(['image', 'video'], (i) => (i % 2 ? 'image' : 'video'))}`, 'b'],
  [`attachments.type[all]=${withOthers(['video'], () => 'video')}`, 'bf'],
  // several at once
  ['chat_dialog_id={X}&sender_id=20', 'bf'],
  [`chat_dialog_id={X}&updated_at[gt]=${M - 100}`, 'f'],
  ['chat_dialog_id={Y}&message[ctn]=planet', 'c'],
  [`chat_dialog_id={X}&_id[lt]={f}&date_sent[gte]=${M - 400}`, 'b'],
]

for (const kind of STORES) {
  describe(`Messages List filters (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const { dialog, messages } = filterData()
    const keyOf = new Map(Object.entries(messages).map(([k, m]) => [m._id as string, k]))
    const fill = (template: string) =>
      template.replace(/\{([a-fA-F]|[XYZ]U?)\}/g, (_, k: string) => {
        if (/^[XYZ]/.test(k)) {
          const id = dialog[k[0] as 'X' | 'Y' | 'Z']
          return k.endsWith('U') ? id.toUpperCase() : id
        }
        const id = messages[k.toLowerCase()]!._id as string
        return k === k.toUpperCase() ? id.toUpperCase() : id
      })

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'messages', Object.values(messages).reverse())
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    for (const [template, expected] of FILTERS) {
      it(`${shortName(template)} → ${expected || 'nothing'}`, async () => {
        const params = fill(template)
        const want = expected.split('').reverse()
        await expectListedEveryWay(server, LIST, params, keyOf, want)
      })
    }

    it('answers the items exactly as imported, custom parameters as top-level keys', async () => {
      const r = await server.get(`${LIST}?chat_dialog_id=${dialog.X}`)
      expect(r.json.items).toEqual([messages.f, messages.b, messages.a])
      const f = r.json.items[0]
      expect(f.mission).toBe('take over the planet')
      expect(f.name).toBe('intel')
      expect(f.read).toBe(0)
      const c = await server.get(`${LIST}?_id=${messages.c!._id}`)
      expect(c.json.items[0].updated_at).toBe('2022-11-27T11:36:30.500Z')
    })

    it('counts the matches with count=1, skip and limit aside', async () => {
      for (const via of VIAS) {
        const r = await listVia(server, LIST, `count=1&chat_dialog_id=${dialog.X}&skip=2&limit=1`, via)
        expect(r.json).toStrictEqual({ items: { count: 3 } })
      }
      expect((await server.get(`${LIST}?count=1`)).json).toStrictEqual({ items: { count: 6 } })
      expect((await server.get(`${LIST}?count=1&message[ctn]=nobody`)).json).toStrictEqual({ items: { count: 0 } })
    })
  })

  describe(`Messages List order and paging (${kind.name})`, () => {
    const N = 140
    let db: TestStore
    let server: TestServer
    const dialogs = [objectId(M - 300_000), objectId(M - 300_000)]
    const messages: Item[] = []
    for (let i = 0; i < N; i++) {
      const created = M - 100_000 + Math.floor(((i * 41) % N) / 4)
      messages.push(
        messageItem(dialogs[i % 3 === 0 ? 0 : 1]!, M - 200_000 + i, {
          created_at: iso(created),
          updated_at: iso(M + ((i * 3) % 4) * 60),
          message: `message ${i}`,
        }),
      )
    }
    const ms = (t: unknown) => Date.parse(t as string)
    const order = (field: 'created_at' | 'updated_at' | '_id', dir: 'asc' | 'desc', list: Item[] = messages) => expectedOrder(list, field, dir)

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'messages', [...messages].sort((x, y) => ((x.message as string) < (y.message as string) ? -1 : 1)))
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('has real ties to break', () => {
      expect(new Set(messages.map((m) => m.updated_at)).size).toBe(4)
      expect(new Set(messages.map((m) => m.created_at)).size).toBeLessThan(N / 3)
    })

    it('defaults to _id descending, 100 a page, skip 0', async () => {
      const r = await server.get(LIST)
      expect(r.json).toMatchObject({ total_entries: N, skip: 0, limit: 100 })
      expect(idsOf(r)).toEqual(order('_id', 'desc').slice(0, 100))
    })

    for (const field of ['created_at', 'updated_at', '_id'] as const) {
      for (const dir of ['asc', 'desc'] as const) {
        it(`sort_${dir}=${field} is total, ties broken by _id ${dir}`, async () => {
          const want = order(field, dir)
          expect(idsOf(await server.get(`${LIST}?sort_${dir}=${field}`))).toEqual(want.slice(0, 100))
          expect(await allPages(server, LIST, `sort_${dir}=${field}`, 30)).toEqual(want)
          // within one dialog too (the dialog + time indexes)
          const inDialog = messages.filter((m) => m.chat_dialog_id === dialogs[1])
          expect(await allPages(server, LIST, `chat_dialog_id=${dialogs[1]}&sort_${dir}=${field}`, 40)).toEqual(order(field, dir, inDialog))
        })
      }
    }

    it('applies skip and limit, total_entries regardless of them', async () => {
      const inDialog = messages.filter((m) => m.chat_dialog_id === dialogs[0])
      const want = order('updated_at', 'desc', inDialog)
      const r = await server.get(`${LIST}?chat_dialog_id=${dialogs[0]}&sort_desc=updated_at&skip=4&limit=9`)
      expect(r.json).toMatchObject({ total_entries: inDialog.length, skip: 4, limit: 9 })
      expect(idsOf(r)).toEqual(want.slice(4, 13))
      const beyond = await server.get(`${LIST}?skip=${N}`)
      expect(beyond.json).toEqual({ total_entries: N, skip: N, limit: 100, items: [] })
    })

    it('clamps limit to 100 and says so', async () => {
      for (const via of VIAS) {
        const r = await listVia(server, LIST, 'limit=1000', via)
        expect(r.json.limit).toBe(100)
        expect(r.json.items).toHaveLength(100)
        expect(r.json.total_entries).toBe(N)
      }
    })

    it('answers count=1 with exactly {"items": {"count": N}}', async () => {
      expect((await server.get(`${LIST}?count=1`)).json).toStrictEqual({ items: { count: N } })
      const t = M + 60
      const n = messages.filter((m) => ms(m.updated_at) > t * 1000 && m.chat_dialog_id === dialogs[1]).length
      expect(n).toBeGreaterThan(0)
      const r = await server.get(LIST, { body: `count=1&updated_at[gt]=${t}&chat_dialog_id=${dialogs[1]}` })
      expect(r.json).toStrictEqual({ items: { count: n } })
    })

    it('gives identical answers for query string, form body and JSON body', async () => {
      const sets = [
        '',
        `chat_dialog_id=${dialogs[0]}`,
        `chat_dialog_id=${dialogs[1]}&sort_asc=created_at&skip=11&limit=13`,
        `_id[lte]=${messages[70]!._id}&sort_desc=updated_at`,
        `updated_at[gt]=${M + 60}&updated_at[lte]=${M + 120}&count=1`,
        `message[in]=message%205,message%2077&sort_asc=_id`,
      ]
      for (const params of sets) {
        const [q, f, j] = await Promise.all(VIAS.map((via) => listVia(server, LIST, params, via)))
        expect(q!.status, `${params}: ${q!.text}`).toBe(200)
        expect(f!.json, params).toEqual(q!.json)
        expect(j!.json, params).toEqual(q!.json)
      }
    })

    it('rejects a parameter given in both the query string and the body', async () => {
      const r = await server.get(`${LIST}?chat_dialog_id=${dialogs[0]}`, { body: `chat_dialog_id=${dialogs[1]}` })
      expect(r.status).toBe(400)
      expect(Object.keys(r.json.errors)).toEqual(['chat_dialog_id'])
      const j = await server.get(`${LIST}?sort_asc=_id`, { body: { sort_asc: '_id' } })
      expect(j.status).toBe(400)
      expect(Object.keys(j.json.errors)).toEqual(['sort_asc'])
    })
  })

  describe(`Messages List round trip and side effects (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    // The spec's own example item, verbatim (userExtraData, mission and name are custom parameters).
    const example: Item = {
      _id: '63834bbecf1efb102da40f2c',
      chat_dialog_id: '61721539107bd9002fdb84ed',
      message: 'Warning! People are coming! Right Now. By Http',
      date_sent: 1669548990,
      sender_id: 4980089,
      recipient_id: 4997495,
      created_at: '2022-11-27T11:36:31Z',
      updated_at: '2022-11-27T11:36:31Z',
      read_ids: [4980089],
      delivered_ids: [4980089],
      userExtraData: null,
      mission: 'take over the planet',
      name: 'intel',
      attachments: [{ type: 'image', id: '3004' }],
      reactions: null,
      views_count: 0,
      edited_at: null,
      read: 0,
    }
    // Lacks every optional field: no deleted_for_ids, read_ids, attachments, read, ...
    const minimal: Item = {
      _id: '63834bc0cf1efb102da40f2d',
      chat_dialog_id: '61721539107bd9002fdb84ed',
      created_at: '2022-11-27T11:36:32Z',
      updated_at: '2022-11-27T11:36:32Z',
      message: 'bare',
    }
    const rich = messageItem('61721539107bd9002fdb84ed', M + 5, {
      created_at: '2022-11-27T11:36:35.120Z',
      updated_at: '2022-11-27T11:40:00.999Z',
      read_ids: [],
      delivered_ids: [4980089, 4997495],
      deleted_for_ids: [4997495],
      attachments: [{ type: 'file', id: '9', url: 'https://example.com/f', size: 12 }],
      reactions: { '👍': [4980089] },
      views_count: 12,
      edited_at: 1669549000,
      nested: { deep: { list: [1, 'two', null, true] } },
    })

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'messages', [example, minimal, rich])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('answers every imported message deep-equal to what was imported', async () => {
      const r = await server.get(LIST)
      expect(r.json.total_entries).toBe(3)
      const byId = new Map((r.json.items as Item[]).map((i) => [i._id, i]))
      expect(byId.get(example._id)).toStrictEqual(example)
      expect(byId.get(minimal._id)).toStrictEqual(minimal)
      expect(byId.get(minimal._id)).not.toHaveProperty('deleted_for_ids')
      expect(byId.get(minimal._id)).not.toHaveProperty('read')
      expect(byId.get(rich._id)).toStrictEqual(rich)
    })

    it('filters a message that lacks a field as having none', async () => {
      const r = await server.get(`${LIST}?sender_id[ne]=4980089&attachments.type[nin]=image`)
      expect(idsOf(r)).toEqual([minimal._id])
    })

    it('marks nothing as read or delivered', async () => {
      const before = await server.get(LIST)
      for (const params of ['', 'chat_dialog_id=61721539107bd9002fdb84ed', `_id=${example._id}`, 'sort_asc=updated_at&limit=1']) {
        expect((await server.get(`${LIST}?${params}`)).status).toBe(200)
        expect((await server.get(LIST, { body: params })).status).toBe(200)
      }
      const after = await server.get(LIST)
      expect(after.json).toEqual(before.json)
      const byId = new Map((after.json.items as Item[]).map((i) => [i._id, i]))
      expect(byId.get(example._id)!.read_ids).toEqual([4980089])
      expect(byId.get(example._id)!.delivered_ids).toEqual([4980089])
      expect(byId.get(example._id)!.read).toBe(0)
      expect(byId.get(rich._id)!.read_ids).toEqual([])
      const rows = await db.store.db.selectFrom('messages').select(['id', 'read_ids', 'updated_at']).execute()
      const row = rows.find((x) => x.id === example._id)!
      expect(db.store.dialect.decodeJson(row.read_ids)).toEqual([4980089])
      expect(Number(row.updated_at)).toBe(Date.parse(example.updated_at as string))
    })
  })
}
