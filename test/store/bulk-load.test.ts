// Bulk loading (src/store/bulk-load.ts): an import into an empty table builds its indexes at the end,
// a run stopped half-way gets them back from migrate(), and batches that skip the row triggers on
// SQLite still leave every kept count exact (they move the change log's cut instead).
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN_MESSAGES } from '../../src/query/catalogue.ts'
import { parseListQuery } from '../../src/query/parse.ts'
import { planList } from '../../src/query/plan.ts'
import { CODEC_OF, importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { openBulkLoader, outsideWal } from '../../src/store/bulk-load.ts'
import { migrate } from '../../src/store/connect.ts'
import { guarded } from '../../src/store/migrations/0006-bulk-load-guard.ts'
import { INDEXES } from '../../src/store/indexes.ts'
import { countMatching, countNow } from '../../src/store/items.ts'
import { iso, messageItem, objectId } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const DIALOG = '64bb56980000000000000001'
const messages = (n: number, from: number): Item[] =>
  Array.from({ length: n }, (_, i) => {
    const t = from + i * 7
    return messageItem(DIALOG, t, { _id: objectId(t), updated_at: iso(t + (i % 50)) })
  })

for (const kind of STORES) {
  describe(`bulk loading (${kind.name})`, () => {
    let db: TestStore
    beforeEach(async () => {
      db = await kind.open()
    })
    afterEach(() => db.drop())

    async function indexNames(): Promise<string[]> {
      const q =
        kind.name === 'sqlite'
          ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'messages' and name not like 'sqlite_%'`
          : sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'messages' and indexname <> 'messages_pkey'`
      return (await q.execute(db.store.db)).rows.map((r) => r.name).sort()
    }
    const wanted = INDEXES.filter(([, t]) => t === 'messages').map(([name]) => name).sort()

    it('sorts for the index build with helper threads where the dialect has them, and takes them back after', async () => {
      const threads = db.store.dialect.sortThreads
      if (threads === null) return
      const current = async () => Number(Object.values((await sql`pragma threads`.execute(db.store.db)).rows[0] as object)[0])
      await threads(2).execute(db.store.db)
      expect(await current()).toBe(2)
      await threads(0).execute(db.store.db)
      await importValues(db.store, 'messages', messages(2500, 1_690_000_000))
      expect(await indexNames()).toEqual(wanted)
      expect(await current()).toBe(0)
    })

    it('builds the indexes of an empty table at the end, and migrate() builds any a stopped import left out', async () => {
      await importValues(db.store, 'messages', messages(2500, 1_690_000_000))
      expect(await indexNames()).toEqual(wanted)
      await db.store.db.deleteFrom('messages').execute()

      const loader = await openBulkLoader(db.store, 'messages')
      expect(await indexNames()).toEqual([])
      const rows = messages(1200, 1_691_000_000).map((m) => {
        const r = CODEC_OF.messages.fromItem(m)
        if ('errors' in r) throw new Error(r.errors.join())
        return r.row
      })
      await loader.write(rows)
      // ...stopped here, without finish(): the next start puts the indexes back.
      await migrate(db.store)
      expect(await indexNames()).toEqual(wanted)
    })

    it('keeps counts exact across bulk batches and small ones', async () => {
      const { store } = db
      await importValues(store, 'messages', messages(1500, 1_690_000_000))
      const plans = [{}, { updated_at: { gt: '1690005000' } }, { _id: { lt: objectId(1_690_006_000) } }, { chat_dialog_id: DIALOG }].map((p) =>
        planList(parseListQuery(p, ADMIN_MESSAGES), ADMIN_MESSAGES),
      )
      const check = async () => {
        for (const p of plans) expect(await countMatching(store, 'messages', p)).toBe(await countNow(store, 'messages', p))
      }
      await check()
      // A bulk batch (new rows below and above every cursor, and re-imports of existing ids), then a small one.
      const again = messages(1500, 1_690_000_000).slice(0, 600).map((m) => ({ ...m, updated_at: iso(1_690_009_999) }))
      await importValues(store, 'messages', [...messages(1200, 1_689_990_000), ...again])
      await check()
      await importValues(store, 'messages', messages(3, 1_690_004_000))
      await check()
      expect(store.counts.stats.anomalies).toBe(0)
    })

    it.runIf(kind.name === 'sqlite')('builds out of WAL when no other connection has the file open, under WAL when one has, and puts WAL back', async () => {
      const { store } = db
      const pragma = async (name: string) => String(Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0])
      const modeDuringBuild = async () => {
        let during = ''
        await outsideWal(store, async () => {
          during = await pragma('journal_mode')
        })
        return during
      }
      expect(await modeDuringBuild()).toBe('delete')
      expect([await pragma('journal_mode'), await pragma('synchronous')]).toEqual(['wal', '1'])
      // A server reading the file: the mode stays WAL, the reader reads on.
      const other = new SQLite(store.location, { readonly: true })
      try {
        other.prepare('select count(*) from messages').get()
        expect(await modeDuringBuild()).toBe('wal')
        expect(other.prepare('select count(*) as n from messages').get()).toEqual({ n: 0 })
      } finally {
        other.close()
      }
      expect([await pragma('journal_mode'), await pragma('synchronous')]).toEqual(['wal', '1'])
      // An import into the empty table: its indexes built, the file in WAL again and whole.
      await importValues(store, 'messages', messages(2500, 1_690_000_000))
      expect(await indexNames()).toEqual(wanted)
      expect([await pragma('journal_mode'), await pragma('synchronous'), await pragma('integrity_check')]).toEqual(['wal', '1', 'ok'])
    })
  })
}

describe('migration 0006: the bulk-load guard', () => {
  it('puts the guard before a trigger’s own condition, or adds one', () => {
    const guard = "not exists (select 1 from bulk_loading where tbl = 'messages')"
    expect(guarded('CREATE TRIGGER a after insert on messages begin insert into x values (new.id); end', 'messages')).toBe(
      `CREATE TRIGGER a after insert on messages when ${guard} begin insert into x values (new.id); end`,
    )
    expect(guarded('CREATE TRIGGER b after update on messages when old.id is not new.id or old.x is not new.x begin select 1; end', 'messages')).toBe(
      `CREATE TRIGGER b after update on messages when ${guard} and (old.id is not new.id or old.x is not new.x) begin select 1; end`,
    )
  })
})
