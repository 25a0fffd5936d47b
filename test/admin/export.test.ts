// The streaming exports, GET /admin/chat/export and /admin/chat/messages/export: every item the
// list filters match, once, in _id order, past the lists' 100-item cap; the list language's errors;
// one snapshot however long the client takes, without holding other requests up; a bound on how
// many run at once; and the snapshot released when a client goes away.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, iso, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { pageAll } from '../cli/admin.ts'

const B = 1645095700
const DIALOGS = 130
const MESSAGES = 2600 // more than two of the export's batches

const lines = (text: string): Item[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Item)
const ids = (items: Item[]): string[] => items.map((i) => i._id as string)
const desc = (list: string[]): string[] => [...list].sort().reverse()

/** A GET whose body is read only when asked: the client side of backpressure. */
function openStream(url: string, key: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // A connection of its own (agent: false): a kept-alive socket that carried a whole export before
    // has a receive buffer the kernel grew to tens of MB, which can swallow the rest of this one.
    const req = httpRequest(url, { agent: false, headers: { 'CB-Administration-API-Key': key } }, (res) => {
      res.pause()
      resolve(res)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Reads at least `bytes`, then pauses again (leaving the response open, unlike breaking out of for await). */
function readSome(res: IncomingMessage, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (text.length < bytes) return
      res.pause()
      res.off('data', onData)
      res.off('error', reject)
      resolve(text)
    }
    res.on('data', onData)
    res.on('error', reject)
    res.resume()
  })
}

for (const kind of STORES) {
  describe(`streaming export (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const dialogs: Item[] = []
    const messages: Item[] = []
    for (let i = 0; i < DIALOGS; i++) {
      dialogs.push(dialogItem(B + i * 60, { type: (i % 4) + 1, name: `dialog ${i}`, updated_at: iso(B + (i % 10) * 3600) }))
    }
    const busy = dialogs[3]!._id as string
    for (let i = 0; i < MESSAGES; i++) {
      const dialogId = i % 3 === 0 ? busy : (dialogs[i % DIALOGS]!._id as string)
      const t = B + 100_000 + Math.floor(i / 2)
      messages.push(messageItem(dialogId, t, { updated_at: iso(t + (i % 5) * 1000), message: `message ${i}` }))
    }

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'dialogs', dialogs)
      await importValues(db.store, 'messages', messages)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('streams every message once, newest _id first, as NDJSON with the total in a header', async () => {
      const r = await server.get('/admin/chat/messages/export')
      expect(r.status, r.text).toBe(200)
      expect(r.headers['content-type']).toMatch(/^application\/x-ndjson/)
      expect(r.headers['x-total-entries']).toBe(String(MESSAGES))
      const got = lines(r.text)
      expect(got).toHaveLength(MESSAGES)
      expect(ids(got)).toEqual(desc(ids(messages)))
      const byId = new Map(messages.map((m) => [m._id, m]))
      for (const item of got) expect(item).toStrictEqual(byId.get(item._id))
    })

    it('sorts ascending with sort_asc=_id', async () => {
      const r = await server.get('/admin/chat/export?sort_asc=_id')
      expect(r.status, r.text).toBe(200)
      expect(ids(lines(r.text))).toEqual(desc(ids(dialogs)).reverse())
    })

    it.each([
      ['/admin/chat/messages/export', '/admin/chat/messages/list', `chat_dialog_id=${'X'}&updated_at[gt]=${B + 100_000 + 300}`],
      ['/admin/chat/messages/export', '/admin/chat/messages/list', `message[ctn]=7&_id[lte]=${'Y'}`],
      ['/admin/chat/messages/export', '/admin/chat/messages/list', `created_at[lte]=${B + 100_000 + 900}&updated_at[gte]=${B + 100_000 + 300}`],
      ['/admin/chat/export', '/admin/chat/list', `type[in]=2,3&updated_at[lte]=${B + 5 * 3600}`],
      ['/admin/chat/export', '/admin/chat/list', 'name[ctn]=dialog 1'],
    ])('%s matches what %s pages out for %s', async (exportPath, listPath, template) => {
      const filter = template.replace('X', busy).replace('Y', messages[1500]!._id as string)
      const r = await server.get(`${exportPath}?${filter}`)
      expect(r.status, r.text).toBe(200)
      const listed = await pageAll(server.get, listPath, filter)
      expect(listed.length).toBeGreaterThan(20)
      expect(Number(r.headers['x-total-entries'])).toBe(listed.length)
      expect(ids(lines(r.text))).toEqual(ids(listed))
    })

    it('takes the parameters from a GET body too', async () => {
      const r = await server.get('/admin/chat/messages/export', { body: { chat_dialog_id: busy, updated_at: { gt: B + 100_000 + 300 } } })
      expect(r.status, r.text).toBe(200)
      const q = await server.get(`/admin/chat/messages/export?chat_dialog_id=${busy}&updated_at[gt]=${B + 100_000 + 300}`)
      expect(r.text).toBe(q.text)
    })

    it('refuses paging, counting and other sorts by name, with the list language errors for the rest', async () => {
      let r = await server.get('/admin/chat/messages/export?limit=10&skip=5&count=1&sort_desc=updated_at&updated_at[gt]=soon')
      expect(r.status).toBe(400)
      expect(Object.keys(r.json.errors).sort()).toEqual(['count', 'limit', 'skip', 'sort_desc', 'updated_at[gt]'])
      expect(r.json.errors.limit[0]).toMatch(/not accepted by the export/)
      expect(r.json.errors.sort_desc[0]).toMatch(/ordered by _id only/)
      r = await server.get('/admin/chat/export?updatd_at[gt]=1')
      expect(r.status).toBe(400)
      expect(r.json.errors['updatd_at']).toBeDefined()
      r = await server.get('/admin/chat/export?type[foo]=1')
      expect(r.status).toBe(400)
      expect(Object.keys(r.json.errors)).toEqual(['type[foo]'])
      r = await server.call('HEAD', '/admin/chat/messages/export')
      expect(r.status).toBe(404)
      r = await server.get('/admin/chat/export', { key: null })
      expect(r.status).toBe(401)
      r = await server.get('/admin/chat/messages/export', { key: 'nope' })
      expect(r.status).toBe(401)
    })
  })

  // Items big enough (4 KB each, 12 MB in all) that socket buffers cannot take a whole export: a
  // client that stops reading really holds its export open.
  describe(`streaming export under backpressure (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const text = 'x'.repeat(4000)
    const dialog = dialogItem(B)
    // 32 MB: more than the socket buffers on both ends and a batch in flight can hold (about 14 MB on
    // Linux loopback), so that a reader that stops really holds its export open.
    const big = Array.from({ length: 8000 }, (_, i) => messageItem(dialog._id as string, B + i, { message: `${i} ${text}` }))

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'dialogs', [dialog])
      await importValues(db.store, 'messages', big)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('reads one snapshot while the client takes its time, and holds no other request up meanwhile', async () => {
      const res = await openStream(`${server.url}/admin/chat/messages/export`, server.key)
      expect(res.statusCode).toBe(200)
      let body = await readSome(res, 1000)
      // The client reads no further. Meanwhile lists answer and writes commit (were they held up until
      // the export ends, this would never finish: the export waits for the client).
      const later = Array.from({ length: 50 }, (_, i) => messageItem(dialog._id as string, B + 200_000 + i, { message: `later ${i}` }))
      await importValues(db.store, 'messages', later)
      const changed: Item = { ...big[0]!, message: 'changed after the export began' }
      await importValues(db.store, 'messages', [changed])
      const list = await server.get('/admin/chat/messages/list?limit=1')
      expect(list.status).toBe(200)
      expect(list.json.total_entries).toBe(big.length + 50)
      expect(res.readableEnded).toBe(false)
      // Now read the rest: what was there when it began, as it was then.
      for await (const chunk of res) body += (chunk as Buffer).toString('utf8')
      const got = lines(body)
      expect(got).toHaveLength(big.length)
      expect(ids(got)).toEqual(desc(ids(big)))
      expect(got.find((m) => m._id === changed._id)!.message).toBe(big[0]!.message)
      const after = await server.get('/admin/chat/messages/export')
      expect(lines(after.text)).toHaveLength(big.length + 50)
    })

    it('runs as many exports at once as the store allows (half a PostgreSQL pool), and answers 503 past that', async () => {
      const limit = kind.name === 'postgres' ? Math.floor(db.config.poolSize / 2) : 8
      const open: IncomingMessage[] = []
      let refused
      try {
        for (let i = 0; i < limit; i++) {
          const res = await openStream(`${server.url}/admin/chat/messages/export`, server.key)
          open.push(res)
          expect(res.statusCode).toBe(200)
          await readSome(res, 1000)
        }
        // Stalled readers still hold their exports: one more is refused, the lists still answer.
        await new Promise((r) => setTimeout(r, 200))
        refused = await server.get('/admin/chat/export')
        expect(refused.status).toBe(503)
        expect(refused.json.errors[0]).toMatch(/Too many exports/)
        expect((await server.get('/admin/chat/messages/list?limit=1')).status).toBe(200)
      } finally {
        // Also on a failure, so that the next test does not start with the exports still held.
        for (const res of open) res.destroy()
      }
      let again = refused
      for (let i = 0; i < 50 && again.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50))
        again = await server.get('/admin/chat/export')
      }
      expect(again.status).toBe(200)
    })

    it('ends the snapshot when the client goes away mid-stream', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await openStream(`${server.url}/admin/chat/messages/export`, server.key)
        expect(res.statusCode).toBe(200)
        await readSome(res, 500)
        res.destroy()
        // The server lets the export go once it sees the client gone (1–9 ms here). The next one is
        // opened only then: opened at once, it raced that and, past the store's limit of exports,
        // got a 503 whose short body readSome waited on until the test timed out.
        for (let j = 0; j < 500 && db.store.stats().readersOpen > 0; j++) await new Promise((r) => setTimeout(r, 10))
        expect(db.store.stats().readersOpen).toBe(0)
      }
      // Every reader let go: on PostgreSQL no connection of this database stays in its transaction.
      if (kind.name === 'postgres') {
        const { sql } = await import('kysely')
        let open = -1
        for (let i = 0; i < 50 && open !== 0; i++) {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and state like 'idle in transaction%'`.execute(db.store.db)
          open = rows[0]!.n
          if (open !== 0) await new Promise((r) => setTimeout(r, 100))
        }
        expect(open).toBe(0)
      }
      const r = await server.get('/admin/chat/export')
      expect(lines(r.text)).toHaveLength(1)
    })
  })
}
