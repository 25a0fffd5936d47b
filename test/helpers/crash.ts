// Crash durability, shared by test/scale/crash.test.ts (a few hundred writes) and the bench's
// durability phase (thousands, several kills): the real `parley serve` as a child process, several
// chat clients writing at once (sends, edits, deletes for everyone, read and delivered marks, "mark
// all read"), SIGKILL in mid-stream, a restart on the same database, and then the checks:
// - every write answered 2xx before the kill is there (a 2xx is sent after the commit);
// - a write whose answer never came is there whole or not at all, and nothing else is there;
// - each dialog's last_message* fields and each member's unread_messages_count equal what the
//   stored messages say (read back through the Administration API and the chat API);
// - SQLite: PRAGMA integrity_check is ok and foreign_key_check empty, on the file after the restart;
//   PostgreSQL: amcheck's bt_index_check on every index, when the role may create the extension.
// Everything random comes from one seeded PRNG per client, so a failure names its seed.
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { random } from '../../src/services/demo-data.ts'
import { freePort, runParley, startParley, type ParleyProcess } from '../cli/run.ts'
import { send, type Answer } from './app.ts'

export interface CrashOptions {
  /** `--db FILE` or `--database-url URL`: the database every start of the server uses. */
  readonly storeArgs: readonly string[]
  readonly seed: number
  /** Writes acknowledged in all before the run ends (the kills land within the first kills / (kills + 1) of them). */
  readonly writes: number
  /** How many times the server is killed with SIGKILL mid-stream. */
  readonly kills: number
  /** Concurrent chat clients, one user each (default 6). */
  readonly clients?: number
  /** Progress lines (the bench prints them). */
  readonly log?: (line: string) => void
}

export interface CrashReport {
  readonly seed: number
  readonly kills: number
  /** Writes answered 2xx before their round ended (by a kill or by the last round's end). */
  readonly acknowledged: number
  /** Of those, the ones whose effect was found (or that a later acknowledged write superseded). */
  readonly present: number
  /** Writes whose answer never came (the connection died with the server). */
  readonly unanswered: number
  /** Of the unanswered sends, how many were found after the restart (whole). */
  readonly unansweredSendsFound: number
  readonly unansweredSends: number
  readonly messages: number
  /** SQLite: integrity_check and foreign_key_check; PostgreSQL: amcheck, or why it was skipped. */
  readonly integrity: string[]
  /** Every inconsistency found; empty when all is well. */
  readonly problems: string[]
  readonly seconds: number
}

const AUTH_KEY = 'crash-test-auth-key-0123456789'
const ok = (status: number) => status >= 200 && status < 300

interface Server {
  readonly process: ParleyProcess
  readonly url: string
}

async function startServer(storeArgs: readonly string[]): Promise<Server> {
  const port = await freePort()
  const process = startParley(['serve', ...storeArgs, '--host', '127.0.0.1', '--port', String(port), '--auth-key', AUTH_KEY], {
    env: { PARLEY_LOG_LEVEL: 'warn' },
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 600; i++) {
    if (!process.running) throw new Error(`parley serve exited at start: ${process.stderr()}${process.stdout()}`)
    const up = await send(`${url}/health`, 'GET').then((r) => r.status === 200, () => false)
    if (up) return { process, url }
    await new Promise((r) => setTimeout(r, 100))
  }
  await process.stop('SIGKILL')
  throw new Error('parley serve did not answer /health within 60 s')
}

interface User {
  readonly id: number
  readonly token: string
}

/** A message as the clients know it: what its text may be now, and who was acknowledged marking it. */
interface Known {
  readonly id: string
  readonly dialog: string
  readonly sender: number
  /** The text of the last acknowledged send or edit, then any unanswered edit after it. */
  texts: string[]
  /** 'yes': an acknowledged delete; 'maybe': a delete whose answer never came. */
  deleted: 'no' | 'maybe' | 'yes'
  /** No more writes to it once an answer went missing: its state is one of two. */
  settled: boolean
  readonly readBy: Set<number>
  readonly deliveredBy: Set<number>
  /** When its send was acknowledged, on the shared tick clock. */
  readonly ackTick: number
  /** Acknowledged writes that are about this message. */
  acks: number
}

interface Dialog {
  readonly id: string
  readonly type: 2 | 3
  readonly members: number[]
}

/** Everything the clients were told, and what they sent without an answer. */
interface Ledger {
  readonly known: Map<string, Known>
  /** Texts of sends whose answer never came: each may exist once, or not at all. */
  readonly unansweredSends: Map<string, { dialog: string; sender: number }>
  /** Acknowledged "mark all read" per user and dialog: the tick its request was sent at. */
  readonly markAll: Array<{ user: number; dialog: string; sentTick: number }>
  acknowledged: number
  unanswered: number
  tick: number
  serial: number
}

type Call = (user: User, method: string, path: string, body?: object) => Promise<Answer>

/** One client: `user`'s closed loop of random writes until `stop()` says so or the server goes away. */
async function client(user: User, dialogs: Dialog[], ledger: Ledger, rnd: () => number, call: Call, stop: () => boolean, problems: string[]): Promise<void> {
  const mine = dialogs.filter((d) => d.members.includes(user.id))
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(rnd() * list.length)]
  // Messages this user may still write to: not settled, not deleted.
  const live = (m: Known) => !m.settled && m.deleted === 'no'
  /** A refusal (no transport failure): never expected, so a problem; the write is not acknowledged. */
  const refused = (what: string, a: Answer): false => {
    problems.push(`${what} answered ${a.status}: ${a.text}`)
    return false
  }
  while (!stop()) {
    const r = rnd()
    const dialog = pick(mine)!
    let op: () => Promise<boolean>
    if (r < 0.45) {
      const text = `crash ${user.id} ${++ledger.serial} ${Math.floor(rnd() * 1e9).toString(36)}`
      op = async () => {
        const a = await call(user, 'POST', '/chat/Message', { chat_dialog_id: dialog.id, message: text })
        if (!ok(a.status)) return refused('send', a)
        ledger.known.set(a.json._id, { id: a.json._id, dialog: dialog.id, sender: user.id, texts: [text], deleted: 'no', settled: false, readBy: new Set(), deliveredBy: new Set(), ackTick: ++ledger.tick, acks: 1 })
        return true
      }
      // Registered before the request: if the answer never comes, this is what may be there.
      ledger.unansweredSends.set(text, { dialog: dialog.id, sender: user.id })
      const before = op
      op = async () => {
        const done = await before()
        ledger.unansweredSends.delete(text)
        return done
      }
    } else {
      const own = [...ledger.known.values()].filter((m) => m.sender === user.id && live(m))
      const others = [...ledger.known.values()].filter((m) => m.sender !== user.id && dialog.members.includes(m.sender) && m.dialog === dialog.id && live(m))
      const target = r < 0.6 ? pick(own) : r < 0.68 ? pick(own) : pick(others)
      if (r < 0.6 && target) {
        const text = `edited ${user.id} ${++ledger.serial}`
        op = async () => {
          target.texts.push(text)
          const a = await call(user, 'PUT', `/chat/Message/${target.id}`, { message: text })
          if (!ok(a.status)) return refused('edit', a)
          target.texts = [text]
          target.acks++
          return true
        }
        op = settleOnLoss(op, target)
      } else if (r < 0.68 && target) {
        op = async () => {
          target.deleted = 'maybe'
          const a = await call(user, 'DELETE', `/chat/Message/${target.id}?force=1`)
          if (!ok(a.status) || a.json.SuccessfullyDeleted.ids[0] !== target.id) return refused('delete', a)
          target.deleted = 'yes'
          target.acks++
          return true
        }
        op = settleOnLoss(op, target)
      } else if (r < 0.9 && target) {
        const column = r < 0.82 ? 'read' : 'delivered'
        op = async () => {
          const a = await call(user, 'PUT', `/chat/Message/${target.id}`, { [column]: 1 })
          // Its sender may have deleted it meanwhile: then it is gone for everyone.
          if (a.status === 404 && target.deleted !== 'no') return false
          if (!ok(a.status)) return refused(`${column} mark`, a)
          ;(column === 'read' ? target.readBy : target.deliveredBy).add(user.id)
          target.acks++
          return true
        }
      } else {
        op = async () => {
          const sentTick = ++ledger.tick
          const a = await call(user, 'PUT', '/chat/Message', { chat_dialog_id: dialog.id, read: 1 })
          if (!ok(a.status)) return refused('mark all read', a)
          ledger.markAll.push({ user: user.id, dialog: dialog.id, sentTick })
          return true
        }
      }
    }
    let answered: boolean
    try {
      answered = await op()
    } catch {
      // The connection died with the server: this write's answer never came. The client stops.
      ledger.unanswered++
      return
    }
    if (answered) ledger.acknowledged++
  }
}

/** A write of `target` whose answer never came leaves it in one of two states: write to it no more. */
function settleOnLoss(op: () => Promise<boolean>, target: Known): () => Promise<boolean> {
  return async () => {
    try {
      return await op()
    } catch (error) {
      target.settled = true
      throw error
    }
  }
}

interface StoredMessage {
  _id: string
  chat_dialog_id: string
  message: string | null
  sender_id: number
  date_sent: number
  read_ids: number[]
  delivered_ids: number[]
  deleted_for_ids: number[]
}

/** Reads everything back after a restart and compares it with the ledger; returns the problems. */
async function verify(server: Server, adminKey: string, users: User[], dialogs: Dialog[], ledger: Ledger, call: Call): Promise<{ problems: string[]; present: number; sendsFound: number; messages: number }> {
  const problems: string[] = []
  const admin = { 'CB-Administration-API-Key': adminKey }
  const exported = await send(`${server.url}/admin/chat/messages/export`, 'GET', { headers: admin })
  if (exported.status !== 200) return { problems: [`messages export answered ${exported.status}`], present: 0, sendsFound: 0, messages: 0 }
  const stored = exported.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as StoredMessage)
  const byId = new Map(stored.map((m) => [m._id, m]))
  if (byId.size !== stored.length) problems.push('the export gave a message twice')

  // Nothing that was never sent; no send applied twice.
  const texts = new Map<string, number>()
  let sendsFound = 0
  for (const m of stored) {
    const k = ledger.known.get(m._id)
    if (k) {
      if (!k.texts.includes(m.message ?? '')) problems.push(`message ${m._id}: text ${JSON.stringify(m.message)}, expected one of ${JSON.stringify(k.texts)}`)
      if (k.deleted === 'yes') problems.push(`message ${m._id}: deleted (acknowledged) but still there`)
      if (m.chat_dialog_id !== k.dialog || m.sender_id !== k.sender) problems.push(`message ${m._id}: in the wrong dialog or from the wrong sender`)
      for (const u of k.readBy) if (!m.read_ids.includes(u)) problems.push(`message ${m._id}: read by ${u} (acknowledged), read_ids ${JSON.stringify(m.read_ids)}`)
      for (const u of [...k.deliveredBy, ...k.readBy]) if (!m.delivered_ids.includes(u)) problems.push(`message ${m._id}: delivered to ${u} (acknowledged), delivered_ids ${JSON.stringify(m.delivered_ids)}`)
    } else {
      const lost = ledger.unansweredSends.get(m.message ?? '')
      if (!lost) problems.push(`message ${m._id} (${JSON.stringify(m.message)}) was never sent`)
      else if (lost.dialog !== m.chat_dialog_id || lost.sender !== m.sender_id) problems.push(`message ${m._id}: an unanswered send, in the wrong dialog or from the wrong sender`)
      else {
        sendsFound++
        // Found whole: from now on it is a message like any other (its send's tick is unknown: before now).
        ledger.known.set(m._id, { id: m._id, dialog: m.chat_dialog_id, sender: m.sender_id, texts: [m.message ?? ''], deleted: 'no', settled: false, readBy: new Set(), deliveredBy: new Set(), ackTick: Infinity, acks: 0 })
        ledger.unansweredSends.delete(m.message ?? '')
      }
    }
    texts.set(m.message ?? '', (texts.get(m.message ?? '') ?? 0) + 1)
  }
  for (const [text, n] of texts) if (n > 1) problems.push(`${n} messages with the text ${JSON.stringify(text)}: a send applied twice`)
  // Unanswered sends not found are gone for good: they may not turn up later.
  ledger.unansweredSends.clear()

  // Every acknowledged write is there, or a later acknowledged delete superseded it.
  let present = 0
  for (const k of ledger.known.values()) {
    const m = byId.get(k.id)
    if (m || k.deleted !== 'no') present += k.acks
    else problems.push(`message ${k.id} (${JSON.stringify(k.texts)}): acknowledged, missing`)
    if (!m && k.deleted === 'maybe') k.deleted = 'yes'
    if (m && k.deleted === 'maybe') k.deleted = 'no'
    if (m) k.texts = [m.message ?? '']
    // What the clients no longer know for sure has been read back: they may write to it again.
    k.settled = false
    k.acks = 0
  }
  for (const mark of ledger.markAll) {
    for (const m of stored) {
      const sent = ledger.known.get(m._id)?.ackTick ?? Infinity
      if (m.chat_dialog_id === mark.dialog && m.sender_id !== mark.user && sent < mark.sentTick && !m.read_ids.includes(mark.user)) {
        problems.push(`message ${m._id}: sent before ${mark.user} marked all read (acknowledged), not read by ${mark.user}`)
      }
    }
  }
  present += ledger.markAll.length
  ledger.markAll.length = 0

  // Each dialog's copy of its last message, and each member's unread count, against the messages.
  const dialogsExport = await send(`${server.url}/admin/chat/export`, 'GET', { headers: admin })
  const storedDialogs = dialogsExport.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const d of dialogs) {
    const item = storedDialogs.find((x) => x._id === d.id)
    if (!item) {
      problems.push(`dialog ${d.id} missing`)
      continue
    }
    const own = stored.filter((m) => m.chat_dialog_id === d.id)
    const last = [...own].sort((a, b) => b.date_sent - a.date_sent || (a._id < b._id ? 1 : -1))[0]
    const expected = { last_message: last?.message ?? null, last_message_id: last?._id ?? null, last_message_user_id: last?.sender_id ?? null, last_message_date_sent: last?.date_sent ?? null }
    for (const [field, value] of Object.entries(expected)) {
      if (item[field] !== value) problems.push(`dialog ${d.id}: ${field} ${JSON.stringify(item[field])}, the messages say ${JSON.stringify(value)}`)
    }
  }
  for (const u of users) {
    const r = await call(u, 'GET', '/chat/Dialog?limit=100')
    if (r.status !== 200) {
      problems.push(`GET /chat/Dialog as ${u.id} answered ${r.status}`)
      continue
    }
    for (const d of dialogs.filter((x) => x.members.includes(u.id))) {
      const item = (r.json.items as Array<Record<string, unknown>>).find((x) => x._id === d.id)
      // Every member joined before the first message, so every message not theirs counts until read.
      const truth = stored.filter((m) => m.chat_dialog_id === d.id && m.sender_id !== u.id && !m.read_ids.includes(u.id) && !m.deleted_for_ids.includes(u.id)).length
      if (item?.unread_messages_count !== truth) problems.push(`user ${u.id} in dialog ${d.id}: unread_messages_count ${item?.unread_messages_count}, the messages say ${truth}`)
    }
  }
  return { problems, present, sendsFound, messages: stored.length }
}

/** The database's own checks, on the database as the restart left it. */
async function integrity(storeArgs: readonly string[]): Promise<{ notes: string[]; problems: string[] }> {
  const [flag, where] = storeArgs as [string, string]
  if (flag === '--db') {
    const db = new SQLite(where, { readonly: true, fileMustExist: true })
    try {
      const check = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check)
      const fk = db.pragma('foreign_key_check') as unknown[]
      const problems = [...(check.join() === 'ok' ? [] : [`integrity_check: ${check.join('; ')}`]), ...(fk.length === 0 ? [] : [`foreign_key_check: ${JSON.stringify(fk)}`])]
      return { notes: [`integrity_check ${check.join()}, foreign_key_check ${fk.length} rows`], problems }
    } finally {
      db.close()
    }
  }
  const c = new pg.Client({ connectionString: where })
  await c.connect()
  try {
    try {
      await c.query('create extension if not exists amcheck')
    } catch (error) {
      // amcheck is not a trusted extension: creating it takes a superuser (or a role granted it).
      return { notes: [`amcheck skipped: ${(error as Error).message}`], problems: [] }
    }
    const { rows } = await c.query<{ relname: string }>(
      `select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
       join pg_namespace n on n.oid = c.relnamespace where am.amname = 'btree' and n.nspname = current_schema()`,
    )
    const problems: string[] = []
    for (const { relname } of rows) {
      try {
        await c.query('select bt_index_check($1::regclass, true)', [relname])
      } catch (error) {
        problems.push(`amcheck ${relname}: ${(error as Error).message}`)
      }
    }
    return { notes: [`amcheck bt_index_check(heapallindexed) on ${rows.length} indexes`], problems }
  } finally {
    await c.end()
  }
}

/** The whole run: set up through the chat API, then rounds of concurrent writes ended by SIGKILL, each checked after a restart. */
export async function crashRun(o: CrashOptions): Promise<CrashReport> {
  const started = Date.now()
  const log = o.log ?? (() => {})
  const keyRun = await runParley(['keys', 'create', '--name', 'crash', ...o.storeArgs])
  if (keyRun.code !== 0) throw new Error(`parley keys create failed: ${keyRun.stderr}`)
  const adminKey = keyRun.stdout.trim().split('\n').at(-1)!
  let server = await startServer(o.storeArgs)
  const call: Call = (user, method, path, body) => send(server.url + path, method, { headers: { 'CB-Token': user.token }, body })
  try {
    const setup = random(o.seed)
    const users: User[] = []
    for (let i = 0; i < (o.clients ?? 6); i++) {
      const login = `crash${o.seed}u${i}`
      const up = await send(`${server.url}/users`, 'POST', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login, password: 'password1' } } })
      const s = await send(`${server.url}/session`, 'POST', { body: { auth_key: AUTH_KEY, user: { login, password: 'password1' } } })
      if (up.status !== 201 || s.status !== 201) throw new Error(`sign-up or session failed: ${up.text} ${s.text}`)
      users.push({ id: up.json.user.id, token: s.json.session.token })
    }
    const dialogs: Dialog[] = []
    const create = async (owner: User, type: 2 | 3, others: User[]) => {
      const a = await call(owner, 'POST', '/chat/Dialog', { type, name: `crash ${dialogs.length}`, occupants_ids: others.map((u) => u.id) })
      if (a.status !== 201 && a.status !== 200) throw new Error(`dialog create failed: ${a.status} ${a.text}`)
      dialogs.push({ id: a.json._id, type, members: [owner.id, ...others.map((u) => u.id)] })
    }
    await create(users[0]!, 2, users.slice(1))
    for (let g = 0; g < 2; g++) await create(users[g + 1]!, 2, users.filter((u, i) => i !== g + 1 && setup() < 0.6))
    for (let i = 0; i < users.length; i++) await create(users[i]!, 3, [users[(i + 1) % users.length]!])

    const ledger: Ledger = { known: new Map(), unansweredSends: new Map(), markAll: [], acknowledged: 0, unanswered: 0, tick: 0, serial: 0 }
    const problems: string[] = []
    const integrityNotes: string[] = []
    const rnds = users.map((_, i) => random(o.seed * 1000 + i + 1))
    const killAt = random(o.seed + 17)
    const perRound = Math.ceil(o.writes / (o.kills + 1))
    let present = 0
    let sendsFound = 0
    let unansweredSends = 0
    let messages = 0
    for (let round = 0; round <= o.kills; round++) {
      const last = round === o.kills
      // Killed after a random share of the round's writes; the last round just stops.
      const target = last ? Math.max(o.writes, ledger.acknowledged + 1) : ledger.acknowledged + Math.max(1, Math.floor(perRound * (0.5 + killAt() / 2)))
      let killed = false
      const stop = () => killed || ledger.acknowledged >= target
      const kill = (): void => {
        if (!killed && ledger.acknowledged >= target && !last) {
          killed = true
          server.process.stop('SIGKILL').catch(() => {})
        }
      }
      const clients = users.map((u, i) =>
        client(u, dialogs, ledger, rnds[i]!, async (...args) => {
          const a = await call(...args)
          // Checked on every answer: the kill lands while the other clients' requests are in flight.
          queueMicrotask(kill)
          return a
        }, stop, problems),
      )
      await Promise.all(clients)
      if (!last) {
        const exit = await server.process.exited()
        if (exit.signal !== 'SIGKILL') problems.push(`round ${round}: the server exited with ${JSON.stringify(exit)}, not SIGKILL`)
        unansweredSends += ledger.unansweredSends.size
        log(`  round ${round + 1}: killed after ${ledger.acknowledged} acknowledged writes in all, ${ledger.unanswered} unanswered so far`)
        server = await startServer(o.storeArgs)
      }
      const checked = await verify(server, adminKey, users, dialogs, ledger, call)
      problems.push(...checked.problems.map((p) => `after round ${round + 1}: ${p}`))
      present += checked.present
      sendsFound += checked.sendsFound
      messages = checked.messages
      const db = await integrity(o.storeArgs)
      integrityNotes.push(...db.notes.map((n) => `after round ${round + 1}: ${n}`))
      problems.push(...db.problems.map((p) => `after round ${round + 1}: ${p}`))
    }
    return {
      seed: o.seed,
      kills: o.kills,
      acknowledged: ledger.acknowledged,
      present,
      unanswered: ledger.unanswered,
      unansweredSends,
      unansweredSendsFound: sendsFound,
      messages,
      integrity: integrityNotes,
      problems,
      seconds: (Date.now() - started) / 1000,
    }
  } finally {
    if (server.process.running) await server.process.stop('SIGTERM')
  }
}
