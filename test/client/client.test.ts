// The typed client against real parley servers, directly and through a misbehaving proxy: pages,
// counts and typed filters; every item once by either walk, also while new items arrive; the
// server's errors as typed exceptions; retries on 429 (Retry-After), 5xx and lost connections; the
// fall-back to the documented loop on a server without the streaming export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminApiError, AdminClient, AdminProtocolError, type Message } from '../../src/client/index.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, iso, messageItem } from '../helpers/factories.ts'
import { startProxy, type Plan, type Proxy } from '../helpers/proxy.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const B = 1669548990
const FAST = { retries: 4, baseDelayMs: 10, maxDelayMs: 50 }

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}
const ids = (items: Array<{ _id: string }> | Item[]): string[] => items.map((i) => i._id as string)
const desc = (list: string[]): string[] => [...list].sort().reverse()

for (const kind of STORES) {
  describe(`AdminClient (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    let client: AdminClient
    const proxies: Proxy[] = []
    const dialogs = Array.from({ length: 40 }, (_, i) => dialogItem(B - 90_000 + i * 60, { type: (i % 4) + 1 }))
    const busy = dialogs[2]!._id as string
    const messages = Array.from({ length: 1234 }, (_, i) =>
      messageItem(i % 2 === 0 ? busy : (dialogs[i % 40]!._id as string), B + Math.floor(i / 3), { updated_at: iso(B + i), message: `m${i}` }),
    )

    const through = async (plan: Plan): Promise<{ proxy: Proxy; client: AdminClient }> => {
      const proxy = await startProxy(server.url, plan)
      proxies.push(proxy)
      return { proxy, client: new AdminClient({ url: proxy.url, key: server.key, retry: FAST }) }
    }

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      client = new AdminClient({ url: server.url, key: server.key, retry: FAST })
      await importValues(db.store, 'dialogs', dialogs)
      await importValues(db.store, 'messages', messages)
    })
    afterAll(async () => {
      for (const p of proxies) await p.close()
      await server.close()
      await db.drop()
    })

    it('reads one page with typed filters, sort and limit', async () => {
      const page = await client.page('messages', { chat_dialog_id: busy, updated_at: { gt: B + 100, lte: B + 700 }, sort_asc: 'created_at', limit: 50 })
      expect(page.limit).toBe(50)
      const expected = messages.filter((m) => m.chat_dialog_id === busy && Date.parse(m.updated_at as string) / 1000 > B + 100 && Date.parse(m.updated_at as string) / 1000 <= B + 700)
      expect(page.total_entries).toBe(expected.length)
      expect(page.items).toHaveLength(50)
      const first: Message = page.items[0]!
      expect(first.chat_dialog_id).toBe(busy)
      const groups = await client.page('dialogs', { type: { in: [2, 3] } })
      expect(groups.total_entries).toBe(20)
      expect(await client.count('messages', { chat_dialog_id: busy })).toBe(617)
    })

    it('streams by default from a server that can', async () => {
      let started: unknown
      const all = await collect(client.dialogs({}, { onStart: (info) => (started = info) }))
      expect(started).toEqual({ total: dialogs.length, mode: 'stream' })
      expect(ids(all)).toEqual(desc(ids(dialogs)))
    })

    it.each(['stream', 'paged'] as const)('walks every message once (%s), and the typed filters mean what the raw ones do', async (mode) => {
      let started: unknown
      const all = await collect(client.messages({}, { mode, onStart: (info) => (started = info) }))
      expect(started).toEqual({ total: messages.length, mode })
      expect(ids(all)).toEqual(desc(ids(messages)))
      const typed = await collect(client.messages({ chat_dialog_id: busy, updated_at: { gt: B + 300 } }, { mode }))
      const raw = await collect(client.messages(new URLSearchParams(`chat_dialog_id=${busy}&updated_at[gt]=${B + 300}`), { mode }))
      expect(typed.length).toBeGreaterThan(100)
      expect(typed).toEqual(raw)
      // `before` resumes below an _id; the caller's own _id bound still applies
      const cut = ids(all)[500]!
      expect(ids(await collect(client.messages({}, { mode, before: cut })))).toEqual(ids(all).slice(501))
      const own = ids(all)[900]!
      expect(ids(await collect(client.messages({ _id: { lt: own } }, { mode, before: cut })))).toEqual(ids(all).slice(901))
    })

    it.each(['stream', 'paged'] as const)('gets every item that existed at the start once while new ones arrive (%s)', async (mode) => {
      const before = await collect(client.dialogs({}, { mode: 'paged' }))
      const seen: string[] = []
      let added = 0
      for await (const d of client.dialogs({}, { mode })) {
        seen.push(d._id)
        // after every item, a new dialog (a larger _id, so above the walk)
        await importValues(db.store, 'dialogs', [dialogItem(B + 1_000_000 + added++)])
      }
      expect(new Set(seen).size).toBe(seen.length)
      expect(seen).toEqual(ids(before))
    })

    it("throws the server's errors as AdminApiError", async () => {
      const bad = await client.page('messages', { updated_at: { gt: 'soon' as unknown as number } }).catch((e: unknown) => e)
      expect(bad).toBeInstanceOf(AdminApiError)
      expect((bad as AdminApiError).status).toBe(400)
      expect((bad as AdminApiError).errors).toEqual({ 'updated_at[gt]': [expect.stringMatching(/unix timestamp/)] })
      for (const mode of ['stream', 'paged'] as const) {
        // @ts-expect-error not a dialog filter: rejected by the types, and by the server
        const it = client.dialogs({ updatd_at: { gt: 1 } }, { mode })
        const e = await collect(it).catch((e: unknown) => e)
        expect(e).toBeInstanceOf(AdminApiError)
        expect(Object.keys((e as AdminApiError).errors)).toEqual(['updatd_at'])
      }
      const anon = new AdminClient({ url: server.url, key: 'wrong', retry: FAST })
      const denied = await anon.count('dialogs').catch((e: unknown) => e)
      expect(denied).toBeInstanceOf(AdminApiError)
      expect((denied as AdminApiError).status).toBe(401)
      await expect(collect(client.messages(new URLSearchParams('limit=5')))).rejects.toThrow(/sets these itself/)
    })

    it('retries on 429 (honouring Retry-After), 5xx and dropped connections, in both walks', async () => {
      const misbehave: Plan = ({ n }) =>
        n === 1 ? { answer: 429, headers: { 'retry-after': '1' } } : n === 2 ? { answer: 503 } : n === 4 ? { drop: true } : n === 6 ? { answer: 502 } : undefined
      for (const mode of ['stream', 'paged'] as const) {
        const { proxy, client: flaky } = await through(misbehave)
        const all = await collect(flaky.messages({}, { mode }))
        expect(ids(all)).toEqual(desc(ids(messages)))
        // the first retry waited for Retry-After (1 s), not the 10 ms backoff
        expect(proxy.seen[1]!.at - proxy.seen[0]!.at).toBeGreaterThanOrEqual(950)
      }
    })

    it('opens a cut stream again below the last item received', async () => {
      const { proxy, client: flaky } = await through(({ n, url }) => (url.includes('/export') && n <= 3 ? { cutAfter: 30_000 + n * 7919 } : undefined))
      const all = await collect(flaky.messages({}, { mode: 'stream' }))
      expect(ids(all)).toEqual(desc(ids(messages)))
      expect(proxy.seen.filter((r) => r.url.includes('_id%5Blt%5D='))).toHaveLength(3)
    })

    it('falls back to the documented loop on a server without the streaming export', async () => {
      const { proxy, client: plain } = await through(({ url }) => (url.includes('/export') ? { answer: 404 } : undefined))
      let mode: unknown
      const all = await collect(plain.messages({ chat_dialog_id: busy }, { onStart: (info) => (mode = info.mode) }))
      expect(mode).toBe('paged')
      expect(all).toHaveLength(617)
      // it asked once, then only paged (also for the next walk)
      await collect(plain.messages({ chat_dialog_id: busy }))
      expect(proxy.seen.filter((r) => r.url.includes('/export'))).toHaveLength(1)
      await expect(collect(plain.messages({}, { mode: 'stream' }))).rejects.toThrow(/no streaming export/)

      // A server that takes /admin/chat/export for a dialog id answers something else than 404:
      // the walk pages instead, and asks again next time (it may have been a bad filter).
      const other = await through(({ url }) => (url.includes('/export') ? { answer: 422, body: '{"errors":{"_id":["is not an ObjectId"]}}' } : undefined))
      expect(await collect(other.client.dialogs({ type: 2 }))).toHaveLength(10)
      expect(await collect(other.client.dialogs({ type: 2 }))).toHaveLength(10)
      expect(other.proxy.seen.filter((r) => r.url.includes('/export'))).toHaveLength(2)
      const forced = await collect(other.client.dialogs({}, { mode: 'stream' })).catch((e: unknown) => e)
      expect(forced).toBeInstanceOf(AdminApiError)
      expect((forced as AdminApiError).errors).toEqual({ _id: ['is not an ObjectId'] })
    })

    it('stops when its signal aborts, in both walks', async () => {
      for (const mode of ['stream', 'paged'] as const) {
        const controller = new AbortController()
        let n = 0
        const walk = async () => {
          for await (const _ of client.messages({}, { mode, signal: controller.signal })) if (++n === 150) controller.abort()
        }
        const e = await walk().catch((e: unknown) => e)
        expect((e as Error).name).toBe('AbortError')
        expect(n).toBe(150)
      }
      // also while waiting out a Retry-After longer than the test's own timeout: were the wait not
      // cut short, the test would time out
      const { client: busy503 } = await through(() => ({ answer: 503, headers: { 'retry-after': '60' } }))
      const e = await collect(busy503.dialogs({}, { signal: AbortSignal.timeout(300) })).catch((e: unknown) => e)
      expect((e as Error).name).toBe('TimeoutError')
    })

    it('stops on a server that ignores _id[lt] instead of looping forever', async () => {
      // Every page would be the first one again: the client sees an _id that is not below the last.
      const ignoring: typeof fetch = (input, init) => fetch(String(input).replace(/&?_id%5Blt%5D=[0-9a-f]+/, ''), init)
      const c = new AdminClient({ url: server.url, key: server.key, retry: FAST, fetch: ignoring })
      await expect(collect(c.messages({}, { mode: 'paged' }))).rejects.toBeInstanceOf(AdminProtocolError)
    })
  })
}
