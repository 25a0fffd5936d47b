// The export loop's next page is prepared while the client reads the current one
// (src/services/next-page.ts). A prepared page may only be sent when nothing changed since it was
// read: checked here by changing, between two requests of a loop, exactly the rows the prepared
// page holds — a column no filter reads (so no change log sees it), or a delete — and by loops that
// change nothing, which must be served from what was prepared. On PostgreSQL the mark is the
// server's snapshot, which every test file writing to its own database on the same server moves
// too: there a prepared page may go stale for no change of ours, and the tests allow for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { importValues } from '../../src/services/import.ts'
import { listAdminMessages } from '../../src/services/admin-lists.ts'
import type { Item } from '../../src/services/items.ts'
import { NextPages } from '../../src/services/next-page.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { iso, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const DIALOG = '64bb56980000000000000001'
const FROM = 1_690_000_000
const COUNT = 1000

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/** The prepared-page counters from /metrics. */
async function outcomes(server: TestServer): Promise<Record<'served' | 'stale' | 'unused' | 'uncounted', number>> {
  const text = (await server.get('/metrics')).text
  const read = (outcome: string) => Number(new RegExp(`parley_admin_next_pages_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? NaN)
  const uncounted = Number(/parley_admin_next_pages_uncounted_total (\d+)/.exec(text)?.[1] ?? NaN)
  return { served: read('served'), stale: read('stale'), unused: read('unused'), uncounted }
}

for (const kind of STORES) {
  describe(`export loop pages prepared ahead (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const items: Item[] = []
    /** Only this store commits to its database (SQLite); a PostgreSQL server is shared with other test files. */
    const alone = kind.name === 'sqlite'

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      for (let i = 0; i < COUNT; i++) {
        items.push(messageItem(DIALOG, FROM + i, { _id: hex(FROM + i, 8) + hex(i, 16), message: `m${i}`, created_at: iso(FROM + i), updated_at: iso(FROM + i) }))
      }
      await importValues(db.store, 'messages', items)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    /** The documented loop; `between(page, nextIds)` runs before each later request, told which ids that page should hold. */
    async function loop(filter: string, between: (page: number, nextIds: string[]) => Promise<void> = async () => {}): Promise<Array<{ _id: string; message: string }>> {
      const got: Array<{ _id: string; message: string }> = []
      const first = await server.get(`/admin/chat/messages/list?${filter}limit=100`)
      got.push(...first.json.items)
      const pages = Math.ceil(first.json.total_entries / 100)
      for (let page = 1; page < pages; page++) {
        const cursor = got.at(-1)!._id
        await between(page, expectedIds(filter).filter((id) => id < cursor).slice(0, 100))
        const r = await server.get(`/admin/chat/messages/list?${filter}limit=100&_id[lt]=${cursor}`)
        expect(r.status, r.text).toBe(200)
        expect(r.json.total_entries).toBe(expectedIds(filter).filter((id) => id < cursor).length)
        got.push(...r.json.items)
      }
      return got
    }

    const expectedIds = (filter: string) =>
      items
        .filter((i) => !filter.includes('updated_at') || Date.parse(i.updated_at as string) > (FROM + 300) * 1000)
        .map((i) => i._id as string)
        .sort()
        .reverse()

    it('serves the pages it prepared when nothing changed, each as computing it would', async () => {
      for (const filter of ['', `updated_at[gt]=${FROM + 300}&`]) {
        const pages = Math.ceil(expectedIds(filter).length / 100)
        // A loop during which nothing was committed but what the test's own requests write: once on
        // SQLite; on PostgreSQL as many tries as it takes to find one between other files' writes.
        let stale = Infinity
        for (let attempt = 0; attempt < (alone ? 1 : 30) && stale > 1; attempt++) {
          const before = await outcomes(server)
          const got = await loop(filter)
          expect(got.map((i) => i._id)).toEqual(expectedIds(filter))
          const after = await outcomes(server)
          // From the third page on, every page was prepared while the one before it was read, and
          // sent — unless a commit (the audit log's buffered flush, say) came in between.
          expect(after.served - before.served + (after.stale - before.stale)).toBe(pages - 2)
          stale = after.stale - before.stale
          // SQLite: from the fourth page on, the page before was prepared too, from a snapshot with
          // the same mark: the total came from its total, not from a count — and was exact (loop()
          // checks). PostgreSQL prepares a page with its one statement, which derives its total.
          if (kind.name === 'sqlite') expect(after.uncounted - before.uncounted).toBeGreaterThanOrEqual(pages - 3 - 2 * stale)
          else expect(after.uncounted - before.uncounted).toBe(0)
        }
        expect(stale).toBeLessThanOrEqual(1)
      }
    })

    it('computes a page again when a row it holds changed after it was prepared', async () => {
      const before = await outcomes(server)
      const edited = new Map<string, number>()
      let changes = 0
      const got = await loop('', async (page, nextIds) => {
        // Give the page being prepared time to be ready, then change one message it holds: its
        // views_count (a column no filter reads) on even pages, a delete on odd ones.
        await new Promise((r) => setTimeout(r, 20))
        if (page < 2) return
        const id = nextIds[(page * 7) % 100]!
        changes++
        if (page % 2 === 0) {
          edited.set(id, 1000 + page)
          await db.store.db.updateTable('messages').set({ views_count: 1000 + page }).where('id', '=', id).execute()
        } else {
          await db.store.db.deleteFrom('messages').where('id', '=', id).execute()
          items.splice(
            items.findIndex((x) => x._id === id),
            1,
          )
        }
      })
      expect(got.map((i) => i._id)).toEqual(expectedIds(''))
      expect(edited.size).toBeGreaterThan(3)
      for (const item of got as Array<{ _id: string; views_count?: number }>) if (edited.has(item._id)) expect(item.views_count).toBe(edited.get(item._id))
      const after = await outcomes(server)
      // Every page after a change was prepared before it, and computed again (an audit flush may add one).
      expect(after.stale - before.stale).toBeGreaterThanOrEqual(changes)
    })

    it('prepares nothing for requests that jump about', async () => {
      const before = await outcomes(server)
      for (let i = 0; i < 20; i++) {
        const cursor = items[(i * 37) % items.length]!._id as string
        expect((await server.get(`/admin/chat/messages/list?limit=10&_id[lt]=${cursor}`)).status).toBe(200)
      }
      const after = await outcomes(server)
      expect(after).toEqual(before)
    })

    it('counts the total of a prepared page when a commit came between the page before and its preparation', async () => {
      // A store of its own: the shared one takes the audit log's writes of earlier requests, a
      // commit that may land at any moment (250 ms after them) and spoil the scenario.
      const own = await kind.open()
      try {
        await importValues(own.store, 'messages', items)
        const ids = items.map((i) => i._id as string).sort().reverse()
        // Called as the route does, so that the write lands after page 2 is answered and before page 3's
        // preparation (a setImmediate) begins: the write runs in microtasks only (better-sqlite3).
        const nextPages = new NextPages()
        const page = async (cursor: string | null) => JSON.parse(((await listAdminMessages(own.store, { limit: '100', ...(cursor ? { _id: { lt: cursor } } : {}) }, nextPages)) as { page: string }).page)
        const settle = () => new Promise((r) => setTimeout(r, 50))
        const p0 = await page(null)
        const p1 = await page(p0.items.at(-1)._id)
        await settle()
        const p2 = await page(p1.items.at(-1)._id)
        const cursor = p2.items.at(-1)._id as string
        // Below page 3's cursor: its total is one less than page 2's total less its 100 rows.
        const gone = ids.filter((id) => id < cursor)[150]!
        await own.store.db.deleteFrom('messages').where('id', '=', gone).execute()
        await settle()
        const p3 = await page(cursor)
        expect(p3.total_entries).toBe(ids.filter((id) => id < cursor && id !== gone).length)
        expect(p3.total_entries).toBe(p2.total_entries - 101)
        // The scenario as intended: page 2 and page 3 were prepared and sent, page 3 counted. On
        // PostgreSQL the delete may also land after page 3's preparation read its snapshot (the
        // write is not synchronous there): page 3 is then stale and computed again. Either way, no
        // page sent had a total derived across the delete.
        if (alone) expect(nextPages.stats).toMatchObject({ served: 2, uncounted: 0, stale: 0 })
        else {
          expect(nextPages.stats.served + nextPages.stats.stale).toBe(2)
          if (nextPages.stats.stale === 0) expect(nextPages.stats.uncounted).toBe(0)
        }
      } finally {
        await own.drop()
      }
    })

    it('counts the totals of a loop sorted by anything but _id descending', async () => {
      // updated_at in another order than _id: a page then is not the rows between two cursors.
      for (let i = 0; i < items.length; i += 3) {
        const at = (FROM + ((i * 7919) % items.length)) * 1000
        await db.store.db.updateTable('messages').set({ updated_at: at }).where('id', '=', items[i]!._id as string).execute()
      }
      const before = await outcomes(server)
      let cursor: string | null = null
      for (let p = 0; p < 6; p++) {
        const r = await server.get(`/admin/chat/messages/list?limit=100&sort_desc=updated_at${cursor ? `&_id[lt]=${cursor}` : ''}`)
        expect(r.json.total_entries).toBe(cursor ? expectedIds('').filter((id) => id < cursor!).length : expectedIds('').length)
        cursor = r.json.items.at(-1)._id
      }
      const after = await outcomes(server)
      // Pages 2 to 5 continue the loop: prepared, and served unless a commit came in between.
      expect(after.served - before.served + (after.stale - before.stale)).toBe(4)
      if (alone) expect(after.served - before.served).toBeGreaterThanOrEqual(2)
      expect(after.uncounted).toBe(before.uncounted)
    })
  })
}

describe('PARLEY_PREFETCH_PAGES', () => {
  it('is on by default, off with 0, and refused when it is neither', async () => {
    expect(loadConfig({}).server.prefetchPages).toBe(true)
    expect(loadConfig({ PARLEY_PREFETCH_PAGES: '0' }).server.prefetchPages).toBe(false)
    expect(() => loadConfig({ PARLEY_PREFETCH_PAGES: 'sometimes' })).toThrow(/PARLEY_PREFETCH_PAGES/)
    const db = await STORES[0]!.open()
    const server = await startServer(db.store, { PARLEY_PREFETCH_PAGES: '0' })
    try {
      await importValues(db.store, 'messages', Array.from({ length: 350 }, (_, i) => messageItem(DIALOG, FROM + i, { _id: hex(FROM + i, 8) + hex(i, 16) })))
      let cursor = ''
      for (let page = 0; page < 4; page++) {
        const r = await server.get(`/admin/chat/messages/list?limit=100${cursor}`)
        expect(r.json.items.length).toBe(page < 3 ? 100 : 50)
        cursor = `&_id[lt]=${r.json.items.at(-1)?._id}`
      }
      expect((await server.get('/metrics')).text).not.toMatch(/parley_admin_next_pages_total/)
    } finally {
      await server.close()
      await db.drop()
    }
  })
})
