// Export, import and export again is lossless: a demo data set is paged out of one database through
// the Admin API, written as NDJSON, loaded into a fresh database with `parley import`, and paged out
// again. Both exports, and the data set itself, must be deep-equal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { demoData } from '../../src/services/demo-data.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { createStore, migrate, type Store } from '../../src/store/connect.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { byIdDesc, ndjson, pageAll } from './admin.ts'
import { runParley } from './run.ts'

async function openServer(file: string): Promise<{ store: Store; server: TestServer }> {
  const store = createStore({ ...loadConfig({}).store, dbFile: file })
  await migrate(store)
  return { store, server: await startServer(store) }
}

describe('export → parley import → export', () => {
  let dir: string
  const open: Array<{ store: Store; server: TestServer }> = []
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-cli-roundtrip-'))
  })
  afterAll(async () => {
    for (const { store, server } of open) {
      await server.close()
      await store.close()
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('is lossless', async () => {
    const data = demoData({ dialogs: 40, messagesPerDialog: 10, seed: 7 })
    const messages = [...data.messages()] // completes the dialogs' last_message* fields
    const source = await openServer(join(dir, 'source.db'))
    open.push(source)
    await importValues(source.store, 'dialogs', data.dialogs)
    await importValues(source.store, 'messages', messages)

    const get1 = (path: string) => source.server.get(path)
    const dialogs1 = await pageAll(get1, '/admin/chat/list')
    const messages1 = await pageAll(get1, '/admin/chat/messages/list')
    // The data set is big enough to need several pages, and has what a lossy path would drop.
    expect(dialogs1).toHaveLength(40)
    expect(messages1.length).toBeGreaterThan(250)
    expect(new Set(dialogs1.map((d) => d.type))).toEqual(new Set([1, 2, 3, 4]))
    expect(messages1.some((m) => m.mission === 'take over the planet')).toBe(true)
    expect(dialogs1.some((d) => d.last_message_id !== null)).toBe(true)
    // The first export is the data set as it was imported.
    expect(dialogs1).toStrictEqual(byIdDesc(data.dialogs))
    expect(messages1).toStrictEqual(byIdDesc(messages))

    const target = join(dir, 'target.db')
    const dialogsFile = join(dir, 'dialogs.ndjson')
    const messagesFile = join(dir, 'messages.ndjson')
    writeFileSync(dialogsFile, ndjson(dialogs1))
    writeFileSync(messagesFile, ndjson(messages1))
    const d = await runParley(['import', 'dialogs', dialogsFile, '--db', target])
    expect(d.code, d.stderr).toBe(0)
    expect(d.stderr).toMatch(/Imported 40 dialogs, rejected 0\b/)
    const m = await runParley(['import', 'messages', messagesFile, '--db', target])
    expect(m.code, m.stderr).toBe(0)
    expect(m.stderr).toContain(`Imported ${messages1.length} messages, rejected 0`)

    const copy = await openServer(target)
    open.push(copy)
    const get2 = (path: string) => copy.server.get(path)
    const dialogs2: Item[] = await pageAll(get2, '/admin/chat/list')
    const messages2: Item[] = await pageAll(get2, '/admin/chat/messages/list')
    expect(dialogs2).toStrictEqual(dialogs1)
    expect(messages2).toStrictEqual(messages1)
  })
})
