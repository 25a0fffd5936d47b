// Reading everything out while the chat is busy: the documented export loop (limit=100, then
// `_id[lt]=<last _id>` until a short page), the streaming export, and the typed client in both
// modes, each run while chat users send, edit and delete messages (for everyone) and an operator
// renames dialogs and adds members through the admin update. Each reader must give every item that
// existed throughout its run (there before it began, not deleted before it ended) exactly once, no
// item twice, and nothing that never existed, in any version (text, name) that never existed.
// loop.test.ts covers new items arriving between pages (inserts only, by import) and export.test.ts
// one snapshot under inserts and one change; this adds deletes, edits and dialog updates made
// through the HTTP API at the same time as the reads, and `parley export` (both modes) as a reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminClient } from '../../src/client/index.ts'
import { random } from '../../src/services/demo-data.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { runParley } from '../cli/run.ts'
import { send } from '../helpers/app.ts'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { dialogItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const SEED = 11
const BASE_MESSAGES = 640
const IMPORTED_DIALOGS = 230

/** What the writers did, for the checks: every id ever made, every text and name ever given, and which deletes had begun when. */
interface Ledger {
  readonly created: Set<string>
  readonly texts: Map<string, Set<string>>
  readonly names: Map<string, Set<string>>
  /** Ids whose delete was sent (before the answer: it may commit any time after). */
  readonly deleting: Set<string>
  readonly dialogOf: Map<string, string>
  /** A writer's failure: it stops every writer, and the readers report it. */
  readonly failures: string[]
  writes: number
}

for (const kind of STORES) {
  describe(`reading everything out under concurrent writes (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let users: ChatUser[]
    let busy: string
    const dialogIds: string[] = []
    const own = new Map<number, string[]>()
    const ledger: Ledger = { created: new Set(), texts: new Map(), names: new Map(), deleting: new Set(), dialogOf: new Map(), failures: [], writes: 0 }
    let base: string[] = []
    let baseDialogs: string[] = []
    let waiters: Array<() => void> = []
    let stop = false
    let writers: Promise<void>

    /** Resolves after `n` more writes have been answered (at once when the writers have stopped). */
    const writesPass = async (n: number) => {
      for (let i = 0; i < n && !stop; i++) await new Promise<void>((r) => waiters.push(r))
    }
    /** Runs a writer's loop; a failure stops all of them, so that no reader waits for writes forever. */
    const guarded = (loop: Promise<void>) =>
      loop.catch((error: Error) => {
        ledger.failures.push(error.message)
        stop = true
        for (const r of waiters) r()
      })
    const wrote = () => {
      ledger.writes++
      const w = waiters
      waiters = []
      for (const r of w) r()
    }

    async function sendAs(u: ChatUser, dialog: string, text: string): Promise<string> {
      const a = await u.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog, message: text } })
      expect(a.status, a.text).toBe(201)
      const id = a.json._id as string
      ledger.created.add(id)
      ledger.texts.set(id, new Set([text]))
      ledger.dialogOf.set(id, dialog)
      own.get(u.id)!.push(id)
      return id
    }

    /** One user's closed loop of sends, edits and deletes until stop. */
    async function writer(u: ChatUser, rnd: () => number): Promise<void> {
      const mine = own.get(u.id)!
      while (!stop) {
        const r = rnd()
        const pick = () => mine[Math.floor(rnd() * mine.length)]!
        if (r < 0.3 || mine.length === 0) {
          await sendAs(u, dialogIds[Math.floor(rnd() * dialogIds.length)]!, `late ${ledger.writes} ${u.id}`)
        } else if (r < 0.6) {
          const id = pick()
          const text = `edited ${ledger.writes} ${u.id}`
          ledger.texts.get(id)!.add(text)
          const a = await u.call('PUT', `/chat/Message/${id}`, { body: { message: text } })
          expect(a.status, a.text).toBe(200)
        } else {
          const id = pick()
          mine.splice(mine.indexOf(id), 1)
          ledger.deleting.add(id)
          const a = await u.call('DELETE', `/chat/Message/${id}?force=1`)
          expect(a.json.SuccessfullyDeleted.ids, a.text).toEqual([id])
        }
        wrote()
      }
    }

    /** The operator's loop: renames and new members through PUT /admin/chat/:id. */
    async function operator(rnd: () => number): Promise<void> {
      while (!stop) {
        const id = baseDialogs[Math.floor(rnd() * baseDialogs.length)]!
        const name = `renamed ${ledger.writes}`
        ledger.names.get(id)!.add(name)
        const a = await server.call('PUT', `/admin/chat/${id}`, { body: { name, push_all: { occupants_ids: [1000 + ledger.writes] } } })
        expect(a.status, a.text).toBe(200)
        wrote()
      }
    }

    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      users = [await server.user('ann'), await server.user('bob'), await server.user('cat'), await server.user('dan')]
      for (const u of users) own.set(u.id, [])
      const [ann] = users as [ChatUser]
      for (let i = 0; i < 3; i++) {
        const d = await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: `group ${i}`, occupants_ids: users.slice(1).map((u) => u.id) } })
        expect(d.status, d.text).toBe(201)
        dialogIds.push(d.json._id)
        ledger.names.set(d.json._id, new Set([`group ${i}`]))
      }
      busy = dialogIds[0]!
      // The messages there before any reader starts: most of them in the busy dialog.
      await Promise.all(
        users.map(async (u, ui) => {
          for (let i = ui; i < BASE_MESSAGES; i += users.length) await sendAs(u, i % 3 === 2 ? dialogIds[1 + (i % 2)]! : busy, `base ${i}`)
        }),
      )
      const imported = Array.from({ length: IMPORTED_DIALOGS }, (_, i) => dialogItem(1_700_000_000 + i * 37, { type: 2, name: `imported ${i}`, occupants_ids: [1] }))
      await importValues(db.store, 'dialogs', imported)
      for (const d of imported) ledger.names.set(d._id as string, new Set([d.name as string]))
      baseDialogs = imported.map((d) => d._id as string)
      base = [...ledger.created]
      const rnd = random(SEED)
      writers = Promise.all([...users.map((u, i) => guarded(writer(u, random(SEED * 100 + i)))), guarded(operator(rnd))]).then(() => {})
    }, 180_000)
    afterAll(async () => {
      stop = true
      await writers
      await server.close()
      await db.drop()
    })

    /** The checks every reader must pass: `got` is what it read; `deletedBy` the deletes begun before it ended. */
    function expectMessages(got: Item[], deletedBy: Set<string>, scope: (id: string) => boolean): void {
      expect(ledger.failures).toEqual([])
      const ids = got.map((m) => m._id as string)
      expect(ids.length - new Set(ids).size, 'items read twice').toBe(0)
      const throughout = base.filter((id) => scope(id) && !deletedBy.has(id))
      const read = new Set(ids)
      expect(throughout.filter((id) => !read.has(id)), 'items there throughout, not read').toEqual([])
      for (const m of got) {
        expect(ledger.created.has(m._id as string), `${m._id} never existed`).toBe(true)
        expect([...ledger.texts.get(m._id as string)!], `${m._id}: a text it never had`).toContain(m.message)
      }
      // The writers kept writing while this reader read.
      expect(deletedBy.size).toBeGreaterThan(0)
    }

    async function documentedLoop(path: string, filter: string): Promise<Item[]> {
      const all: Item[] = []
      let last: string | undefined
      for (;;) {
        const query = [filter, 'limit=100', last ? `_id[lt]=${last}` : ''].filter(Boolean).join('&')
        const r = await send(`${server.url}${path}?${query}`, 'GET', { headers: { 'CB-Administration-API-Key': server.key } })
        expect(r.status, r.text).toBe(200)
        const page = r.json.items as Item[]
        all.push(...page)
        if (page.length < 100) return all
        last = page.at(-1)!._id as string
        // Writes land between the pages, as well as during them.
        await writesPass(4)
      }
    }

    it('the documented loop over all messages', async () => {
      const before = ledger.writes
      const got = await documentedLoop('/admin/chat/messages/list', '')
      expect(ledger.writes - before).toBeGreaterThan(20)
      expectMessages(got, new Set(ledger.deleting), () => true)
    })

    it('the documented loop over one dialog (chat_dialog_id=)', async () => {
      const got = await documentedLoop('/admin/chat/messages/list', `chat_dialog_id=${busy}`)
      expect(got.every((m) => m.chat_dialog_id === busy)).toBe(true)
      expectMessages(got, new Set(ledger.deleting), (id) => ledger.dialogOf.get(id) === busy)
    })

    it('the streaming export, while the writes go on', async () => {
      const r = await send(`${server.url}/admin/chat/messages/export`, 'GET', { headers: { 'CB-Administration-API-Key': server.key } })
      expect(r.status).toBe(200)
      const got = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Item)
      // One snapshot: exactly what its header counted.
      expect(got).toHaveLength(Number(r.headers['x-total-entries']))
      expectMessages(got, new Set(ledger.deleting), () => true)
    })

    for (const mode of ['stream', 'paged'] as const) {
      it(`the typed client, mode ${mode}, taking its time`, async () => {
        const client = new AdminClient({ url: server.url, key: server.key })
        const got: Item[] = []
        for await (const m of client.items('messages', {}, { mode })) {
          got.push(m as Item)
          if (got.length % 50 === 0) await writesPass(2)
        }
        expectMessages(got, new Set(ledger.deleting), () => true)
      })
    }

    for (const flags of [[], ['--paged']]) {
      // A process of its own starts slowly on a busy machine: more time than the default.
      it(`parley export messages${flags.map((f) => ` ${f}`).join('')}: the CLI, a process of its own`, { timeout: 120_000 }, async () => {
        const before = ledger.writes
        const run = await runParley(['export', 'messages', '--url', server.url, '--key', server.key, ...flags])
        expect(run.code, run.stderr).toBe(0)
        expect(ledger.writes).toBeGreaterThan(before)
        expectMessages(run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Item), new Set(ledger.deleting), () => true)
      })
    }

    it('the documented loop and the streaming export of dialogs, while the operator updates them', async () => {
      const check = (got: Item[]) => {
        expect(ledger.failures).toEqual([])
        const ids = got.map((d) => d._id as string)
        expect(ids.length - new Set(ids).size, 'dialogs read twice').toBe(0)
        // No dialog is deleted: every one is read, once, in a version it had.
        expect([...ids].sort()).toEqual([...ledger.names.keys()].sort())
        for (const d of got) expect([...ledger.names.get(d._id as string)!]).toContain(d.name)
      }
      const before = ledger.writes
      check(await documentedLoop('/admin/chat/list', ''))
      expect(ledger.writes - before).toBeGreaterThan(4)
      const client = new AdminClient({ url: server.url, key: server.key })
      const streamed: Item[] = []
      for await (const d of client.items('dialogs', {}, { mode: 'stream' })) {
        streamed.push(d as Item)
        if (streamed.length % 50 === 0) await writesPass(2)
      }
      check(streamed)
    })
  })
}
