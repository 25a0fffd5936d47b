// A deterministic, realistic chat data set in the admin item format: dialogs of all four types with
// a heavy-tailed number of messages each. `serve --demo` loads it; tests and benchmarks reuse it.
import type { Item } from './items.ts'
import { formatTime } from './time.ts'

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An ObjectId for a time (seconds) and a sequence number: time-ordered, unique per sequence. */
export function makeObjectId(seconds: number, seq: number): string {
  return seconds.toString(16).padStart(8, '0') + seq.toString(16).padStart(16, '0')
}

const WORDS = 'hello where are you meeting today tomorrow coffee plan ship release call later thanks ok sure warning people are coming right now lunch review deploy'.split(' ')
const NAMES = ['Night party', 'Crossfit', 'Release train', 'Family', 'Book club', 'Support', 'Announcements', 'Hiking']
const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file']

export interface DemoOptions {
  dialogs: number
  /** Average messages per dialog; the distribution is heavy-tailed around it. */
  messagesPerDialog: number
  seed?: number
  /** Unix seconds of the first dialog. */
  start?: number
  /** Sizes of a few dialogs far beyond the tail (the benchmark's 200k+ message dialogs), spread through the list. */
  giants?: readonly number[]
}

export interface DemoData {
  /** Their last_message* fields are complete once messages() has been consumed. */
  dialogs: Item[]
  /** Messages, generated lazily dialog by dialog so large sets stream in constant memory. */
  messages(): Generator<Item>
}

export function demoData({ dialogs: count, messagesPerDialog, seed = 1, start = 1_700_000_000, giants = [] }: DemoOptions): DemoData {
  const giantAt = new Map(giants.map((size, k) => [Math.floor(((k + 0.5) * count) / giants.length), size]))
  const rnd = random(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T
  let seq = 0
  const plans: Array<{ dialog: Item; occupants: number[]; messages: number; start: number; step: number }> = []

  for (let i = 0; i < count; i++) {
    const created = start + i * 600 + Math.floor(rnd() * 300)
    const type = i % 20 === 0 ? 1 : i % 7 === 0 ? 4 : i % 3 === 0 ? 2 : 3
    const owner = 1000 + Math.floor(rnd() * 500)
    const others = type === 3 ? 1 : 2 + Math.floor(rnd() * 6)
    const occupants = [owner]
    while (occupants.length < others + 1) {
      const u = 1000 + Math.floor(rnd() * 500)
      if (!occupants.includes(u)) occupants.push(u)
    }
    // Pareto-like: most dialogs are small, a few are very large.
    const drawn = Math.max(0, Math.round(messagesPerDialog * 0.4 * Math.pow(1 - rnd(), -0.6) - messagesPerDialog * 0.25))
    const messages = giantAt.get(i) ?? drawn
    const id = makeObjectId(created, ++seq)
    const dialog: Item = {
      _id: id,
      user_id: owner,
      created_at: formatTime(created * 1000),
      updated_at: formatTime(created * 1000),
      type,
      occupants_ids: type === 1 || type === 4 ? [] : occupants,
      last_message: null,
      last_message_date_sent: null,
      last_message_id: null,
      last_message_user_id: null,
      last_message_status: null,
      name: type === 3 ? null : `${pick(NAMES)} ${i}`,
      description: type === 3 ? null : 'A demo dialog',
      photo: null,
      occupants_count: type === 4 ? occupants.length : null,
      xmpp_room_jid: type === 3 ? null : `demo_${id}@muc.parley.local`,
      is_e2ee: null,
      admins_ids: type === 3 ? [] : [owner],
      is_muted: null,
      unread_messages_count: null,
      pinned_messages_ids: [],
      extensions: null,
      permissions: type === 4 ? { allow_preview: true } : null,
      deleted_ids: rnd() < 0.05 ? [occupants[occupants.length - 1] as number] : [],
      silent_ids: rnd() < 0.1 ? [occupants[0] as number] : [],
    }
    // A giant dialog is busy: a message every few seconds rather than every minute or two.
    const step = giantAt.has(i) ? 1 + Math.floor(rnd() * 8) : 1 + Math.floor(rnd() * 120)
    plans.push({ dialog, occupants, messages, start: created + 5, step })
  }

  // Last-message fields are known in advance: the last message is at start + (n-1)·step.
  const msgSeed = seed + 1
  for (const p of plans) {
    if (p.messages === 0) continue
    const t = p.start + (p.messages - 1) * p.step
    p.dialog.last_message_date_sent = t
    p.dialog.updated_at = formatTime(t * 1000)
  }

  function* messages(): Generator<Item> {
    const r = random(msgSeed)
    let mseq = 1 << 30
    for (const p of plans) {
      const dialogType = p.dialog.type as number
      for (let k = 0; k < p.messages; k++) {
        const t = p.start + k * p.step
        const sender = dialogType === 1 ? (p.dialog.user_id as number) : (p.occupants[Math.floor(r() * p.occupants.length)] as number)
        const readers = p.occupants.filter(() => r() < 0.7)
        const text = Array.from({ length: 2 + Math.floor(r() * 8) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ')
        const id = makeObjectId(t, ++mseq)
        const item: Item = {
          _id: id,
          chat_dialog_id: p.dialog._id,
          message: text,
          date_sent: t,
          sender_id: sender,
          recipient_id: dialogType === 3 ? (p.occupants.find((u) => u !== sender) ?? null) : null,
          created_at: formatTime(t * 1000),
          updated_at: formatTime((t + (readers.length > 0 ? Math.floor(r() * 60) : 0)) * 1000),
          read_ids: [sender, ...readers.filter((u) => u !== sender)],
          delivered_ids: [sender, ...p.occupants.filter((u) => u !== sender)],
          deleted_for_ids: r() < 0.02 ? [sender] : [],
          attachments: r() < 0.1 ? [{ type: ATTACHMENT_TYPES[Math.floor(r() * 4)], id: String(3000 + Math.floor(r() * 9000)) }] : [],
          reactions: null,
          views_count: 0,
          edited_at: null,
          read: 0,
        }
        if (r() < 0.05) item.mission = 'take over the planet'
        if (k === p.messages - 1) {
          p.dialog.last_message = text
          p.dialog.last_message_id = id
          p.dialog.last_message_user_id = sender
          p.dialog.last_message_status = 'sent'
        }
        yield item
      }
    }
  }

  return { dialogs: plans.map((p) => p.dialog), messages }
}
