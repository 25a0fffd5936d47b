// GET /admin/chat/messages/per_day: messages the list filters match, per UTC day of created_at,
// checked against a count made in the test from the items themselves; its bound and its errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { random } from '../../src/services/demo-data.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const DAY = 86_400
/** A midnight UTC, so that day edges are known: 2022-02-17T00:00:00Z. */
const D0 = 1645056000
const SENDERS = [11, 12, 13]
const TYPES = ['image', 'video', 'file']

const rnd = random(7)
const dialogs = [0, 1, 2].map((i) => dialogItem(D0 - DAY + i))
const messages: Item[] = []
for (let i = 0; i < 1500; i++) {
  // 25 days, unevenly: a spike on day 9, none on days 4 and 17, and times on both sides of midnight.
  let day = Math.floor(rnd() * 25)
  if (day === 4 || day === 17) day = 9
  const second = rnd() < 0.2 ? (rnd() < 0.5 ? 0 : DAY - 1) : Math.floor(rnd() * DAY)
  const t = D0 + day * DAY + second
  messages.push(
    messageItem(dialogs[i % 3]!._id as string, t, {
      sender_id: SENDERS[Math.floor(rnd() * 3)]!,
      attachments: rnd() < 0.5 ? [] : [{ type: TYPES[Math.floor(rnd() * 3)]!, id: String(i) }],
    }),
  )
}
// A dialog whose messages are 400 and 401 days apart: the bound's edge.
const far = dialogItem(D0 - DAY + 3)
const farMessages = [0, 399, 400].map((d) => messageItem(far._id as string, D0 + 30 * DAY + d * DAY + 5))

const created = (m: Item) => Date.parse(m.created_at as string) / 1000
const dayOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10)

/** The expected answer, counted from the items: every day from the first to the last, zeros included. */
function bruteForce(match: (m: Item) => boolean): Array<{ day: string; count: number }> {
  const times = [...messages, ...farMessages].filter(match).map(created)
  if (times.length === 0) return []
  const first = Math.floor(Math.min(...times) / DAY)
  const last = Math.floor(Math.max(...times) / DAY)
  const out = []
  for (let d = first; d <= last; d++) out.push({ day: dayOf(d * DAY), count: times.filter((t) => Math.floor(t / DAY) === d).length })
  return out
}

for (const kind of STORES) {
  describe(`messages per day (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'dialogs', [...dialogs, far])
      await importValues(db.store, 'messages', [...messages, ...farMessages])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    const inMain = (m: Item) => m.chat_dialog_id !== far._id
    const cases: Array<[string, (m: Item) => boolean]> = [
      [`created_at[lt]=${D0 + 30 * DAY}`, () => true],
      [`chat_dialog_id=${dialogs[1]!._id}`, (m) => m.chat_dialog_id === dialogs[1]!._id],
      [`sender_id=12&created_at[lt]=${D0 + 30 * DAY}`, (m) => m.sender_id === 12],
      [`created_at[gte]=${D0 + 3 * DAY}&created_at[lt]=${D0 + 10 * DAY}`, (m) => created(m) >= D0 + 3 * DAY && created(m) < D0 + 10 * DAY],
      [`created_at[gt]=${D0 + 9 * DAY - 1}&created_at[lte]=${D0 + 9 * DAY}`, (m) => created(m) > D0 + 9 * DAY - 1 && created(m) <= D0 + 9 * DAY],
      [`attachments.type[in]=video,file&sender_id[ne]=11&chat_dialog_id[ne]=${far._id}`, (m) => (m.attachments as Item[]).some((a) => a.type === 'video' || a.type === 'file') && m.sender_id !== 11],
      [`_id[lt]=${messages[700]!._id}&created_at[lt]=${D0 + 30 * DAY}`, (m) => (m._id as string) < (messages[700]!._id as string)],
      [`sender_id=99`, () => false],
      [`chat_dialog_id=${far._id}&created_at[lt]=${D0 + 430 * DAY + 5}`, (m) => m.chat_dialog_id === far._id && created(m) < D0 + 430 * DAY + 5],
    ]
    it.each(cases)('counts exactly what the list matches: %s', async (filter, match) => {
      const r = await server.get(`/admin/chat/messages/per_day?${filter}`)
      expect(r.status, r.text).toBe(200)
      const expected = bruteForce((m) => (filter.includes(String(far._id)) || inMain(m)) && match(m))
      expect(r.json).toEqual(expected)
      const listed = await server.get(`/admin/chat/messages/list?${filter}&count=1`)
      expect(r.json.reduce((n: number, d: { count: number }) => n + d.count, 0)).toBe(listed.json.items.count)
    })

    it('answers every day in the span, the empty ones as 0, and 400 days at most', async () => {
      const main = (await server.get(`/admin/chat/messages/per_day?created_at[lt]=${D0 + 30 * DAY}`)).json
      expect(main.map((d: { day: string }) => d.day).slice(0, 2)).toEqual(['2022-02-17', '2022-02-18'])
      expect(main.find((d: { day: string }) => d.day === '2022-02-21')).toEqual({ day: '2022-02-21', count: 0 })
      const edge = (await server.get(`/admin/chat/messages/per_day?chat_dialog_id=${far._id}&created_at[lt]=${D0 + 430 * DAY}`)).json
      expect(edge).toHaveLength(400)
      expect([edge[0].count, edge[1].count, edge[399].count]).toEqual([1, 0, 1])
    })

    it('is a 400 naming created_at when the matching messages span more than 400 days', async () => {
      for (const filter of [`chat_dialog_id=${far._id}`, '']) {
        const r = await server.get(`/admin/chat/messages/per_day?${filter}`)
        expect(r.status).toBe(400)
        expect(Object.keys(r.json.errors)).toEqual(['created_at'])
        expect(r.json.errors.created_at[0]).toMatch(/at most 400.*created_at\[gte\]/)
      }
    })

    it('takes the list filters from a GET body too, and names every bad parameter', async () => {
      const body = await server.get('/admin/chat/messages/per_day', { body: `sender_id=13&created_at[lt]=${D0 + 30 * DAY}` })
      expect(body.json).toEqual(bruteForce((m) => inMain(m) && m.sender_id === 13))
      const r = await server.get('/admin/chat/messages/per_day?limit=10&skip=1&sort_desc=_id&count=1&sender_id=x')
      expect(r.status).toBe(400)
      expect(Object.keys(r.json.errors).sort()).toEqual(['count', 'limit', 'sender_id', 'skip', 'sort_desc'])
      const typo = await server.get('/admin/chat/messages/per_day?sendr_id=1')
      expect(typo.status).toBe(400)
      expect(Object.keys(typo.json.errors)).toEqual(['sendr_id'])
    })

    it('needs the admin key', async () => {
      expect((await server.get('/admin/chat/messages/per_day', { key: null })).status).toBe(401)
    })
  })
}
