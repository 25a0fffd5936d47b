// Kept counts (src/store/counts.ts) and the change logs behind them (migration 0002): the id-range
// arithmetic, what the triggers log, that the documented loop is served by deltas (one COUNT(*) per
// loop — this is what makes a page O(page), and it fails if the cache is bypassed), pruning, the
// bounds of the cache, and exactness against COUNT(*) in the same snapshot while other connections
// write — including, on PostgreSQL, transactions that commit out of their xid/sequence order.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_DIALOGS, ADMIN_MESSAGES } from '../../src/query/catalogue.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { planList } from '../../src/query/plan.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { compiledShape } from '../../src/store/compiled.ts'
import { createStore, type Store } from '../../src/store/connect.ts'
import { ALL, Counts, deriveQueries, intersect, isEmpty, minus, splitConditions, type Range } from '../../src/store/counts.ts'
import { countMatching, countNow, readSnapshot } from '../../src/store/items.ts'
import { LOGGED } from '../../src/store/migrations/0002-change-log.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { Churn, type World } from '../helpers/churn.ts'
import { iso, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const b = (value: string, inclusive = false) => ({ value, inclusive })
const range = (lower: ReturnType<typeof b> | null, upper: ReturnType<typeof b> | null): Range => ({ lower, upper })
const plan = (params: Record<string, unknown>) => planList(parseListQuery(params, ADMIN_MESSAGES), ADMIN_MESSAGES)

describe('id ranges', () => {
  it('fold the _id comparisons into one range and leave the other conditions', () => {
    const { range: r, rest } = splitConditions(plan({ _id: { lt: 'b'.repeat(24), gte: 'a'.repeat(24) }, updated_at: { gt: '5' } }).conditions)
    expect(r).toEqual(range(b('a'.repeat(24), true), b('b'.repeat(24))))
    expect(rest).toHaveLength(1)
    // _id=X is the range [X, X]; _id[in] stays a filter
    expect(splitConditions(plan({ _id: 'c'.repeat(24) }).conditions).range).toEqual(range(b('c'.repeat(24), true), b('c'.repeat(24), true)))
    expect(splitConditions(plan({ _id: { in: 'c'.repeat(24) } }).conditions).rest).toHaveLength(1)
  })

  it('intersect, detect empty ranges, and subtract into at most two pieces', () => {
    expect(intersect(range(b('b'), null), range(b('b', true), b('d')))).toEqual(range(b('b'), b('d')))
    expect(isEmpty(range(b('b', true), b('b', true)))).toBe(false)
    expect(isEmpty(range(b('b', true), b('b')))).toBe(true)
    expect(isEmpty(range(b('c'), b('b')))).toBe(true)
    // the documented loop: (-inf, x1) minus (-inf, x2) = [x2, x1)
    expect(minus(range(null, b('m')), range(null, b('f')))).toEqual([range(b('f', true), b('m'))])
    expect(minus(ALL, range(null, b('f')))).toEqual([range(b('f', true), null)])
    expect(minus(ALL, range(b('c', true), b('f')))).toEqual([range(null, b('c')), range(b('f', true), null)])
    expect(minus(range(null, b('f')), range(null, b('m')))).toEqual([])
    expect(minus(range(b('a'), b('b')), range(b('a'), b('b')))).toEqual([])
  })
})

describe('the change log migration', () => {
  it('logs every filterable column of both catalogues', () => {
    for (const [table, catalogue] of [['messages', ADMIN_MESSAGES], ['dialogs', ADMIN_DIALOGS]] as const) {
      const columns = new Set(Object.values(catalogue.fields).map((f) => f.column))
      columns.delete('id')
      expect([...LOGGED[table].columns].sort(), `${table}: a new filterable field needs a migration that logs it`).toEqual([...columns].sort())
    }
  })
})

const FROM = 1_690_000_000
const world = (dialogs: string[]): World => ({ dialogs, T: FROM + 20_000, from: FROM, to: FROM + 30_000 })
const DIALOGS = ['64bb56980000000000000001', '64bb56980000000000000002', '64bb56980000000000000003']

async function seed(store: Store, n: number, churn: Churn): Promise<Item[]> {
  const items: Item[] = []
  for (let i = 0; i < n; i++) {
    const created = FROM + Math.floor(churn.rnd() * 30_000)
    const dialog = DIALOGS[i % 3]!
    items.push(messageItem(dialog, created, { _id: churn.idAt(created), created_at: iso(created), updated_at: iso(created + Math.floor(churn.rnd() * 10_000)) }))
  }
  await importValues(store, 'messages', items)
  return items
}

for (const kind of STORES) {
  describe(`change log triggers (${kind.name})`, () => {
    let db: TestStore
    beforeAll(async () => {
      db = await kind.open()
    })
    afterAll(() => db.drop())

    const log = async () =>
      (await db.store.db.selectFrom('message_changes').select(['id', 'existed', 'updated_at', 'chat_dialog_id']).orderBy('seq').execute()).map((r) => ({
        ...r,
        updated_at: r.updated_at === null || r.updated_at === undefined ? null : Number(r.updated_at),
      }))

    it('logs inserts, updates of filtered columns with their pre-image, deletes, upserts and id changes', async () => {
      const { store } = db
      const id = '64bb56980000000000000aaa'
      const m = messageItem(DIALOGS[0]!, FROM, { _id: id, updated_at: iso(FROM + 5) })
      await importValues(store, 'messages', [m])
      expect(await log()).toEqual([{ id, existed: 0, updated_at: null, chat_dialog_id: null }])

      // a column no filter reads: nothing logged; the same row imported again: nothing logged
      await store.db.updateTable('messages').set({ read_ids: '[1,2]' }).where('id', '=', id).execute()
      await importValues(store, 'messages', [m])
      expect(await log()).toHaveLength(1)

      // the upsert of a changed item is an update: logged with the pre-image
      await importValues(store, 'messages', [{ ...m, updated_at: iso(FROM + 50) }])
      await store.db.updateTable('messages').set({ chat_dialog_id: DIALOGS[1]! }).where('id', '=', id).execute()
      const to = '64bb56980000000000000bbb'
      await store.db.updateTable('messages').set({ id: to }).where('id', '=', id).execute()
      await store.db.deleteFrom('messages').where('id', '=', to).execute()
      expect((await log()).slice(1)).toEqual([
        { id, existed: 1, updated_at: (FROM + 5) * 1000, chat_dialog_id: DIALOGS[0] },
        { id, existed: 1, updated_at: (FROM + 50) * 1000, chat_dialog_id: DIALOGS[0] },
        { id, existed: 1, updated_at: (FROM + 50) * 1000, chat_dialog_id: DIALOGS[1] },
        { id: to, existed: 0, updated_at: null, chat_dialog_id: null },
        { id: to, existed: 1, updated_at: (FROM + 50) * 1000, chat_dialog_id: DIALOGS[1] },
      ])
    })

    it('logs each row of a multi-row statement: an upsert of new, changed and unchanged rows, a bulk update', async () => {
      const { store } = db
      const dialog = '64bb56980000000000000ddd'
      const items = [0, 1, 2].map((i) => messageItem(dialog, FROM + i, { _id: `64bb5698000000000000d00${i}`, updated_at: iso(FROM + i) }))
      await importValues(store, 'messages', items.slice(0, 2))
      const mark = await store.db.selectFrom('message_changes').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow()
      const since = async () =>
        (await store.db.selectFrom('message_changes').select(['id', 'existed', 'updated_at']).where('seq', '>', Number(mark.m)).orderBy('seq').execute()).map((r) => ({
          ...r,
          updated_at: r.updated_at === null || r.updated_at === undefined ? null : Number(r.updated_at),
        }))
      // one statement: item 0 unchanged, item 1 changed, item 2 new
      await importValues(store, 'messages', [items[0]!, { ...items[1]!, updated_at: iso(FROM + 100) }, items[2]!])
      // (the order of the two within the statement is the engine's: compared as a set)
      expect((await since()).map((r) => [r.id, r.existed, r.updated_at]).sort()).toEqual([
        [items[1]!._id, 1, (FROM + 1) * 1000],
        [items[2]!._id, 0, null],
      ])
      await store.db.updateTable('messages').set({ updated_at: 1 }).where('chat_dialog_id', '=', dialog).execute()
      const after = await since()
      expect(after.slice(2).map((r) => [r.id, r.existed, r.updated_at]).sort()).toEqual([
        [items[0]!._id, 1, FROM * 1000],
        [items[1]!._id, 1, (FROM + 100) * 1000],
        [items[2]!._id, 1, (FROM + 2) * 1000],
      ])
    })

    it('logs dialog changes too', async () => {
      const { store } = db
      await store.db
        .insertInto('dialogs')
        .values({ id: '64bb56980000000000000ccc', type: 2, name: 'a', created_at: 1, updated_at: 2 })
        .execute()
      await store.db.updateTable('dialogs').set({ name: 'b' }).where('id', '=', '64bb56980000000000000ccc').execute()
      await store.db.updateTable('dialogs').set({ photo: 'p' }).where('id', '=', '64bb56980000000000000ccc').execute()
      const rows = await store.db.selectFrom('dialog_changes').select(['id', 'existed', 'name', 'type']).orderBy('seq').execute()
      expect(rows).toEqual([
        { id: '64bb56980000000000000ccc', existed: 0, name: null, type: null },
        { id: '64bb56980000000000000ccc', existed: 1, name: 'a', type: 2 },
      ])
    })
  })

  describe(`kept counts (${kind.name})`, () => {
    let db: TestStore
    let other: Store
    let server: TestServer
    let items: Item[]
    const churn = new Churn(world(DIALOGS), 11)

    beforeAll(async () => {
      db = await kind.open()
      other = createStore(db.config)
      // Counted per page computed: no pages prepared ahead (test/admin/next-page.test.ts has those).
      server = await startServer(db.store, { PARLEY_PREFETCH_PAGES: '0' })
      items = await seed(db.store, 1500, churn)
    })
    afterAll(async () => {
      await server.close()
      await other.close()
      await db.drop()
    })

    async function documentedLoop(filter: string): Promise<{ pages: number; totals: number[] }> {
      const pre = filter ? `${filter}&` : ''
      const first = await server.get(`/admin/chat/messages/list?${pre}limit=100`)
      const totals = [first.json.total_entries as number]
      let last = first.json.items.at(-1)._id
      const pages = Math.ceil(totals[0]! / 100)
      for (let i = 1; i < pages; i++) {
        const r = await server.get(`/admin/chat/messages/list?${pre}limit=100&_id[lt]=${last}`)
        totals.push(r.json.total_entries)
        last = r.json.items.at(-1)._id
      }
      return { pages, totals }
    }

    it('serves the documented loop with one COUNT(*) and a delta per later page', async () => {
      for (const filter of ['', `updated_at[gt]=${FROM + 20_000}`, `chat_dialog_id=${DIALOGS[0]}`]) {
        db.store.counts.clear()
        const before = { ...db.store.counts.stats }
        const { pages, totals } = await documentedLoop(filter)
        expect(pages).toBeGreaterThan(3)
        expect(db.store.counts.stats.full - before.full, filter).toBe(1)
        expect(db.store.counts.stats.delta - before.delta, filter).toBe(pages - 1)
        // On PostgreSQL each later page and its count are one statement (nothing was written meanwhile;
        // a time range sorted by _id takes its implied bounds from the skews the first page read).
        const together = kind.name === 'postgres'
        expect(db.store.counts.stats.withPage - before.withPage, filter).toBe(together ? pages - 1 : 0)
        // each page's total is what is left: the first total less the pages before it
        expect(totals).toEqual(totals.map((_, i) => totals[0]! - 100 * i))
      }
    })

    it('answers the same request again from its kept count, and a new filter with COUNT(*)', async () => {
      db.store.counts.clear()
      const before = { ...db.store.counts.stats }
      for (let i = 0; i < 3; i++) await server.get(`/admin/chat/messages/list?limit=10&skip=${i * 10}&sender_id=4980089`)
      await server.get(`/admin/chat/messages/list?limit=10&sender_id=1`)
      expect(db.store.counts.stats.full - before.full).toBe(2)
      expect(db.store.counts.stats.delta - before.delta).toBe(2)
    })

    it('answers a request over two ranges asked again from the total its split kept: one delta, no ladder', async () => {
      // Steps small enough for 1500 rows, so that a difference piece can be too far to walk.
      const counts = new Counts({ ladderStep: 16, pruneEveryMs: 0 })
      const view = { ...db.store, counts }
      // A time and a cursor new to the cache, counted as terms over one range each (docs/performance.md
      // §3b); the cursor early, so that its total is far from the term over all ids that is kept too.
      const p = plan({ updated_at: { gt: String(FROM + 5_000) }, _id: { lt: churn.idAt(FROM + 8_000) } })
      const brute = await countNow(db.store, 'messages', p)
      expect(await readSnapshot(view, (s) => countMatching(s, 'messages', p))).toBe(brute)
      const before = { ...counts.stats }
      expect(await readSnapshot(view, (s) => countMatching(s, 'messages', p))).toBe(brute)
      const after = counts.stats
      expect([after.delta - before.delta, after.ladders - before.ladders, after.fallbacks - before.fallbacks, after.full - before.full]).toEqual([1, 0, 0, 0])
    })

    it('prunes the log; a count kept from before the cut is not used, and totals stay exact', async () => {
      const { store } = db
      const count = (params: Record<string, unknown>) => countMatching(store, 'messages', plan(params))
      store.counts.clear()
      const cursor = items[700]!._id as string
      await count({ _id: { lt: cursor } })
      await churn.writes([store, other], 5, cursor)
      const before = { ...store.counts.stats }
      // Everything settled now is pruned. On PostgreSQL "settled" means below the xmin of a snapshot,
      // and transactions of other databases on the server count too: the newest changes may stay.
      await store.counts.prune(store, 0)
      const strict = kind.name === 'sqlite'
      const cut = await store.db.selectFrom('change_log_cut').select('cut').where('tbl', '=', 'messages').executeTakeFirstOrThrow()
      let left = store.db.selectFrom('message_changes').select((eb) => eb.fn.countAll().as('n'))
      if (!strict) left = left.where(sql<boolean>`xid < ${String(cut.cut)}::xid8`)
      expect(Number((await left.executeTakeFirstOrThrow()).n), 'log rows below the cut').toBe(0)
      expect(await count({ _id: { lt: cursor } })).toBe(await countNow(store, 'messages', plan({ _id: { lt: cursor } })))
      if (strict) {
        // the kept count's changes are gone: a COUNT(*) instead
        expect(store.counts.stats.fallbacks - before.fallbacks).toBe(1)
        expect(store.counts.stats.full - before.full).toBe(1)
      }
      const afterPrune = { ...store.counts.stats }
      // the count just kept is after the cut: used again, through new writes
      await churn.writes([store, other], 5, cursor)
      expect(await count({ _id: { lt: cursor } })).toBe(await countNow(store, 'messages', plan({ _id: { lt: cursor } })))
      expect(store.counts.stats.delta - afterPrune.delta).toBe(1)
      // prune(horizon) only prunes up to marks at least that old
      await store.counts.prune(store, 60_000)
      expect(Number((await store.db.selectFrom('message_changes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThan(0)
    })

    it('keeps at most maxEntries counts, and none past its lifetime', async () => {
      const counts = new Counts({ maxEntries: 5, perKey: 2, lifetimeMs: 50, pruneEveryMs: 0 })
      const view = { ...db.store, counts }
      for (let i = 0; i < 4; i++) {
        await countMatching(view, 'messages', plan({ sender_id: String(i) }))
        await countMatching(view, 'messages', plan({ sender_id: String(i), _id: { lt: items[i]!._id } }))
      }
      expect(counts.entries).toBe(5)
      expect(counts.stats).toMatchObject({ full: 4, delta: 4 })
      await new Promise((r) => setTimeout(r, 60))
      await countMatching(view, 'messages', plan({ sender_id: '3' }))
      expect(counts.stats.full).toBe(5)
    })

    it('serves requests that jump about from ladders, equal to COUNT(*) while another connection writes', async () => {
      // A small step, so that 1500 rows make many rungs and pieces cross rung boundaries.
      const counts = new Counts({ ladderStep: 16, pruneEveryMs: 0 })
      const view = { ...db.store, counts }
      const writer = new Churn(world(DIALOGS), 41)
      const at = () => String(FROM + Math.floor(writer.rnd() * 40_000))
      const id = () => writer.idAt(FROM + Math.floor(writer.rnd() * 30_000))
      const shapes: Array<() => Record<string, unknown>> = [
        () => ({ updated_at: { gt: at() } }),
        () => ({ created_at: { lte: at() } }),
        () => ({ _id: { lt: id() } }),
        () => ({ _id: { gte: id() } }),
        () => ({ updated_at: { gte: at(), lt: at() } }),
        () => ({ created_at: { gt: at() }, chat_dialog_id: DIALOGS[1] }),
        () => ({ updated_at: { lte: at() }, sender_id: '4980089' }),
        // A fixed time filter with a cursor that jumps about, above and below where it matches: the
        // walks are bounded by the band the time implies on _id (CountQuery.band).
        () => ({ updated_at: { gt: String(FROM + 15_000) }, _id: { lt: id() } }),
        () => ({ created_at: { lte: String(FROM + 12_000) }, _id: { gte: id() } }),
      ]
      const failures: string[] = []
      for (let i = 0; i < 180; i++) {
        if (i % 4 === 0) await writer.writes([other], 2, null)
        const params = shapes[i % shapes.length]!()
        const p = plan(params)
        await readSnapshot(view, async (s) => {
          const kept = await countMatching(s, 'messages', p)
          const brute = await countNow(s, 'messages', p)
          if (kept !== brute) failures.push(`${JSON.stringify(params)}: ${kept} != ${brute}`)
        })
      }
      expect(failures).toEqual([])
      expect(counts.stats.anomalies).toBe(0)
      // One ladder per filter at most (seven), and most requests answered from a rung.
      expect(counts.stats.ladders).toBeGreaterThan(0)
      expect(counts.stats.ladders).toBeLessThanOrEqual(shapes.length)
      expect(counts.stats.rungs).toBeGreaterThan(100)
    })

    it("writes a filter's derivations as one statement text, whatever the ranges and their bounds", async () => {
      // PostgreSQL prepares at most 256 texts (store/prepared.ts): a text per cursor position,
      // bound form or set of pieces would use them up, and every later one would be planned again.
      const position = kind.name === 'postgres' ? '100:100:' : '1'
      const ids = ['64bb56980000000000000010', '64bb56980000000000000020', '64bb56980000000000000030']
      for (const [column, values] of [['id', ids], ['updated_at', [1_000, 2_000, 3_000]]] as const) {
        // No bound, or each value exclusive or inclusive, at either end.
        const bounds = [null, ...values.flatMap((value) => [false, true].map((inclusive) => ({ value, inclusive })))]
        const keptRanges: Range[] = [{ lower: null, upper: bounds[3]! }, { lower: bounds[1]!, upper: bounds[6]! }, ALL]
        const texts = new Set<string>()
        const keys = new Set<string | null>()
        let pairs = 0
        for (const lower of bounds) {
          for (const upper of bounds) {
            for (const kept of keptRanges) {
              const queries = deriveQueries(db.store.dialect, { table: 'messages', column, rest: [], range: { lower, upper } }, { range: kept, count: 500, position }, 8192)
              // Compiled once for all of them: one shape, and the text kept for it fits every range.
              keys.add(queries.delta.key)
              const built = queries.delta.direct().compile(db.store.db)
              const once = compiledShape(db.store, queries.delta)
              expect({ sql: once.sql, parameters: once.parameters }).toEqual({ sql: built.sql, parameters: built.parameters })
              texts.add(once.sql)
              texts.add(queries.correction.compile(db.store.db).sql)
              pairs++
            }
          }
        }
        expect(pairs).toBe(147)
        expect(texts.size, column).toBe(2)
        expect([...keys].filter((k) => k === null)).toEqual([])
        expect(keys.size, column).toBe(1)
      }
    })

    it('gives a ladder of few rows rungs closer than the step, and counts from them exactly', async () => {
      // The default step (4096) is more than every row here: a ladder with rungs that far apart
      // would have none, and each count from it would walk from one end.
      const counts = new Counts({ pruneEveryMs: 0 })
      const view = { ...db.store, counts }
      await readSnapshot(view, (s) => counts.buildLadderOf(s, 'messages', [], null))
      const [ladder] = counts.read().ladders
      const rows = await countNow(db.store, 'messages', plan({}))
      expect(ladder!.ladder.total).toBe(rows)
      // A rung every 256 ids (ids are unique, so each rung counts exactly that many more).
      expect(ladder!.ladder.counts).toEqual(Array.from({ length: Math.floor(rows / 256) }, (_, i) => 256 * (i + 1)))
      const rnd = new Churn(world(DIALOGS), 43)
      const failures: string[] = []
      for (let i = 0; i < 12; i++) {
        const p = plan({ _id: { lt: rnd.idAt(FROM + Math.floor(rnd.rnd() * 30_000)) } })
        await readSnapshot(view, async (s) => {
          const kept = await countMatching(s, 'messages', p)
          const brute = await countNow(s, 'messages', p)
          if (kept !== brute) failures.push(`${JSON.stringify(p.conditions)}: ${kept} != ${brute}`)
        })
      }
      expect(failures).toEqual([])
      expect(counts.stats.full).toBe(0)
    })

    it('builds a ladder for a filter whose counts walk far from the kept ones though never past the cap, and counts from it exactly', async () => {
      // Rungs at most 64 rows apart: a walk of 64 rows or more is long. Each cursor ~2,000 s
      // (~100 rows) after the last: the nearest kept count is the last one, ~100 rows off, under the
      // cap (half the kept count, ≥ 250 rows), so no derivation is 'far', the only other reason
      // for a ladder. After two long walks the filter gets one, and later requests count from rungs.
      const counts = new Counts({ ladderStep: 64, pruneEveryMs: 0 })
      const view = { ...db.store, counts }
      const rnd = new Churn(world(DIALOGS), 47)
      const failures: string[] = []
      const ladders: number[] = []
      for (let i = 0; i < 9; i++) {
        const p = plan({ _id: { lt: rnd.idAt(FROM + 10_000 + i * 2_000) } })
        await readSnapshot(view, async (s) => {
          const kept = await countMatching(s, 'messages', p)
          const brute = await countNow(s, 'messages', p)
          if (kept !== brute) failures.push(`${JSON.stringify(p.conditions)}: ${kept} != ${brute}`)
        })
        ladders.push(counts.stats.ladders)
      }
      expect(failures).toEqual([])
      expect(counts.stats.fallbacks).toBe(0)
      // A count from scratch, two long walks, then the ladder, and rungs from there on.
      expect(counts.stats.full).toBe(1)
      expect(ladders).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1])
      expect(counts.stats.rungs).toBeGreaterThanOrEqual(5)
    })

    it('equals COUNT(*) in the same snapshot while other connections write', async () => {
      const { store } = db
      const writers = [new Churn(world(DIALOGS), 21), new Churn(world(DIALOGS), 22)]
      let stop = false
      const failures: string[] = []
      const writing = writers.map(async (w, i) => {
        const target = i === 0 ? other : store
        while (!stop) {
          if (kind.name === 'postgres' && w.rnd() < 0.3) {
            // several writes in one transaction that stays open a while: commits out of xid order
            await target.db.transaction().execute(async (trx) => {
              await w.writes([{ ...target, db: trx }], 3, null)
              await new Promise((r) => setTimeout(r, Math.floor(w.rnd() * 15)))
            })
          } else {
            await w.writes([target], 1, null)
          }
          await new Promise((r) => setTimeout(r, Math.floor(w.rnd() * 3)))
        }
      })
      const filters: Array<Record<string, unknown>> = [{}, { updated_at: { gt: String(FROM + 20_000) } }, { chat_dialog_id: DIALOGS[1] }]
      let checks = 0
      try {
        for (const filter of filters) {
          store.counts.clear()
          let cursor: string | null = null
          for (let page = 0; page < 12; page++) {
            const p = plan(cursor ? { ...filter, _id: { lt: cursor } } : filter)
            await readSnapshot(store, async (s) => {
              const kept = await countMatching(s, 'messages', p)
              const brute = await countNow(s, 'messages', p)
              checks++
              if (kept !== brute) failures.push(`${JSON.stringify(filter)} page ${page}: ${kept} != ${brute}`)
              const next = await s.db
                .selectFrom('messages')
                .select('id')
                .where('id', '<', cursor ?? 'g')
                .orderBy('id', 'desc')
                .offset(99)
                .limit(1)
                .executeTakeFirst()
              cursor = next?.id ?? cursor
            })
            await new Promise((r) => setTimeout(r, 5))
          }
        }
      } finally {
        stop = true
        await Promise.all(writing)
      }
      expect(failures).toEqual([])
      expect(checks).toBe(36)
      expect(store.counts.stats.anomalies).toBe(0)
    })
  })
}

const pg = STORES.find((k) => k.name === 'postgres')

describe.skipIf(!pg)('kept counts on PostgreSQL: sequence order is not commit order', () => {
  let db: TestStore
  let other: Store
  beforeAll(async () => {
    db = await pg!.open()
    other = createStore(db.config)
    await seed(db.store, 300, new Churn(world(DIALOGS), 31))
  })
  afterAll(async () => {
    await other.close()
    await db.drop()
  })

  it('counts a change made before the kept count but committed after it', async () => {
    const { store } = db
    const T = FROM + 20_000
    const p = plan({ updated_at: { gt: String(T) } })
    const below = await store.db.selectFrom('messages').select('id').where('updated_at', '<', T * 1000).limit(1).executeTakeFirstOrThrow()
    store.counts.clear()
    // T1 changes a row (xid and seq taken now) and stays open...
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let started!: () => void
    const begun = new Promise<void>((r) => (started = r))
    const t1 = other.db.transaction().execute(async (trx) => {
      await trx.updateTable('messages').set({ updated_at: (T + 100) * 1000 }).where('id', '=', below.id).execute()
      started()
      await held
    })
    await begun
    // ...T2 writes after it (a later xid and seq) and commits first...
    await importValues(other, 'messages', [messageItem(DIALOGS[0]!, T + 5, { _id: '64bb5698ffff000000000001', updated_at: iso(T + 500) })])
    // ...the count is kept while T1 is still open: it sees T2's change, not T1's...
    const first = await countMatching(store, 'messages', p)
    expect(first).toBe(await countNow(store, 'messages', p))
    release()
    await t1
    // ...and the next count must take T1's change in although its seq is below T2's.
    const before = store.counts.stats.delta
    const second = await countMatching(store, 'messages', p)
    expect(store.counts.stats.delta).toBe(before + 1)
    expect(second).toBe(await countNow(store, 'messages', p))
    expect(second).toBe(first + 1)
  })

  it('never uses a count kept before a TRUNCATE', async () => {
    const { store } = db
    const p = plan({})
    store.counts.clear()
    expect(await countMatching(store, 'messages', p)).toBeGreaterThan(0)
    await sql`truncate messages`.execute(other.db)
    const before = { ...store.counts.stats }
    expect(await countMatching(store, 'messages', p)).toBe(0)
    expect(store.counts.stats.fallbacks - before.fallbacks).toBe(1)
  })
})
