// `parley export` as a child process against a real server: both walks, the three formats, stdout,
// --resume after a cut, the fall-back on a server without the streaming export, retries through a
// flaky proxy, and usage and server errors. Its NDJSON and JSON output import with `parley import`.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoData } from '../../src/services/demo-data.ts'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { startProxy, type Proxy } from '../helpers/proxy.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { byIdDesc } from './admin.ts'
import { runParley, startParley } from './run.ts'

const parse = (text: string): Item[] => text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Item)

for (const kind of STORES) {
  describe(`parley export (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    let dir: string
    const proxies: Proxy[] = []
    const data = demoData({ dialogs: 30, messagesPerDialog: 40, seed: 11 })
    const messages = [...data.messages()]
    const all = byIdDesc(messages)
    const file = (name: string) => join(dir, name)
    const exportArgs = (what: string, url = server.url) => ['export', what, '--url', url, '--key', server.key]

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'parley-export-'))
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'dialogs', data.dialogs)
      await importValues(db.store, 'messages', messages)
      expect(messages.length).toBeGreaterThan(300)
    })
    afterAll(async () => {
      for (const p of proxies) await p.close()
      await server.close()
      await db.drop()
      rmSync(dir, { recursive: true, force: true })
    })

    it('writes every message once as NDJSON, streaming or paged, and the files import with parley import', async () => {
      for (const mode of ['stream', 'paged']) {
        const out = file(`messages-${mode}.ndjson`)
        const r = await runParley([...exportArgs('messages'), '--out', out, ...(mode === 'paged' ? ['--paged'] : [])])
        expect(r.code, r.stderr).toBe(0)
        expect(r.stderr).toMatch(new RegExp(`Exported ${messages.length} messages to .* \\(${mode}, `))
        expect(parse(readFileSync(out, 'utf8'))).toStrictEqual(all)
        const target = file(`import-${mode}.db`)
        const i = await runParley(['import', 'messages', out, '--db', target])
        expect(i.code, i.stderr).toBe(0)
        expect(i.stderr).toContain(`Imported ${messages.length} messages, rejected 0`)
      }
      // Both walks write the same bytes: pages and the stream write items alike.
      expect(readFileSync(file('messages-paged.ndjson'), 'utf8')).toBe(readFileSync(file('messages-stream.ndjson'), 'utf8'))
    })

    it('writes a JSON array (importable) and CSV with fixed columns; stdout by default', async () => {
      const json = await runParley([...exportArgs('dialogs'), '--format', 'json', '--filter', 'type[in]=2,3', '--out', file('d.json')])
      expect(json.code, json.stderr).toBe(0)
      const expected = byIdDesc(data.dialogs.filter((d) => d.type === 2 || d.type === 3))
      expect(JSON.parse(readFileSync(file('d.json'), 'utf8'))).toStrictEqual(expected)
      const i = await runParley(['import', 'dialogs', file('d.json'), '--db', file('json.db')])
      expect(i.stderr).toContain(`Imported ${expected.length} dialogs, rejected 0`)

      const empty = await runParley([...exportArgs('dialogs'), '--format', 'json', '--filter', 'type=2&name=nobody'])
      expect(empty.code, empty.stderr).toBe(0)
      expect(JSON.parse(empty.stdout)).toEqual([])

      const csv = await runParley([...exportArgs('dialogs'), '--format', 'csv'])
      expect(csv.code, csv.stderr).toBe(0)
      const rows = csv.stdout.split('\r\n').filter(Boolean)
      expect(rows[0]).toMatch(/^_id,user_id,created_at,updated_at,type,occupants_ids,.*,silent_ids,extra$/)
      expect(rows).toHaveLength(data.dialogs.length + 1)
      expect(rows[1]!.startsWith(`${all.length ? byIdDesc(data.dialogs)[0]!._id : ''},`)).toBe(true)
      expect(csv.stdout).toMatch(/"\[\d+,\d+/) // arrays as quoted JSON

      const mcsv = await runParley([...exportArgs('messages'), '--format', 'csv'])
      expect(mcsv.code, mcsv.stderr).toBe(0)
      expect(messages.some((m) => m.mission === 'take over the planet')).toBe(true)
      // custom keys in the last column, as one JSON object
      expect(mcsv.stdout).toContain('"{""mission"":""take over the planet""')

      const nd = await runParley([...exportArgs('messages'), '--filter', `chat_dialog_id=${data.dialogs[0]!._id}`])
      expect(nd.code, nd.stderr).toBe(0)
      expect(parse(nd.stdout)).toStrictEqual(all.filter((m) => m.chat_dialog_id === data.dialogs[0]!._id))
    })

    it('--resume continues a cut NDJSON file below its last complete line', async () => {
      const full = all.map((item) => JSON.stringify(item))
      for (const mode of ['stream', 'paged']) {
        const out = file(`resume-${mode}.ndjson`)
        // 123 complete lines, then half a line: what a kill in the middle of a write leaves
        writeFileSync(out, full.slice(0, 123).join('\n') + '\n' + full[123]!.slice(0, 40))
        const r = await runParley([...exportArgs('messages'), '--out', out, '--resume', ...(mode === 'paged' ? ['--paged'] : [])])
        expect(r.code, r.stderr).toBe(0)
        expect(r.stderr).toContain(`Resuming below _id ${all[122]!._id}`)
        expect(r.stderr).toContain(`Exported ${messages.length - 123} messages`)
        expect(parse(readFileSync(out, 'utf8'))).toStrictEqual(all)
      }
      const fresh = file('never-started.ndjson')
      const r = await runParley([...exportArgs('dialogs'), '--out', fresh, '--resume'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain('Nothing to resume from')
      expect(parse(readFileSync(fresh, 'utf8'))).toHaveLength(data.dialogs.length)

      writeFileSync(file('not-ndjson.ndjson'), 'a,b\n1,2\n')
      const wrong = await runParley([...exportArgs('dialogs'), '--out', file('not-ndjson.ndjson'), '--resume'])
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toMatch(/its last line is not an item with an _id/)

      const json = await runParley([...exportArgs('dialogs'), '--out', file('d.json'), '--resume', '--format', 'json'])
      expect(json.code).toBe(2)
      expect(json.stderr).toMatch(/--resume works with --format ndjson only/)
    })

    it('falls back to the documented loop on a server without the streaming export, and retries through trouble', async () => {
      const plain = await startProxy(server.url, ({ url }) => (url.includes('/export') ? { answer: 404, body: '{"errors":["Not found"]}' } : undefined))
      proxies.push(plain)
      const r = await runParley([...exportArgs('messages', plain.url), '--out', file('plain.ndjson')])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/\(paged, /)
      expect(parse(readFileSync(file('plain.ndjson'), 'utf8'))).toStrictEqual(all)

      const flaky = await startProxy(server.url, ({ n }) =>
        n === 1 ? { answer: 429, headers: { 'retry-after': '0' } } : n === 2 ? { answer: 503 } : n === 3 ? { drop: true } : n === 4 ? { cutAfter: 20_000 } : undefined,
      )
      proxies.push(flaky)
      const f = await runParley([...exportArgs('messages', flaky.url), '--out', file('flaky.ndjson')])
      expect(f.code, f.stderr).toBe(0)
      expect(f.stderr).toMatch(/retry 1 in .*429/)
      expect(f.stderr).toMatch(/retry .*503/)
      expect(parse(readFileSync(file('flaky.ndjson'), 'utf8'))).toStrictEqual(all)
    })

    it('on Ctrl-C writes out whole lines, says how many, and --resume finishes the file', async () => {
      const slow = await startProxy(server.url, () => ({ delayMs: 300 }))
      proxies.push(slow)
      const out = file('interrupted.ndjson')
      const child = startParley([...exportArgs('messages', slow.url), '--paged', '--out', out])
      while (slow.seen.length < 3) await new Promise((r) => setTimeout(r, 50))
      const exit = await child.stop('SIGINT')
      expect(exit.code, child.stderr()).toBe(130)
      const written = Number(child.stderr().match(/(\d+) messages were written; add --resume to continue/)?.[1])
      expect(written).toBeGreaterThan(0)
      expect(written).toBeLessThan(messages.length)
      const lines = parse(readFileSync(out, 'utf8'))
      expect(lines).toHaveLength(written)
      expect(lines).toStrictEqual(all.slice(0, written))
      const r = await runParley([...exportArgs('messages'), '--out', out, '--resume'])
      expect(r.code, r.stderr).toBe(0)
      expect(parse(readFileSync(out, 'utf8'))).toStrictEqual(all)
    })

    it('says what is wrong: the server’s errors, usage, and what was written before a failure', async () => {
      let r = await runParley([...exportArgs('dialogs'), '--filter', 'updatd_at[gt]=1'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/400 from .*updatd_at: unknown parameter/)
      r = await runParley(['export', 'dialogs', '--url', server.url, '--key', 'wrong'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/401/)
      // A key is random base64url: one in 4,096 begins with "-V", which is a value here, not --version.
      r = await runParley(['export', 'dialogs', '--url', server.url, '--key', '-Vwrong'])
      expect(r.code, r.stdout).toBe(1)
      expect(r.stderr).toMatch(/401/)
      r = await runParley(['export', 'dialogs', '--url', server.url])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/--key/)
      r = await runParley(['export', 'dialogs', '--url', 'ftp://x', '--key', 'k'])
      expect(r.code).not.toBe(0)
      expect(r.stderr).toMatch(/url must start with http/)
      const down = await startProxy(server.url, ({ n }) => (n > 1 ? { answer: 500 } : undefined))
      proxies.push(down)
      r = await runParley([...exportArgs('messages', down.url), '--paged', '--retries', '1', '--out', file('down.ndjson')])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/500 from .*100 messages were written; add --resume to continue/s)
      expect(existsSync(file('down.ndjson'))).toBe(true)
      expect(parse(readFileSync(file('down.ndjson'), 'utf8'))).toHaveLength(100)
    })
  })
}
