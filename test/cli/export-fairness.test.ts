// A streaming export read as fast as the server writes it must not hold the server: on SQLite every
// read is synchronous and a socket that takes each write at once calls back without a turn of the
// event loop, so an export that never waits would answer nothing else (not even /health) until it
// ended. The server runs as a child process, so that the reader here keeps up with it.
import { mkdtempSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { importValues } from '../../src/services/import.ts'
import { createStore, migrate } from '../../src/store/connect.ts'
import { send } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { KEY_LINE, LISTENING, startParley, type ParleyProcess } from './run.ts'

const B = 1645095700
// 60 batches of the export: a few seconds of reading under the fault, well under a second without it.
const MESSAGES = 60_000

describe('parley serve: a streaming export to a fast reader', () => {
  let dir: string
  let server: ParleyProcess
  let url: string
  let key: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-export-fairness-'))
    const file = join(dir, 'export.db')
    const store = createStore({ ...loadConfig({}).store, dbFile: file })
    try {
      await migrate(store)
      const dialog = dialogItem(B)
      await importValues(store, 'dialogs', [dialog])
      await importValues(store, 'messages', Array.from({ length: MESSAGES }, (_, i) => messageItem(dialog._id as string, B + i)))
    } finally {
      await store.close()
    }
    server = startParley(['serve', '--db', file, '--port', '0'], { env: { PARLEY_RATE_LIMIT_ADMIN: '0' } })
    url = (await server.waitFor(LISTENING))[1]!
    key = (await server.waitFor(KEY_LINE))[1]!
  }, 120_000)
  afterAll(async () => {
    if (server?.running) await server.stop('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('lets other requests through between its batches', { timeout: 120_000 }, async () => {
    // Under way when /health is asked (its first bytes have arrived), and read at full speed.
    const events: string[] = []
    let items = 0
    const exported = new Promise<void>((resolve, reject) => {
      get(`${url}/admin/chat/messages/export`, { agent: false, headers: { 'CB-Administration-API-Key': key } }, (res) => {
        expect(res.statusCode).toBe(200)
        res.once('data', () => {
          void send(`${url}/health`, 'GET').then((r) => events.push(`health ${r.status}`), reject)
        })
        res.on('data', (chunk: Buffer) => {
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) items++
        })
        res.on('end', () => {
          events.push('export end')
          resolve()
        })
        res.on('error', reject)
      }).on('error', reject)
    })
    await exported
    for (let i = 0; i < 200 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 50))
    expect(items).toBe(MESSAGES)
    expect(events).toEqual(['health 200', 'export end'])
  })
})
