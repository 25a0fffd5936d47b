// `parley serve` as a child process: the URL it logs, /health, the key it prints on a first start
// (and only then), --demo, PARLEY_DB, and a clean exit on SIGTERM: /ready answering 503 while
// draining, an in-flight request completed, the audit log's last batch written, the WAL checkpointed.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import type { Item } from '../../src/services/items.ts'
import { listAdminKeys, type KeyInfo } from '../../src/services/keys.ts'
import { createStore } from '../../src/store/connect.ts'
import { send } from '../helpers/app.ts'
import { createPostgresDatabase } from '../helpers/stores.ts'
import { getter, pageAll } from './admin.ts'
import { KEY_LINE, LISTENING, freePort, runParley, startParley, type ParleyProcess } from './run.ts'

/** The curl line a first start prints after its key (KEY_LINE). */
const CURL_LINE = /^ {2}curl -H "CB-Administration-API-Key: ([^"]+)" "([^"]+)"$/m
const KEYLIKE = /[A-Za-z0-9_-]{43}/g
/** stdout without the JSON log lines (which carry paths and host names). */
const printed = (p: ParleyProcess): string =>
  p
    .stdout()
    .split('\n')
    .filter((l) => !l.startsWith('{'))
    .join('\n')

let dir: string
const started: ParleyProcess[] = []

function serve(args: string[], env?: Record<string, string>): ParleyProcess {
  const p = startParley(['serve', ...args], env ? { env } : {})
  started.push(p)
  return p
}

async function keysIn(file: string): Promise<KeyInfo[]> {
  const store = createStore({ ...loadConfig({}).store, dbFile: file })
  try {
    return await listAdminKeys(store)
  } finally {
    await store.close()
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-serve-'))
})
afterAll(async () => {
  // Only a failed test leaves one running.
  for (const p of started) if (p.running) await p.stop('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('parley serve: first and second start on one --db file', () => {
  let file: string
  let port: number
  let first: ParleyProcess
  let url: string
  let key: string

  beforeAll(async () => {
    file = join(dir, 'serve.db')
    port = await freePort()
    first = serve(['--db', file, '--port', String(port)])
    url = (await first.waitFor(LISTENING))[1]!
    key = (await first.waitFor(KEY_LINE))[1]!
  })

  it('logs its URL, and GET /health answers 200', async () => {
    expect(url).toBe(`http://127.0.0.1:${port}`)
    const r = await send(`${url}/health`, 'GET')
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ status: 'ok' })
  })

  it('prints one new key, once, with a curl line that works as pasted', async () => {
    const out = printed(first)
    expect(new Set(out.match(KEYLIKE))).toEqual(new Set([key]))
    const curl = out.match(CURL_LINE)
    expect(curl, out).not.toBeNull()
    const [, header, target] = curl!
    expect(header).toBe(key)
    expect(target!.startsWith(`${url}/admin/chat/list`)).toBe(true)
    const r = await send(target!, 'GET', { headers: { 'CB-Administration-API-Key': header! } })
    expect(r.status, r.text).toBe(200)
    expect(r.json).toMatchObject({ total_entries: 0, skip: 0, items: [] })
    expect((await send(target!, 'GET')).status).toBe(401)
    expect((await keysIn(file)).map((k) => k.name)).toEqual(['default'])
  })

  it('answers every upload over the body limit 413, and the client reads it before the connection closes', async () => {
    // A server of its own process, as clients meet it: in the tests' one process the reset that
    // lost the answer (client-errors.ts lingerOnEarlyClose) hardly ever happened.
    const mb = Buffer.alloc(1024 * 1024, 'x')
    const upload = () =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        const chunks: Buffer[] = []
        socket.on('data', (c: Buffer) => chunks.push(c))
        socket.on('error', () => {})
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
        socket.on('connect', () => {
          socket.write(`PUT /admin/chat/61721539107bd9002fdb84ed HTTP/1.1\r\nHost: x\r\nCB-Administration-API-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${10 * mb.length}\r\n\r\n`)
          for (let i = 0; i < 10 && !socket.destroyed; i++) socket.write(mb)
        })
      })
    const answers = []
    for (let i = 0; i < 30; i++) answers.push(await upload())
    const statuses = answers.map((a) => /^HTTP\/1\.1 (\d{3})/.exec(a)?.[1] ?? 'no answer')
    expect(statuses).toEqual(Array.from({ length: 30 }, () => '413'))
    expect(JSON.parse(answers[0]!.split('\r\n\r\n')[1]!)).toHaveProperty('errors')
  })

  it('drains and exits 0 on SIGTERM', async () => {
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(first.stdout()).toContain('SIGTERM')
  })

  it('a second start on the same file prints no key and creates none; the first key still works', async () => {
    const second = serve(['--db', file, '--port', '0'])
    const url2 = (await second.waitFor(LISTENING))[1]!
    const r = await getter(url2, key)('/admin/chat/list')
    expect(r.status, r.text).toBe(200)
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    // Exited cleanly through the shutdown handler, so anything it meant to print is in stdout.
    expect(second.stdout()).toContain('SIGTERM')
    expect(printed(second)).not.toMatch(KEYLIKE)
    expect(printed(second)).not.toMatch(/curl|Administration API key/)
    expect(await keysIn(file)).toHaveLength(1)
  })
})

describe('parley serve: SIGTERM drains', () => {
  it('answers /ready 503 while draining, completes an in-flight request, writes its audit entry, and leaves no WAL behind', { timeout: 120_000 }, async () => {
    const file = join(dir, 'drain.db')
    // The drain delay only orders the steps below (its log lines are waited for); nothing is timed.
    const p = serve(['--db', file, '--port', '0'], { PARLEY_DRAIN_DELAY: '5000' })
    const url = (await p.waitFor(LISTENING))[1]!
    const key = (await p.waitFor(KEY_LINE))[1]!
    expect((await send(`${url}/ready`, 'GET')).status).toBe(200)

    // A request whose body is still being sent when the signal arrives: in flight through the drain.
    const body = JSON.stringify({ limit: 1 })
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${url}/admin/chat/list`, {
        method: 'GET',
        agent: false,
        headers: { 'CB-Administration-API-Key': key, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      })
      req.on('response', (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      req.write(body.slice(0, 5))
      void p.waitFor(/"msg":"closing: waiting for in-flight requests/).then(() => req.end(body.slice(5)))
    })

    process.kill(p.pid, 'SIGTERM')
    await p.waitFor(/draining: \/ready answers 503/)
    const ready = await send(`${url}/ready`, 'GET')
    expect([ready.status, ready.json]).toEqual([503, { errors: ['shutting down'] }])
    expect((await send(`${url}/health`, 'GET')).status).toBe(200)

    const done = await answer
    expect(done.status, done.text).toBe(200)
    expect(JSON.parse(done.text)).toMatchObject({ limit: 1, items: [] })
    expect(await p.exited()).toEqual({ code: 0, signal: null })

    // The store was closed cleanly: the WAL was checkpointed into the database and removed.
    const wal = `${file}-wal`
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true)
    const store = createStore({ ...loadConfig({}).store, dbFile: file })
    try {
      const audited = await store.db.selectFrom('admin_audit').select(['route', 'status', 'params']).execute()
      expect(audited).toEqual([{ route: '/admin/chat/list', status: 200, params: JSON.stringify({ body: { limit: '1' } }) }])
    } finally {
      await store.close()
    }
  })
})

describe('parley serve with PARLEY_DB', () => {
  it('uses the file PARLEY_DB names, like --db', async () => {
    const file = join(dir, 'from-env.db')
    const p = serve(['--port', '0'], { PARLEY_DB: file })
    const url = (await p.waitFor(LISTENING))[1]!
    const key = (await p.waitFor(KEY_LINE))[1]!
    expect(p.stdout()).toContain(`"location":${JSON.stringify(file)}`)
    expect((await getter(url, key)('/admin/chat/messages/list')).status).toBe(200)
    expect(await p.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    // The key it printed is the one stored in that file.
    const keys = await keysIn(file)
    expect(keys).toHaveLength(1)
    expect(keys[0]!.last_used_at).not.toBeNull()
  })
})

describe('parley serve: PARLEY_HEAP_GROWTH_PERCENT', () => {
  it('logs the heap growth it sets: the one it is given, 30 by default', async () => {
    const p = serve(['--db', join(dir, 'heap.db'), '--port', '0'], { PARLEY_HEAP_GROWTH_PERCENT: '45' })
    await p.waitFor(LISTENING)
    expect(p.stdout()).toContain('"heapGrowthPercent":45')
    expect(await p.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    const q = serve(['--db', join(dir, 'heap.db'), '--port', '0'])
    await q.waitFor(LISTENING)
    expect(q.stdout()).toContain('"heapGrowthPercent":30')
    expect(await q.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  })

  it('refuses a value that is not a percentage, naming the variable', async () => {
    const r = await runParley(['serve', '--db', join(dir, 'heap.db'), '--port', '0'], { env: { PARLEY_HEAP_GROWTH_PERCENT: 'lots' } })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/PARLEY_HEAP_GROWTH_PERCENT must be an integer from 0 to 1000/)
  })
})

describe('parley serve --demo', () => {
  let p: ParleyProcess
  let get: ReturnType<typeof getter>
  beforeAll(async () => {
    p = serve(['--db', join(dir, 'demo.db'), '--port', '0', '--demo'])
    const url = (await p.waitFor(LISTENING))[1]!
    get = getter(url, (await p.waitFor(KEY_LINE))[1]!)
  })

  it('fills an empty database: hundreds of dialogs of all four types, thousands of messages', async () => {
    const dialogs = await pageAll(get, '/admin/chat/list')
    expect(dialogs.length).toBeGreaterThanOrEqual(200)
    expect([...new Set(dialogs.map((d) => d.type))].sort()).toEqual([1, 2, 3, 4])
    const messages = await get('/admin/chat/messages/list?limit=1')
    expect(messages.status, messages.text).toBe(200)
    expect(messages.json.total_entries).toBeGreaterThanOrEqual(2000)
    expect(p.stderr()).toContain(`loaded ${dialogs.length} dialogs and ${messages.json.total_entries} messages`)

    // A dialog's last message is its newest message, for a sample of dialogs of every type.
    const sample = [1, 2, 3, 4].map((t) => dialogs.find((d) => d.type === t && d.last_message_id !== null) as Item)
    for (const d of sample) {
      const newest = await get(`/admin/chat/messages/list?chat_dialog_id=${d._id}&limit=1`)
      expect(newest.status, newest.text).toBe(200)
      const m = newest.json.items[0] as Item
      expect(m._id).toBe(d.last_message_id)
      expect(m.message).toBe(d.last_message)
      expect(m.date_sent).toBe(d.last_message_date_sent)
      expect(m.sender_id).toBe(d.last_message_user_id)
    }
  })

  it('exits 0 on SIGTERM', async () => {
    expect(await p.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  })
})

const pgUrl = process.env.PARLEY_TEST_DATABASE_URL
describe.runIf(pgUrl)('parley serve --database-url (postgres)', () => {
  let pg: { url: string; drop(): Promise<void> }
  beforeAll(async () => {
    pg = await createPostgresDatabase(pgUrl!)
  })
  afterAll(async () => {
    for (const p of started) if (p.running) await p.stop('SIGKILL')
    await pg?.drop()
  })

  it('exits 0 on a SIGTERM sent as soon as the URL is logged (the key check still waiting on the database)', async () => {
    const p = serve(['--database-url', pg.url, '--port', '0'])
    await p.waitFor(LISTENING)
    expect(await p.stop('SIGTERM'), p.stderr()).toEqual({ code: 0, signal: null })
    expect(p.stdout()).toContain('"store":"postgres"')
  })
})

// The Unix-socket form of the URL that docs/scaling.md gives for a server on the database's own
// machine. CI lets the test user in through the socket with a password (.ci/run) and sets this.
const socketDir = process.env.PARLEY_TEST_PG_SOCKET
describe.runIf(pgUrl && socketDir)("parley serve through PostgreSQL's Unix socket", () => {
  let db: { url: string; drop(): Promise<void> }
  beforeAll(async () => {
    db = await createPostgresDatabase(pgUrl!)
  })
  afterAll(async () => {
    for (const p of started) if (p.running) await p.stop('SIGKILL')
    await db?.drop()
  })

  it('answers the admin lists from the socket, with no TCP connection to the database', async () => {
    const overSocket = new URL(db.url)
    overSocket.searchParams.set('host', socketDir!)
    const p = serve(['--database-url', overSocket.toString(), '--port', '0'])
    const url = (await p.waitFor(LISTENING))[1]!
    const key = (await p.waitFor(KEY_LINE))[1]!
    const r = await send(`${url}/admin/chat/list?limit=1`, 'GET', { headers: { 'CB-Administration-API-Key': key } })
    expect(r.status, r.text).toBe(200)
    expect(r.json).toMatchObject({ total_entries: 0, items: [] })
    // Every connection the server holds to its database came through the socket: no client address.
    const watcher = createStore({ ...loadConfig({}).store, databaseUrl: pgUrl!, poolSize: 1 })
    try {
      const { rows } = await sql<{ socket: number; tcp: number }>`
        select count(*) filter (where client_addr is null)::int as socket, count(*) filter (where client_addr is not null)::int as tcp
        from pg_stat_activity where datname = ${new URL(db.url).pathname.slice(1)}`.execute(watcher.db)
      expect(rows[0]!.socket).toBeGreaterThan(0)
      expect(rows[0]!.tcp).toBe(0)
    } finally {
      await watcher.close()
    }
    expect(await p.stop('SIGTERM'), p.stderr()).toEqual({ code: 0, signal: null })
  })
})
