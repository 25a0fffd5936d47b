// NDJSON imported by several threads (services/import-parallel.ts), with blocks of a few hundred
// bytes fed in odd-sized chunks, so that a small input crosses many blocks, every thread, and chunk
// edges inside lines and inside UTF-8 characters. What lands, read back over HTTP, must be what a
// single thread would have stored: a later item with the same _id wins, every rejection is numbered
// by its line in the whole input, in order. A write that fails stops the import with its cause,
// from whichever thread it failed in, and nothing after the failed block is written.
import { Readable } from 'node:stream'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import type { Item } from '../../src/services/items.ts'
import { importStream } from '../../src/services/import-parallel.ts'
import { byIdDesc } from '../cli/admin.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { messageItem, objectId } from '../helpers/factories.ts'
import { createStore, migrate } from '../../src/store/connect.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

/** The input in chunks of 1 to 23 bytes, cut anywhere (a chunk may end inside a character). */
function dribbled(text: string, seed: number): Readable {
  const bytes = Buffer.from(text)
  const chunks: Buffer[] = []
  for (let at = 0, n = seed; at < bytes.length; n = (n * 7 + 3) % 23) {
    chunks.push(bytes.subarray(at, at + n + 1))
    at += n + 1
  }
  return Readable.from(chunks)
}

/** An input with good items, replaced items, bad lines, blank lines, CRLF, and a saved page; and what it must leave. */
function mixedInput(dialogId: string, base: number) {
  const lines: string[] = []
  const kept = new Map<string, Item>()
  const rejected: Array<[string, RegExp]> = []
  const good = (item: Item) => {
    lines.push(JSON.stringify(item))
    kept.set(item._id as string, item)
  }
  const items = Array.from({ length: 90 }, (_, i) => messageItem(dialogId, base + i, { message: `message ${i} — ünïcödé ✓ 😀` }))
  for (const [i, item] of items.entries()) {
    good(item)
    if (i % 11 === 3) {
      lines.push('{"_id": "' + objectId(base + 500 + i) + '", broken')
      rejected.push([`line ${lines.length}`, /not valid JSON/])
    }
    if (i % 13 === 5) {
      lines.push(JSON.stringify({ ...messageItem(dialogId, base + 600 + i), _id: 'not an id' }))
      rejected.push([`line ${lines.length}`, /_id must be an ObjectId/])
    }
    if (i % 17 === 7) lines.push('   ')
    // An earlier item, changed: the later line wins, in the same block or many blocks later.
    if (i % 9 === 8) good({ ...items[i - 8]!, message: `changed at ${i}` })
    if (i === 20) {
      // Text PostgreSQL cannot store arrives only as a \u escape, in either case (services/import.ts checked).
      lines.push(JSON.stringify(messageItem(dialogId, base + 800)).replace('"message":"', '"message":"a\\uD83D b'))
      rejected.push([`line ${lines.length}`, /message: contains an unpaired UTF-16 surrogate/])
      lines.push(JSON.stringify(messageItem(dialogId, base + 801, { extra: { note: 'x\u0000y' } })))
      rejected.push([`line ${lines.length}`, /extra\.note: contains a NUL character/])
    }
    if (i === 40) {
      // A saved page on one line, long enough to be a block this thread reads (import-parallel.ts LONG_BLOCK).
      const page = { total_entries: 2, items: [messageItem(dialogId, base + 700, { message: 'long '.repeat(600) }), { ...messageItem(dialogId, base + 701), created_at: 'yesterday' }] }
      lines.push(JSON.stringify(page))
      kept.set(page.items[0]!._id as string, page.items[0]!)
      rejected.push([`line ${lines.length}, item 2`, /created_at must be a time/])
    }
  }
  // CRLF on every fifth line, and no line break after the last.
  const text = lines.map((l, i) => (i % 5 === 0 ? l + '\r\n' : l + '\n')).join('').trimEnd()
  return { text, kept: [...kept.values()], rejected }
}

for (const kind of STORES) {
  describe(`parallel import (${kind.name})`, () => {
    let t: TestStore
    let server: TestServer
    beforeAll(async () => {
      t = await kind.open()
      server = await startServer(t.store)
    })
    afterAll(async () => {
      await server?.close()
      await t?.drop()
    })

    const listed = async (dialogId: string): Promise<Item[]> => {
      const r = await server.get(`/admin/chat/messages/list?chat_dialog_id=${dialogId}&limit=100`)
      expect(r.status, r.text).toBe(200)
      return r.json.items
    }

    for (const workers of [1, 2]) {
      it(`stores what one thread would, and numbers rejections by input line (${workers} worker${workers > 1 ? 's' : ''})`, { timeout: 60_000 }, async () => {
        const base = 1_700_000_000 + workers * 10_000
        const dialogId = objectId(base - 1)
        const { text, kept, rejected } = mixedInput(dialogId, base)
        const report = await importStream(t.store, t.config, 'messages', dribbled(text, workers), { workers, blockBytes: 700 })
        expect(report.imported).toBeGreaterThanOrEqual(kept.length)
        expect(report.rejected.map((r) => r.where)).toEqual(rejected.map(([where]) => where))
        report.rejected.forEach((r, i) => expect(r.reason).toMatch(rejected[i]![1]))
        expect(await listed(dialogId)).toStrictEqual(byIdDesc(kept))
        // The same input through one thread: the same report.
        const single = await importStream(t.store, t.config, 'messages', dribbled(text, 5), { workers: 0 })
        expect(single.rejected).toEqual(report.rejected)
      })
    }

    for (const [thread, failing] of [['this thread', 2], ['a worker', 1]] as const) {
      it(`stops with the cause when a write fails in ${thread}, writing nothing after the failed block`, { timeout: 60_000 }, async () => {
        const base = 1_710_000_000 + failing * 10_000
        const dialogId = objectId(base - 1)
        const items = Array.from({ length: 6 }, (_, i) => messageItem(dialogId, base + i, { message: 'x'.repeat(400) }))
        const bad = items[failing]!._id as string
        await failOnInsert(t, bad)
        try {
          // Each line is a block of its own (longer than blockBytes, shorter than a long block):
          // block i is line i, and with one worker this thread writes the even ones, the worker the odd.
          const input = Readable.from(items.map((i) => Buffer.from(JSON.stringify(i) + '\n')))
          await expect(importStream(t.store, t.config, 'messages', input, { workers: 1, blockBytes: 200 })).rejects.toThrow(/refused by the test/)
        } finally {
          await dropFailOnInsert(t)
        }
        expect(await listed(dialogId)).toStrictEqual(byIdDesc(items.slice(0, failing)))
      })
    }
  })
}

describe('parallel import into an in-memory SQLite database', () => {
  it('keeps to this thread: a worker could not reach the database', async () => {
    const config = { ...loadConfig({}).store, dbFile: ':memory:' }
    const store = createStore(config)
    try {
      await migrate(store)
      const dialogId = objectId(1_720_000_000)
      const items = Array.from({ length: 30 }, (_, i) => messageItem(dialogId, 1_720_000_001 + i))
      const report = await importStream(store, config, 'messages', dribbled(items.map((i) => JSON.stringify(i)).join('\n'), 3), { workers: 2, blockBytes: 300 })
      expect(report).toEqual({ imported: 30, rejected: [] })
      const stored = await store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
      expect(Number(stored.n)).toBe(30)
    } finally {
      await store.close()
    }
  })
})

/** A trigger that refuses to store one message. Small batches keep the table's triggers (store/bulk-load.ts). */
async function failOnInsert(t: TestStore, id: string): Promise<void> {
  if (t.store.dialect.name === 'sqlite') {
    await sql.raw(`create trigger fail_on_insert before insert on messages when new.id = '${id}' begin select raise(abort, 'refused by the test'); end`).execute(t.store.db)
    return
  }
  await sql.raw(`create function fail_on_insert() returns trigger language plpgsql as $$ begin if new.id = '${id}' then raise exception 'refused by the test'; end if; return new; end $$`).execute(t.store.db)
  await sql.raw('create trigger fail_on_insert before insert on messages for each row execute function fail_on_insert()').execute(t.store.db)
}

async function dropFailOnInsert(t: TestStore): Promise<void> {
  if (t.store.dialect.name === 'sqlite') {
    await sql.raw('drop trigger fail_on_insert').execute(t.store.db)
    return
  }
  await sql.raw('drop trigger fail_on_insert on messages').execute(t.store.db)
  await sql.raw('drop function fail_on_insert()').execute(t.store.db)
}
