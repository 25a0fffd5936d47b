// `import { AdminClient } from 'parley/client'` as a consumer writes it: the package is built
// (npm run build), then a plain-Node script in the package resolves `parley/client` through
// package.json `exports` (self-reference) and walks a real server; and a consumer's TypeScript,
// with no tsx and no access to our sources, type-checks against the declarations.
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { ROOT } from '../cli/run.ts'

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const CONSUMER_JS = `
import { AdminClient, AdminApiError } from 'parley/client'
const client = new AdminClient({ url: process.env.URL, key: process.env.KEY })
let n = 0
for await (const m of client.messages({ updated_at: { gt: 0 } })) n++
const page = await client.page('dialogs', { limit: 5 })
let error = null
try {
  await client.page('dialogs', { bogus: 1 })
} catch (e) {
  error = { name: e.name, isApiError: e instanceof AdminApiError, status: e.status, errors: e.errors }
}
console.log(JSON.stringify({ n, pageSize: page.items.length, total: page.total_entries, error }))
`

const CONSUMER_TS = `
import { AdminClient, AdminApiError, type Dialog, type MessageFilters } from 'parley/client'
const client = new AdminClient({ url: 'http://127.0.0.1:8080', key: 'k' })
const filters: MessageFilters = { updated_at: { gt: 1687886581 }, chat_dialog_id: '61721539107bd9002fdb84ed' }
export async function names(): Promise<string[]> {
  const out: string[] = []
  for await (const d of client.dialogs({ type: { in: [2, 3] } })) {
    const dialog: Dialog = d
    out.push(dialog.name ?? '')
  }
  for await (const m of client.messages(filters)) out.push(m.chat_dialog_id)
  // @ts-expect-error not a filter of dialogs
  client.dialogs({ updatd_at: { gt: 1 } })
  // @ts-expect-error times are unix seconds, not strings
  client.messages({ created_at: { lt: 'yesterday' } })
  return out
}
export const isApiError = (e: unknown): number | null => (e instanceof AdminApiError ? e.status : null)
`

describe('the package entry parley/client', () => {
  let db: TestStore
  let server: TestServer
  const dir = join(ROOT, `.consumer-${process.pid}`)

  beforeAll(async () => {
    const build = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.client.json'])
    expect(build.code, build.stdout + build.stderr).toBe(0)
    mkdirSync(dir, { recursive: true })
    db = await STORES[0]!.open()
    server = await startServer(db.store)
    const d = dialogItem(1669548990)
    await importValues(db.store, 'dialogs', [d, dialogItem(1669548991)])
    await importValues(db.store, 'messages', Array.from({ length: 250 }, (_, i) => messageItem(d._id as string, 1669548990 + i)))
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await server.close()
    await db.drop()
  })

  it('imports in plain Node and walks a server', async () => {
    writeFileSync(join(dir, 'consumer.mjs'), CONSUMER_JS)
    const r = await run(process.execPath, [join(dir, 'consumer.mjs')], { URL: server.url, KEY: server.key })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      n: 250,
      pageSize: 2,
      total: 2,
      error: { name: 'AdminApiError', isApiError: true, status: 400, errors: { bogus: [expect.stringMatching(/unknown parameter/)] } },
    })
  })

  it("type-checks a consumer's TypeScript against the declarations", async () => {
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS)
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['consumer.ts'],
      }),
    )
    const r = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(dir, 'tsconfig.json')])
    expect(r.code, r.stdout + r.stderr).toBe(0)
  })
})
