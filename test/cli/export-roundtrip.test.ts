// Moving a parley: data on server A → `parley export` (streaming and paged) → `parley import` into an
// empty server B → every admin list query in a set answers identically on A and B, byte for byte.
// A's data is imported items plus what users made through the chat domain code (sign-ups, dialogs
// of every type, messages, reads, mutes, pins, reactions, edits, deletes: loadChatDemo, as
// `serve --demo` makes it), so every field the chat API writes travels too.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadChatDemo } from '../../src/services/demo-chat.ts'
import { demoData } from '../../src/services/demo-data.ts'
import { importValues } from '../../src/services/import.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { runParley } from './run.ts'

/** List queries whose answers must match; `{D}` is a dialog id, `{T}` a time inside the data. */
const QUERIES = [
  '/admin/chat/list',
  '/admin/chat/list?limit=7&skip=3',
  '/admin/chat/list?sort_asc=updated_at',
  '/admin/chat/list?sort_desc=created_at&type[in]=2,4',
  '/admin/chat/list?updated_at[gt]={T}',
  '/admin/chat/list?occupants_ids[all]={U}',
  '/admin/chat/list?count=1&type=2',
  '/admin/chat/messages/list',
  '/admin/chat/messages/list?skip=250',
  '/admin/chat/messages/list?chat_dialog_id={D}&sort_asc=created_at',
  '/admin/chat/messages/list?updated_at[gt]={T}&sort_desc=updated_at',
  '/admin/chat/messages/list?created_at[lte]={T}&_id[lt]={M}',
  '/admin/chat/messages/list?message[ctn]=thanks&limit=30',
  '/admin/chat/messages/list?attachments.type=image',
  '/admin/chat/messages/list?count=1&chat_dialog_id={D}',
  '/admin/chat/messages/list?sender_id[in]={U},{U2}',
]

for (const kind of STORES) {
  describe(`export from A, import into B (${kind.name})`, () => {
    let dir: string
    let a: TestStore
    let serverA: TestServer
    const opened: Array<{ db: TestStore; server: TestServer }> = []
    const data = demoData({ dialogs: 40, messagesPerDialog: 30, seed: 5 })
    const messages = [...data.messages()]

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'parley-move-'))
      a = await kind.open()
      serverA = await startServer(a.store)
      await importValues(a.store, 'dialogs', data.dialogs)
      await importValues(a.store, 'messages', messages)
      await loadChatDemo(a.store, { users: 12, dialogs: 20, messagesPerDialog: 8, seed: 3 })
    })
    afterAll(async () => {
      for (const { db, server } of opened) {
        await server.close()
        await db.drop()
      }
      await serverA.close()
      await a.drop()
      rmSync(dir, { recursive: true, force: true })
    })

    it.each(['stream', 'paged'])('answers every list query identically after moving (%s)', async (mode) => {
      const b = await kind.open()
      const target = b.config.databaseUrl ? ['--database-url', b.config.databaseUrl] : ['--db', b.config.dbFile]
      for (const what of ['dialogs', 'messages']) {
        const out = join(dir, `${what}-${mode}.ndjson`)
        const e = await runParley(['export', what, '--url', serverA.url, '--key', serverA.key, '--out', out, ...(mode === 'paged' ? ['--paged'] : [])])
        expect(e.code, e.stderr).toBe(0)
        expect(e.stderr).toContain(`(${mode}, `)
        const i = await runParley(['import', what, out, ...target])
        expect(i.code, i.stderr).toBe(0)
      }
      const serverB = await startServer(b.store)
      opened.push({ db: b, server: serverB })

      const sample = messages[Math.floor(messages.length / 2)]!
      const values: Record<string, string> = {
        D: data.dialogs[1]!._id as string,
        T: String(Math.floor(Date.parse(sample.updated_at as string) / 1000)),
        M: sample._id as string,
        U: String(sample.sender_id),
        U2: String(messages[3]!.sender_id),
      }
      for (const template of QUERIES) {
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!)
        const [ra, rb] = [await serverA.get(path), await serverB.get(path)]
        expect(ra.status, `${path}: ${ra.text}`).toBe(200)
        expect(rb.text, path).toBe(ra.text)
        // each query picks something out, so that equal answers are not merely equally empty
        const items = ra.json.items
        expect(Array.isArray(items) ? items.length : items.count, path).toBeGreaterThan(0)
      }
      // and the exports of both say the same
      for (const path of ['/admin/chat/export', '/admin/chat/messages/export']) {
        const [ra, rb] = [await serverA.get(path), await serverB.get(path)]
        expect(rb.text, path).toBe(ra.text)
      }
    })
  })
}
