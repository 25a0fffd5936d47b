// The soak: minutes of mixed reads and writes against one `parley serve` on a fresh database, the
// way a busy deployment sees them at once — chat sends, read marks (by id and "mark all"), message
// edits and deletes, dialog and message lists of the chat API, admin list pages with filters, and
// streaming exports. Reports throughput and p50/p99 per kind of request, every non-2xx answer (there
// must be none), and the server's RSS sampled every second: start, peak, end, and the slope over the
// second half (which must be about flat: a leak shows as a steady climb).
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { random } from '../src/services/demo-data.ts'
import { summarize } from './measure.ts'
import { createKey, startParley } from './servers.ts'

export interface SoakKind {
  kind: string
  requests: number
  errors: number
  rps: number
  p50: number
  p99: number
  firstError?: string
}

export interface SoakResult {
  store: string
  seconds: number
  /** Chat clients and admin clients, each a closed loop. */
  chatClients: number
  adminClients: number
  requests: number
  errors: number
  rps: number
  kinds: SoakKind[]
  /** Server RSS (VmRSS), MB: at the start, the highest sample, at the end; slope over the second half in MB per minute. */
  rss: { startMb: number; peakMb: number; endMb: number; secondHalfSlopeMbPerMin: number; samples: number }
  messagesAtEnd: number
}

const AUTH_KEY = 'bench-soak-auth-key-0123456789'
// One chat client per user: a user's own edits and deletes never race each other.
const USERS = 16
const CHAT_CLIENTS = USERS
const ADMIN_CLIENTS = 2

const vmRssMb = (pid: number): number | null => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

interface Reply {
  status: number
  body: string
}

function request(agent: http.Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const sent = payload === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: sent, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : sxy / sxx
}

interface User {
  id: number
  headers: Record<string, string>
  dialogs: string[]
  /** Own messages only this user writes to again (edits, deletes): no one else marks them, so no 404 race. */
  own: string[]
}

/** `--soak <seconds>` against a fresh database given by `storeArgs`. */
export async function soak(store: string, storeArgs: string[], seconds: number, seed: number, log: (line: string) => void): Promise<SoakResult> {
  const adminKey = await createKey(storeArgs)
  const server = await startParley([...storeArgs, '--auth-key', AUTH_KEY])
  const agent = new http.Agent({ keepAlive: true, maxSockets: CHAT_CLIENTS + ADMIN_CLIENTS + 2 })
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> => request(agent, server.port, method, path, headers, body)
  const must = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const r = await call(method, path, headers, body)
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely here
    return JSON.parse(r.body) as Record<string, any>
  }
  try {
    const users: User[] = []
    for (let i = 0; i < USERS; i++) {
      const login = `soak-user-${i}`
      const up = await must('POST', '/users', { 'CB-AuthKey': AUTH_KEY }, { user: { login, password: 'soak-password-1' } })
      const s = await must('POST', '/session', {}, { auth_key: AUTH_KEY, user: { login, password: 'soak-password-1' } })
      users.push({ id: up.user.id, headers: { 'CB-Token': s.session.token }, dialogs: [], own: [] })
    }
    // Six groups of five or six, and a private dialog between neighbours.
    const dialogs: Array<{ id: string; members: User[] }> = []
    for (let g = 0; g < 6; g++) {
      const members = users.filter((_, i) => (i + g) % 2 === 0 || i === g)
      const d = await must('POST', '/chat/Dialog', members[0]!.headers, { type: 2, name: `soak ${g}`, occupants_ids: members.slice(1).map((u) => u.id) })
      dialogs.push({ id: d._id, members })
    }
    for (let i = 0; i < USERS; i += 2) {
      const d = await must('POST', '/chat/Dialog', users[i]!.headers, { type: 3, occupants_ids: [users[i + 1]!.id] })
      dialogs.push({ id: d._id, members: [users[i]!, users[i + 1]!] })
    }
    for (const d of dialogs) for (const u of d.members) u.dialogs.push(d.id)
    /** Recent messages per dialog that any member may mark read (never deleted). */
    const shared = new Map<string, string[]>(dialogs.map((d) => [d.id, []]))
    const admin = { 'CB-Administration-API-Key': adminKey }
    const startedAt = Math.floor(Date.now() / 1000)

    const samples = new Map<string, number[]>()
    const errors = new Map<string, { n: number; first: string }>()
    const record = (kind: string, ms: number, status: number | null, what: string) => {
      if (status !== null && status >= 200 && status < 300) {
        let list = samples.get(kind)
        if (!list) samples.set(kind, (list = []))
        list.push(ms)
      } else {
        const e = errors.get(kind) ?? { n: 0, first: what }
        e.n++
        errors.set(kind, e)
      }
    }
    /** One timed request; its answer (null on a transport error). */
    const timed = async (kind: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply | null> => {
      const t0 = performance.now()
      try {
        const r = await call(method, path, headers, body)
        record(kind, performance.now() - t0, r.status, `${r.status} ${method} ${path}: ${r.body.slice(0, 200)}`)
        return r
      } catch (error) {
        record(kind, performance.now() - t0, null, `${method} ${path}: ${(error as Error).message}`)
        return null
      }
    }
    const pick = <T>(r: () => number, list: T[]): T => list[Math.floor(r() * list.length)]!

    const sendAs = async (u: User, r: () => number) => {
      const dialog = pick(r, u.dialogs)
      const a = await timed('send', 'POST', '/chat/Message', u.headers, { chat_dialog_id: dialog, message: `soak ${Math.floor(r() * 1e9).toString(36)}` })
      if (a?.status !== 201 && a?.status !== 200) return
      const id = JSON.parse(a.body)._id as string
      if (r() < 0.3) u.own.push(id)
      else {
        const list = shared.get(dialog)!
        list.push(id)
        if (list.length > 200) list.shift()
      }
    }
    // Some history before the clock starts.
    await Promise.all(users.map(async (u, i) => {
      const r = random(seed + 200 + i)
      for (let n = 0; n < 40; n++) await sendAs(u, r)
    }))
    samples.clear()

    let stop = false
    const chatClient = async (i: number) => {
      const u = users[i]!
      const r = random(seed + 300 + i)
      while (!stop) {
        const x = r()
        const dialog = pick(r, u.dialogs)
        if (x < 0.3) await sendAs(u, r)
        else if (x < 0.42) {
          const list = shared.get(dialog)!
          if (list.length > 0) await timed('mark read', 'PUT', `/chat/Message/${pick(r, list)}`, u.headers, { read: 1 })
        } else if (x < 0.47) await timed('mark all read', 'PUT', '/chat/Message', u.headers, { chat_dialog_id: dialog, read: 1 })
        else if (x < 0.65) await timed('dialog list', 'GET', '/chat/Dialog?limit=50', u.headers)
        else if (x < 0.8) await timed('message list', 'GET', `/chat/Message?chat_dialog_id=${dialog}&limit=50&mark_as_read=0`, u.headers)
        else if (x < 0.92) {
          if (u.own.length > 0) await timed('edit', 'PUT', `/chat/Message/${pick(r, u.own)}`, u.headers, { message: `edited ${Math.floor(r() * 1e9).toString(36)}` })
        } else if (u.own.length > 5) {
          const id = u.own.splice(Math.floor(r() * u.own.length), 1)[0]!
          await timed('delete', 'DELETE', `/chat/Message/${id}?force=1`, u.headers)
        }
      }
    }
    const adminClient = async (i: number) => {
      const r = random(seed + 400 + i)
      while (!stop) {
        const x = r()
        const since = startedAt - 60 + Math.floor(r() * 120)
        const dialog = pick(r, dialogs).id
        if (x < 0.3) await timed('admin messages page', 'GET', `/admin/chat/messages/list?limit=100&chat_dialog_id=${dialog}&updated_at[gt]=${since}`, admin)
        else if (x < 0.55) await timed('admin messages page', 'GET', `/admin/chat/messages/list?limit=100&sort_desc=created_at&created_at[gte]=${since}`, admin)
        else if (x < 0.8) await timed('admin dialogs page', 'GET', `/admin/chat/list?limit=100&updated_at[gt]=${since}&type[in]=2,3`, admin)
        else await timed('export (one dialog)', 'GET', `/admin/chat/messages/export?chat_dialog_id=${dialog}`, admin)
      }
    }

    const rss: Array<[number, number]> = []
    const t0 = performance.now()
    const sample = () => {
      const mb = vmRssMb(server.pid)
      if (mb !== null) rss.push([(performance.now() - t0) / 1000, mb])
    }
    sample()
    let lastLog = 0
    const sampler = setInterval(() => {
      sample()
      const at = (performance.now() - t0) / 1000
      if (at - lastLog >= 30) {
        lastLog = at
        const done = [...samples.values()].reduce((s, l) => s + l.length, 0)
        log(`  soak ${store}: ${Math.round(at)} s, ${done} requests, RSS ${Math.round(rss.at(-1)?.[1] ?? 0)} MB`)
      }
    }, 1000)
    const timer = setTimeout(() => (stop = true), seconds * 1000)
    await Promise.all([...Array.from({ length: CHAT_CLIENTS }, (_, i) => chatClient(i)), ...Array.from({ length: ADMIN_CLIENTS }, (_, i) => adminClient(i))])
    clearTimeout(timer)
    clearInterval(sampler)
    sample()
    const elapsed = (performance.now() - t0) / 1000

    const kinds: SoakKind[] = [...new Set([...samples.keys(), ...errors.keys()])].sort().map((kind) => {
      const l = summarize(samples.get(kind) ?? [], elapsed)
      const e = errors.get(kind)
      return { kind, requests: l.requests, errors: e?.n ?? 0, rps: l.rps, p50: l.p50, p99: l.p99, ...(e ? { firstError: e.first } : {}) }
    })
    const half = rss.filter(([t]) => t >= elapsed / 2)
    const count = await must('GET', '/admin/chat/messages/list?count=1', admin)
    const requests = kinds.reduce((s, k) => s + k.requests + k.errors, 0)
    const errorCount = kinds.reduce((s, k) => s + k.errors, 0)
    return {
      store,
      seconds: Number(elapsed.toFixed(1)),
      chatClients: CHAT_CLIENTS,
      adminClients: ADMIN_CLIENTS,
      requests,
      errors: errorCount,
      rps: Math.round(requests / elapsed),
      kinds,
      rss: {
        startMb: Math.round(rss[0]?.[1] ?? 0),
        peakMb: Math.round(Math.max(...rss.map(([, y]) => y))),
        endMb: Math.round(rss.at(-1)?.[1] ?? 0),
        secondHalfSlopeMbPerMin: Number((slope(half) * 60).toFixed(2)),
        samples: rss.length,
      },
      messagesAtEnd: count.items.count as number,
    }
  } finally {
    agent.destroy()
    await server.stop()
  }
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const int = (x: number): string => Math.round(x).toLocaleString('en-US')

export function soakLine(r: SoakResult): string {
  return `soak ${r.store}: ${int(r.requests)} requests in ${r.seconds} s = ${int(r.rps)}/s, ${r.errors} errors; RSS ${r.rss.startMb} → peak ${r.rss.peakMb} → ${r.rss.endMb} MB, second half ${r.rss.secondHalfSlopeMbPerMin} MB/min`
}

/** The soak's tables, for the results block of bench/README.md. */
export function soakMarkdown(results: SoakResult[]): string {
  if (results.length === 0) return ''
  const out: string[] = ['', '#### Soak (mixed chat and admin load on one server, fresh database)', '']
  const first = results[0]!
  out.push(`${first.chatClients} chat clients and ${first.adminClients} admin clients in closed loops for ${first.seconds} s. Latencies in ms; errors are non-2xx answers and transport failures (there must be none).`, '')
  out.push('| store | kind | requests | per second | p50 | p99 | errors |', '|---|---|---:|---:|---:|---:|---:|')
  for (const r of results) {
    for (const k of r.kinds) out.push(`| ${r.store} | ${k.kind} | ${int(k.requests)} | ${int(k.rps)} | ${fmt(k.p50)} | ${fmt(k.p99)} | ${k.errors}${k.errors ? ` ⚠ ${k.firstError}` : ''} |`)
    out.push(`| ${r.store} | **all** | ${int(r.requests)} | ${int(r.rps)} | | | ${r.errors}${r.errors ? ' ⚠' : ''} |`)
  }
  out.push('', '| store | RSS start MB | peak MB | end MB | slope over the second half, MB/min | messages at the end |', '|---|---:|---:|---:|---:|---:|')
  for (const r of results) out.push(`| ${r.store} | ${r.rss.startMb} | ${r.rss.peakMb} | ${r.rss.endMb} | ${r.rss.secondHalfSlopeMbPerMin} | ${int(r.messagesAtEnd)} |`)
  return out.join('\n') + '\n'
}
