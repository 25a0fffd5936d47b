// The `serve --demo` data set, made by users acting through the chat domain code: sign-ups, dialogs
// of all four types, messages, reads, mutes, pins, reactions, edits and deletes — so every admin
// field is produced by a real action, exactly as the chat API would produce it. Deterministic for a
// seed (the times are those of the run). The benchmark's admin-format generator is demo-data.ts.
import type { Store } from '../store/connect.ts'
import { clearHistory, createDialog, deleteDialogs, setNotifications, subscribe, updateDialog } from './chat-dialogs.ts'
import { random } from './demo-data.ts'
import { deleteMessages, react, retrieveMessages, sendMessage, updateMessages } from './messages.ts'
import { signUp } from './users.ts'

export interface ChatDemoOptions {
  users: number
  dialogs: number
  /** Average messages per dialog; heavy-tailed around it. */
  messagesPerDialog: number
  seed?: number
}

export const DEMO_PASSWORD = 'demo-password'
const WORDS = 'hello where are you meeting today tomorrow coffee plan ship release call later thanks ok sure warning people are coming right now lunch review deploy'.split(' ')
const NAMES = ['Night party', 'Crossfit', 'Release train', 'Family', 'Book club', 'Support', 'Announcements', 'Hiking']
const REACTIONS = ['👍', '❤️', '😂', '🚀']

export async function loadChatDemo(store: Store, { users: userCount, dialogs: dialogCount, messagesPerDialog, seed = 1 }: ChatDemoOptions) {
  const rnd = random(seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T
  const text = () => Array.from({ length: 2 + int(8) }, () => pick(WORDS)).join(' ')

  const users: number[] = []
  for (let i = 1; i <= userCount; i++) {
    users.push((await signUp(store, { login: `demo${i}`, password: DEMO_PASSWORD, full_name: `Demo User ${i}` })).id)
  }
  const others = (except: number, n: number): number[] => {
    const out: number[] = []
    while (out.length < Math.min(n, users.length - 1)) {
      const u = pick(users)
      if (u !== except && !out.includes(u)) out.push(u)
    }
    return out
  }

  let dialogs = 0
  let messages = 0
  const pairs = new Set<string>()
  for (let i = 0; i < dialogCount; i++) {
    const type = i % 25 === 0 ? 1 : i % 9 === 0 ? 4 : i % 2 === 0 ? 2 : 3
    const owner = pick(users)
    let members: number[]
    let id: string
    if (type === 3) {
      const [other] = others(owner, 1) as [number]
      const pair = [owner, other].sort((a, b) => a - b).join('-')
      if (pairs.has(pair)) continue
      pairs.add(pair)
      id = (await createDialog(store, owner, { type, occupants_ids: [other] })).dialog._id as string
      members = [owner, other]
    } else if (type === 2) {
      const occ = others(owner, 2 + int(6))
      const admins = occ.slice(0, int(2))
      id = (await createDialog(store, owner, { type, name: pick(NAMES), occupants_ids: occ, admins_ids: admins, extensions: { topic: pick(WORDS) } })).dialog._id as string
      members = [owner, ...occ]
    } else {
      id = (await createDialog(store, owner, { type, name: pick(NAMES), description: text(), permissions: { allow_preview: type === 4 } })).dialog._id as string
      members = [owner]
      if (type === 4) {
        for (const u of others(owner, 2 + int(10))) {
          await subscribe(store, u, id)
          members.push(u)
        }
      }
    }
    dialogs++

    // Pareto-like: most dialogs are small, a few are large.
    const count = Math.max(1, Math.round(messagesPerDialog * 0.4 * Math.pow(1 - rnd(), -0.6) - messagesPerDialog * 0.25))
    const sent: Array<{ id: string; sender: number }> = []
    for (let m = 0; m < count; m++) {
      const sender = type === 1 ? owner : pick(members)
      const body: Record<string, unknown> = { chat_dialog_id: id, message: text() }
      if (rnd() < 0.1) body.attachments = [{ type: pick(['image', 'video', 'audio', 'file']), id: String(3000 + int(9000)) }]
      if (rnd() < 0.05) body.mission = 'take over the planet'
      sent.push({ id: (await sendMessage(store, sender, body))._id as string, sender })
      messages++
    }

    // What users then do with it. Every user reads a broadcast.
    const reader = type === 1 ? pick(users) : pick(members)
    if (rnd() < 0.6) await retrieveMessages(store, reader, { chat_dialog_id: id, limit: String(1 + int(count)) })
    if (type !== 3 && rnd() < 0.3) await updateMessages(store, reader, null, { chat_dialog_id: id, delivered: 1 })
    if (rnd() < 0.2) await setNotifications(store, pick(members), id, false)
    if (rnd() < 0.3) await react(store, reader, pick(sent).id, { add: pick(REACTIONS) })
    if (type === 2 && rnd() < 0.3) await updateDialog(store, owner, id, { push_all: { pinned_messages_ids: [pick(sent).id] } })
    if (rnd() < 0.1) {
      const last = sent[sent.length - 1] as { id: string; sender: number }
      await updateMessages(store, last.sender, last.id, { message: `${text()} (edited)` })
    }
    if (type !== 1 && rnd() < 0.1) {
      const victim = pick(sent)
      // Hidden for someone who can see it: the sender's own message, or any message in a group.
      await deleteMessages(store, victim.sender, victim.id, false)
    }
    if (type === 2 && rnd() < 0.2) {
      // Someone joins late, someone clears their history, and more is said.
      const newcomer = others(owner, 1)[0] as number
      if (!members.includes(newcomer)) {
        await updateDialog(store, owner, id, { push_all: { occupants_ids: [newcomer] } })
        members.push(newcomer)
      }
      await clearHistory(store, pick(members), id, false)
      await sendMessage(store, owner, { chat_dialog_id: id, message: text() })
      messages++
    }
    if (type === 3 && rnd() < 0.1) {
      // Deleted for one side, then the other writes again: it comes back without the old history.
      await deleteDialogs(store, members[1] as number, id, false)
      await sendMessage(store, owner, { chat_dialog_id: id, message: text() })
      messages++
    }
  }
  return { users: users.length, dialogs, messages }
}
