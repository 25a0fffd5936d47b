// The spec's NodeJS example, written as the spec writes it (plain fetch, `?limit=100`, then
// `?limit=100&_id[lt]=<last _id>` for Math.ceil(total_entries / limit) - 1 more pages), must fetch
// every item exactly once — unfiltered, with a filter added to every request, and while new items
// arrive between its requests; and the streaming export must give what it gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, iso, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const B = 1645095700
const M = 1669548990
const DIALOGS = 250
const MESSAGES = 1050

/** The documented loop, with `filter` (may be '') in front of every request's parameters; `between` runs before each later request. */
async function documentedLoop(
  url: string,
  key: string,
  filter: string,
  between: (i: number) => Promise<void> = async () => {},
): Promise<{ total_entries: number; all: Item[]; requests: number }> {
  const headers = { 'CB-Administration-API-Key': key }
  const limit = 100
  const pre = filter ? `${filter}&` : ''
  let requests = 0

  let allItems: Item[] = []

  requests++
  const firstResponse = await fetch(`${url}?${pre}limit=${limit}`, { headers }).then((response) => response.json())
  const { total_entries, items } = firstResponse

  allItems = allItems.concat(items)

  const totalBatchesCount = Math.ceil(total_entries / limit)

  for (let i = 1; i < totalBatchesCount; ++i) {
    const lastRetrievedItem = allItems.at(-1)!
    const lastId = lastRetrievedItem['_id']

    await between(i)
    requests++
    const nextResponse = await fetch(`${url}?${pre}limit=${limit}&_id[lt]=${lastId}`, { headers }).then((response) => response.json())
    const { items } = nextResponse

    allItems = allItems.concat(items)
  }

  return { total_entries, all: allItems, requests }
}

function expectEachOnce(all: Item[], expected: Item[]): void {
  const ids = all.map((i) => i._id as string)
  expect(new Set(ids).size, 'no item fetched twice').toBe(ids.length)
  expect([...ids].sort()).toEqual(expected.map((i) => i._id as string).sort())
  // and what came back is the items themselves
  const byId = new Map(expected.map((i) => [i._id, i]))
  for (const item of all) expect(item).toEqual(byId.get(item._id))
}

for (const kind of STORES) {
  describe(`the documented NodeJS loop (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const dialogs: Item[] = []
    const messages: Item[] = []
    for (let i = 0; i < DIALOGS; i++) {
      // _id times out of step with the index; updated_at in 25 buckets, so many ties
      const created = B - 1_000_000 + ((i * 97) % DIALOGS) * 60
      dialogs.push(dialogItem(created, { type: (i % 4) + 1, name: `dialog ${i}`, updated_at: iso(B + (i % 25) * 3600) }))
    }
    const busy = dialogs[7]!._id as string
    for (let i = 0; i < MESSAGES; i++) {
      const dialogId = i < 420 ? busy : (dialogs[1 + (i % (DIALOGS - 1))]!._id as string)
      // three messages a second share an _id time; updated_at in 7 buckets
      const created = M - 100_000 + Math.floor(((i * 613) % MESSAGES) / 3)
      messages.push(messageItem(dialogId, created, { created_at: iso(created), updated_at: iso(created + (i % 7) * 1000), message: `message ${i}` }))
    }

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      // in two runs and out of order: storage order must not matter
      const shuffled = [...messages].sort((x, y) => ((x.message as string) < (y.message as string) ? -1 : 1))
      await importValues(db.store, 'messages', shuffled.slice(0, 600))
      await importValues(db.store, 'messages', shuffled.slice(600))
      await importValues(db.store, 'dialogs', [...dialogs].reverse())
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it(`fetches all ${MESSAGES} messages exactly once`, async () => {
      const { total_entries, all, requests } = await documentedLoop(`${server.url}/admin/chat/messages/list`, server.key, '')
      expect(total_entries).toBe(MESSAGES)
      expect(requests).toBe(Math.ceil(MESSAGES / 100))
      expect(all).toHaveLength(MESSAGES)
      expectEachOnce(all, messages)
    })

    it(`fetches all ${DIALOGS} dialogs exactly once`, async () => {
      const { total_entries, all, requests } = await documentedLoop(`${server.url}/admin/chat/list`, server.key, '')
      expect(total_entries).toBe(DIALOGS)
      expect(requests).toBe(3)
      expect(all).toHaveLength(DIALOGS)
      expectEachOnce(all, dialogs)
    })

    it('fetches every message of a dialog updated after T exactly once', async () => {
      const T = M - 100_000 + 150 + 2000
      const expected = messages.filter((m) => m.chat_dialog_id === busy && Date.parse(m.updated_at as string) > T * 1000)
      // enough for several pages, not a multiple of 100
      expect(expected.length).toBeGreaterThan(200)
      expect(expected.length % 100).not.toBe(0)
      const filter = `updated_at[gt]=${T}&chat_dialog_id=${busy}`
      const { total_entries, all, requests } = await documentedLoop(`${server.url}/admin/chat/messages/list`, server.key, filter)
      expect(total_entries).toBe(expected.length)
      expect(requests).toBe(Math.ceil(expected.length / 100))
      expectEachOnce(all, expected)
    })

    it('fetches every dialog updated after T exactly once', async () => {
      const T = B + 7 * 3600
      const expected = dialogs.filter((d) => Date.parse(d.updated_at as string) > T * 1000)
      expect(expected.length).toBeGreaterThan(100)
      const { total_entries, all } = await documentedLoop(`${server.url}/admin/chat/list`, server.key, `updated_at[gt]=${T}`)
      expect(total_entries).toBe(expected.length)
      expectEachOnce(all, expected)
      const groups = expected.filter((d) => d.type === 2)
      const typed = await documentedLoop(`${server.url}/admin/chat/list`, server.key, `updated_at[gt]=${T}&type=2`)
      expect(typed.total_entries).toBe(groups.length)
      expectEachOnce(typed.all, groups)
    })

    it('agrees with the streaming export, item for item', async () => {
      for (const [list, exported] of [
        ['/admin/chat/messages/list', '/admin/chat/messages/export'],
        ['/admin/chat/list', '/admin/chat/export'],
      ] as const) {
        const { all } = await documentedLoop(`${server.url}${list}`, server.key, '')
        const text = await fetch(`${server.url}${exported}`, { headers: { 'CB-Administration-API-Key': server.key } }).then((r) => r.text())
        const streamed = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Item)
        expect(streamed).toEqual(all)
      }
    })

    // Last: it adds messages.
    it('fetches every message that existed at the start exactly once while new ones arrive between its requests', async () => {
      let n = 0
      const arriving = async () => {
        // newer than everything: larger ObjectIds, as a live server hands out
        const batch = Array.from({ length: 30 }, () => messageItem(busy, M + 1_000 + n++, { message: `arrived ${n}` }))
        await importValues(db.store, 'messages', batch)
      }
      const { total_entries, all, requests } = await documentedLoop(`${server.url}/admin/chat/messages/list`, server.key, '', arriving)
      expect(total_entries).toBe(MESSAGES)
      expect(requests).toBe(Math.ceil(MESSAGES / 100))
      expect(n).toBe(30 * (requests - 1))
      expectEachOnce(all, messages)
    })
  })
}
