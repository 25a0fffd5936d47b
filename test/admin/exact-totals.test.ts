// total_entries is exact on every page of the documented loop while the data changes between pages:
// inserts above, below and beside the cursor, updates across T and between dialogs, deletes,
// upserts of existing ids, id changes — made through other pools/connections too (other processes).
// After every page the total is compared with a brute-force count made right after it. The `_id`
// loops must also have been served from kept counts (one full count per loop), so that what is
// checked is the delta arithmetic, not a COUNT(*) each time. On SQLite once more with that full
// count read on the count thread (store/count-thread.ts) while the writes go on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { createStore, type Store } from '../../src/store/connect.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { bruteForce, Churn, type Filter, type World } from '../helpers/churn.ts'
import { dialogItem, iso, messageItem } from '../helpers/factories.ts'
import { SQLITE_COUNT_THREAD, STORES, type TestStore } from '../helpers/stores.ts'
import type { CountStats } from '../../src/store/counts.ts'

const FROM = 1_690_000_000
const SPAN = 30_000
const MESSAGES = 3000
const MAX_PAGES = 45

/** Counts from scratch: read in the request's snapshot, or on the count thread and derived from. */
const fromScratch = (s: CountStats): number => s.full + s.aside

for (const kind of [...STORES, SQLITE_COUNT_THREAD]) {
  describe(`exact total_entries under writes between pages (${kind.label})`, () => {
    let db: TestStore
    let other: Store
    let server: TestServer
    const dialogs = [0, 1, 2, 3].map((i) => dialogItem(FROM - 1000 + i)._id as string)
    const world: World = { dialogs, T: FROM + 20_000, from: FROM, to: FROM + SPAN }
    const seedChurn = new Churn(world, 7)

    const filters: Array<Filter & { byId: boolean }> = [
      { params: '', byId: true },
      { params: `updated_at[gt]=${world.T}`, updatedAfter: world.T, byId: true },
      { params: `chat_dialog_id=${dialogs[0]}`, dialog: dialogs[0], byId: true },
      { params: `chat_dialog_id=${dialogs[0]}&updated_at[gt]=${world.T}`, dialog: dialogs[0], updatedAfter: world.T, byId: true },
      { params: `sort_desc=updated_at&updated_at[gt]=${world.T}`, updatedAfter: world.T, byId: false },
    ]

    beforeAll(async () => {
      db = await kind.open()
      // A second pool (PostgreSQL) or connection (SQLite): another process's writes.
      other = createStore(db.config)
      server = await startServer(db.store)
      const rnd = seedChurn.rnd
      const items: Item[] = []
      for (let i = 0; i < MESSAGES; i++) {
        const created = FROM + Math.floor(rnd() * SPAN)
        // dialog 0 holds half the messages: several pages with chat_dialog_id
        const dialog = rnd() < 0.5 ? dialogs[0]! : dialogs[1 + Math.floor(rnd() * 3)]!
        const updated = created + Math.floor(rnd() * 10_000)
        items.push(messageItem(dialog, created, { _id: seedChurn.idAt(created), created_at: iso(created), updated_at: iso(updated) }))
      }
      await importValues(db.store, 'messages', items)
    })
    afterAll(async () => {
      await server.close()
      await other.close()
      await db.drop()
    })

    filters.forEach((filter, n) => {
      it(`the documented loop with ${filter.params || 'no filter'}: exact on every page`, async () => {
        const churn = new Churn(world, 100 + n)
        const stores = [db.store, other]
        db.store.counts.clear()
        const before = { ...db.store.counts.stats }
        let cursor: string | null = null
        let pages = 0
        while (pages < MAX_PAGES) {
          if (pages > 0) await churn.writes(stores, Math.floor(churn.rnd() * 7), cursor)
          pages++
          const params = [filter.params, 'limit=100', cursor ? `_id[lt]=${cursor}` : ''].filter(Boolean).join('&')
          const r = await server.get(`/admin/chat/messages/list?${params}`)
          expect(r.status, r.text).toBe(200)
          const expected = await bruteForce(db.store, filter, cursor)
          const context = `page ${pages} of ${params}; writes: ${churn.done.slice(-8).join(', ')}`
          expect(r.json.total_entries, context).toBe(expected)
          expect(r.json.items.length, context).toBe(Math.min(100, expected))
          if (r.json.items.length < 100) break
          cursor = r.json.items.at(-1)._id
        }
        expect(pages).toBeGreaterThan(3)
        const stats = db.store.counts.stats
        expect(stats.anomalies).toBe(before.anomalies)
        if (filter.byId) {
          // One COUNT(*) for the first page, every later total derived from the page before: once
          // for the answer, and at most once more for the page prepared ahead of it (next-page.ts).
          expect(fromScratch(stats) - fromScratch(before)).toBe(1)
          expect(stats.full - before.full).toBe(kind === SQLITE_COUNT_THREAD ? 0 : 1)
          expect(stats.delta - before.delta).toBeGreaterThanOrEqual(pages - 1)
          expect(stats.delta - before.delta).toBeLessThanOrEqual(2 * (pages - 1) + stats.aside - before.aside)
        }
      })
    })

    it('skip-paging: the same exact total on every page, writes between pages', async () => {
      const churn = new Churn(world, 300)
      for (const filter of filters.slice(0, 4)) {
        db.store.counts.clear()
        const before = { ...db.store.counts.stats }
        for (let page = 0; page < 8; page++) {
          if (page % 2 === 1) await churn.writes([db.store, other], 1 + Math.floor(churn.rnd() * 5), null)
          const params = [filter.params, 'limit=100', `skip=${page * 100}`].filter(Boolean).join('&')
          const r = await server.get(`/admin/chat/messages/list?${params}`)
          expect(r.status, r.text).toBe(200)
          expect(r.json.total_entries, `${params}; writes: ${churn.done.slice(-6).join(', ')}`).toBe(await bruteForce(db.store, filter, null))
        }
        // the same range each time: one COUNT(*), then the kept count brought up to date
        expect(fromScratch(db.store.counts.stats) - fromScratch(before)).toBe(1)
        // (a count read on the thread is derived from once more, on the page that asked for it)
        expect(db.store.counts.stats.delta - before.delta).toBe(7 + db.store.counts.stats.aside - before.aside)
      }
    })

    it('cursors that jump about: exact, and served from a ladder once the counts walk far', async () => {
      // 3000 messages never reach the cap on a difference piece (8192 rows), so only long walks
      // from the kept counts (a rung step or more, twice) give the filter a ladder: the cursors
      // go to 5 %, 95 % and 50 % of the span, then anywhere.
      const churn = new Churn(world, 500)
      db.store.counts.clear()
      const before = { ...db.store.counts.stats }
      const at = [0.05, 0.95, 0.5, ...Array.from({ length: 9 }, () => churn.rnd())]
      for (const [i, fraction] of at.entries()) {
        if (i > 0) await churn.writes([db.store, other], 2, null)
        const cursor = seedChurn.idAt(FROM + Math.floor(fraction * SPAN))
        const r = await server.get(`/admin/chat/messages/list?limit=10&_id[lt]=${cursor}`)
        expect(r.status, r.text).toBe(200)
        expect(r.json.total_entries, `request ${i}; writes: ${churn.done.slice(-4).join(', ')}`).toBe(await bruteForce(db.store, { params: '' }, cursor))
      }
      const stats = db.store.counts.stats
      expect(stats.anomalies).toBe(before.anomalies)
      expect(stats.rungs - before.rungs).toBeGreaterThan(0)
    })

    it('count=1 answers are exact too', async () => {
      const churn = new Churn(world, 400)
      for (let i = 0; i < 10; i++) {
        await churn.writes([db.store, other], 3, null)
        const filter = filters[i % 4]!
        const r = await server.get(`/admin/chat/messages/list?${[filter.params, 'count=1'].filter(Boolean).join('&')}`)
        expect(r.json.items.count).toBe(await bruteForce(db.store, filter, null))
      }
    })
  })

  describe(`exact total_entries for dialogs (${kind.label})`, () => {
    let db: TestStore
    let other: Store
    let server: TestServer
    const B = 1_680_000_000
    const T = B + 50_000

    beforeAll(async () => {
      db = await kind.open()
      other = createStore(db.config)
      server = await startServer(db.store)
      const items = Array.from({ length: 1400 }, (_, i) =>
        dialogItem(B + i * 67, { type: 2 + (i % 2), name: `d${i}`, updated_at: iso(B + ((i * 7919) % 100_000)) }),
      )
      await importValues(db.store, 'dialogs', items)
    })
    afterAll(async () => {
      await server.close()
      await other.close()
      await db.drop()
    })

    async function brute(type: number | null, below: string | null): Promise<number> {
      const rows = await db.store.db.selectFrom('dialogs').select(['id', 'type', 'updated_at']).execute()
      return rows.filter((r) => (below === null || r.id < below) && (type === null || r.type === type) && Math.floor(Number(r.updated_at) / 1000) > T).length
    }

    it('the documented loop with updated_at[gt]=T (and type=2): exact on every page', async () => {
      let serial = 0
      for (const type of [null, 2]) {
        const churn = new Churn({ dialogs: [], T, from: B, to: B + 100_000 }, type ?? 1)
        db.store.counts.clear()
        const before = fromScratch(db.store.counts.stats)
        let cursor: string | null = null
        let pages = 0
        for (; pages < 20; pages++) {
          if (pages > 0) {
            for (let w = Math.floor(churn.rnd() * 5); w > 0; w--) {
              const store = churn.rnd() < 0.5 ? db.store : other
              const some = await store.db.selectFrom('dialogs').select('id').orderBy('id', 'desc').offset(Math.floor(churn.rnd() * 1200)).limit(1).executeTakeFirst()
              const op = Math.floor(churn.rnd() * 4)
              if (op === 0 || !some) {
                const at = B + Math.floor(churn.rnd() * 100_000)
                await importValues(store, 'dialogs', [dialogItem(at, { _id: churn.newId(cursor), type: 2 + (serial++ % 2), updated_at: iso(B + Math.floor(churn.rnd() * 100_000)) })])
              } else if (op === 1) {
                await store.db.updateTable('dialogs').set({ updated_at: churn.updatedAt() }).where('id', '=', some.id).execute()
              } else if (op === 2) {
                await store.db.updateTable('dialogs').set({ type: churn.rnd() < 0.5 ? 2 : 3, name: 'renamed' }).where('id', '=', some.id).execute()
              } else {
                await store.db.deleteFrom('dialogs').where('id', '=', some.id).execute()
              }
            }
          }
          const params = [`updated_at[gt]=${T}`, type ? `type=${type}` : '', 'limit=100', cursor ? `_id[lt]=${cursor}` : ''].filter(Boolean).join('&')
          const r = await server.get(`/admin/chat/list?${params}`)
          expect(r.status, r.text).toBe(200)
          expect(r.json.total_entries, `page ${pages + 1}: ${params}`).toBe(await brute(type, cursor))
          if (r.json.items.length < 100) break
          cursor = r.json.items.at(-1)._id
        }
        expect(pages).toBeGreaterThan(1)
        expect(fromScratch(db.store.counts.stats) - before).toBe(1)
      }
    })
  })
}
