// Counts from scratch and ladders read on the count thread (store/count-thread.ts), on SQLite: the
// request's own snapshot derives its total from what the thread read, so totals must equal COUNT(*)
// even when rows are written between the thread's read and that snapshot; the server's thread
// never counts from scratch while the count thread works; and without the thread (ended, or a table
// under its minimum) everything is counted as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_MESSAGES } from '../../src/query/catalogue.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { planList } from '../../src/query/plan.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { createStore, type Store } from '../../src/store/connect.ts'
import { Counts } from '../../src/store/counts.ts'
import { countMatching, countNow, listWithTotal } from '../../src/store/items.ts'
import { Churn, type World } from '../helpers/churn.ts'
import { iso, messageItem } from '../helpers/factories.ts'
import { SQLITE_COUNT_THREAD, type TestStore } from '../helpers/stores.ts'

const FROM = 1_690_000_000
const DIALOGS = ['64bb56980000000000000001', '64bb56980000000000000002', '64bb56980000000000000003']
const world: World = { dialogs: DIALOGS, T: FROM + 20_000, from: FROM, to: FROM + 30_000 }
const plan = (params: Record<string, unknown>) => planList(parseListQuery(params, ADMIN_MESSAGES), ADMIN_MESSAGES)

describe('counts read on the count thread (sqlite)', () => {
  let db: TestStore
  let other: Store
  const churn = new Churn(world, 5)

  beforeAll(async () => {
    db = await SQLITE_COUNT_THREAD.open()
    other = createStore({ ...db.config, countThreadRows: 0 })
    const items: Item[] = []
    for (let i = 0; i < 1500; i++) {
      const created = FROM + Math.floor(churn.rnd() * 30_000)
      items.push(messageItem(DIALOGS[i % 3]!, created, { _id: churn.idAt(created), created_at: iso(created), updated_at: iso(created + Math.floor(churn.rnd() * 10_000)) }))
    }
    await importValues(db.store, 'messages', items)
  })
  afterAll(async () => {
    await other.close()
    await db.drop()
  })

  it('counts from scratch there, and derives exact totals from it though rows were written in between', async () => {
    const { store } = db
    const thread = store.countThread!
    expect(thread).not.toBeNull()
    // Writes land after each read on the thread and before the request's snapshot.
    const read = thread.read.bind(thread)
    thread.read = async (...args) => {
      const got = await read(...args)
      await churn.writes([other], 6, null)
      return got
    }
    try {
      const shapes: Array<Record<string, unknown>> = [
        {},
        { updated_at: { gt: String(world.T) } },
        { chat_dialog_id: DIALOGS[0] },
        { created_at: { lte: String(FROM + 12_000) }, sender_id: '4980089' },
        // two ranges: counted as terms over one range each
        { updated_at: { gt: String(FROM + 15_000) }, _id: { lt: churn.idAt(FROM + 20_000) } },
      ]
      for (const params of shapes) {
        store.counts.clear()
        const before = { ...store.counts.stats }
        const p = plan(params)
        const { total } = await listWithTotal(store, 'messages', { ...p, limit: 10 })
        expect(total, JSON.stringify(params)).toBe(await countNow(store, 'messages', p))
        expect(await countMatching(store, 'messages', p), JSON.stringify(params)).toBe(await countNow(store, 'messages', p))
        expect(store.counts.stats.full - before.full, JSON.stringify(params)).toBe(0)
        expect(store.counts.stats.aside - before.aside, JSON.stringify(params)).toBeGreaterThan(0)
      }
    } finally {
      thread.read = read
    }
  })

  it('builds ladders there for requests that jump about, exact while another connection writes', async () => {
    // A small step, so that 1500 rows make many rungs, and jumps are far apart in rows.
    const counts = new Counts({ ladderStep: 16, pruneEveryMs: 0 })
    const view = { ...db.store, counts }
    const writer = new Churn(world, 41)
    const at = () => String(FROM + Math.floor(writer.rnd() * 40_000))
    const failures: string[] = []
    for (let i = 0; i < 60; i++) {
      if (i % 4 === 0) await writer.writes([other], 2, null)
      const params = i % 2 === 0 ? { updated_at: { gt: at() } } : { created_at: { lte: at() }, chat_dialog_id: DIALOGS[1] }
      const kept = await countMatching(view, 'messages', plan(params))
      const brute = await countNow(view, 'messages', plan(params))
      if (kept !== brute) failures.push(`${JSON.stringify(params)}: ${kept} != ${brute}`)
    }
    expect(failures).toEqual([])
    // Neither a count from scratch nor a ladder on this thread; rungs from the thread's ladders.
    expect(counts.stats).toMatchObject({ full: 0, ladders: 0, anomalies: 0 })
    expect(counts.stats.rungs).toBeGreaterThan(20)
  })

  it('counts here once the thread has ended', async () => {
    const store = createStore({ ...db.config, countThreadRows: 1 })
    try {
      await store.countThread!.close()
      const p = plan({ updated_at: { gt: String(world.T) } })
      expect(await countMatching(store, 'messages', p)).toBe(await countNow(store, 'messages', p))
      expect(store.counts.stats).toMatchObject({ full: 1, aside: 0 })
    } finally {
      await store.close()
    }
  })

  it('counts a table under the minimum size here', async () => {
    const store = createStore({ ...db.config, countThreadRows: 1_000_000 })
    try {
      const p = plan({ chat_dialog_id: DIALOGS[2] })
      expect(await countMatching(store, 'messages', p)).toBe(await countNow(store, 'messages', p))
      expect(store.counts.stats).toMatchObject({ full: 1, aside: 0 })
    } finally {
      await store.close()
    }
  })
})
