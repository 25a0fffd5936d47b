// What a message costs, checked on SQLite's query plans (its planner is rule-based, so the plans are
// deterministic): sending, reading by id, deleting, reacting and retrieving a page in a dialog with
// thousands of messages never scan the dialog's history. Every statement those actions run is
// captured and explained; the messages table may only be reached by id, or (for a retrieved page)
// walked in index order without sorting the dialog's messages.
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDialog } from '../../src/services/chat-dialogs.ts'
import { importValues } from '../../src/services/import.ts'
import { deleteMessages, react, retrieveMessages, sendMessage, updateMessages } from '../../src/services/messages.ts'
import { signUp } from '../../src/services/users.ts'
import type { Store } from '../../src/store/connect.ts'
import type { Database } from '../../src/store/schema.ts'
import { messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

describe('the cost of a message in a large dialog (SQLite query plans)', () => {
  let db: TestStore
  let raw: SQLite.Database
  let logged: Store
  const statements: Array<{ sql: string; parameters: readonly unknown[] }> = []
  let users: number[]
  let dialog: string

  beforeAll(async () => {
    db = await STORES[0]!.open()
    users = []
    for (const login of ['ann', 'bob', 'cat']) users.push((await signUp(db.store, { login, password: 'password1' })).id)
    dialog = (await createDialog(db.store, users[0]!, { type: 2, name: 'big', occupants_ids: [users[1], users[2]] })).dialog._id as string
    const start = 1_700_000_000
    await importValues(db.store, 'messages', Array.from({ length: 5000 }, (_, i) => messageItem(dialog, start + i, { sender_id: users[i % 3], read_ids: [], deleted_for_ids: [] })))
    raw = new SQLite(db.config.dbFile)
    const k = new Kysely<Database>({
      dialect: new SqliteDialect({ database: raw }),
      log: (e) => {
        if (e.level === 'query') statements.push({ sql: e.query.sql, parameters: e.query.parameters })
      },
    })
    logged = { ...db.store, db: k }
  })
  afterAll(async () => {
    await logged.db.destroy()
    await db.drop()
  })

  function plansOf(only?: RegExp): string[][] {
    const out = statements
      .filter((s) => /"messages"|"dialog_users"/.test(s.sql) && (!only || only.test(s.sql)))
      .map((s) => (raw.prepare(`explain query plan ${s.sql}`).all(...(s.parameters as unknown[])) as Array<{ detail: string }>).map((r) => r.detail))
    return out
  }

  /** Every access to messages is by id; dialog_users by its key. */
  function byKeyOnly(plans: string[][]): void {
    for (const plan of plans) {
      for (const step of plan) {
        expect(step, plan.join(' | ')).not.toMatch(/^SCAN (messages|dialog_users)\b/)
        if (/^SEARCH messages/.test(step)) expect(step, plan.join(' | ')).toMatch(/[( ]id=\?|[( ]id IN/)
      }
    }
  }

  it('sending a message', async () => {
    statements.length = 0
    const m = await sendMessage(logged, users[1]!, { chat_dialog_id: dialog, message: 'new' })
    expect(m._id).toBeDefined()
    const plans = plansOf()
    expect(plans.length).toBeGreaterThan(2)
    byKeyOnly(plans)
  })

  it('marking messages read and delivered by id, and reacting', async () => {
    const ids = (raw.prepare('select id from messages where chat_dialog_id = ? order by id desc limit 3').all(dialog) as Array<{ id: string }>).map((r) => r.id)
    statements.length = 0
    await updateMessages(logged, users[2]!, ids.join(','), { read: 1 })
    await react(logged, users[2]!, ids[0]!, { add: '👍' })
    byKeyOnly(plansOf())
  })

  it('deleting the last message for everyone finds the new last one by index', async () => {
    const last = (raw.prepare('select last_message_id as id from dialogs where id = ?').get(dialog) as { id: string }).id
    statements.length = 0
    const answer = await deleteMessages(logged, users[1]!, last, true)
    expect(answer.SuccessfullyDeleted.ids).toEqual([last])
    const plans = plansOf()
    for (const plan of plans) {
      for (const step of plan) {
        expect(step, plan.join(' | ')).not.toMatch(/^SCAN (messages|dialog_users)\b|TEMP B-TREE/)
      }
    }
  })

  it('retrieving a page walks the dialog index in order and stops (no sort of the history)', async () => {
    statements.length = 0
    const page = await retrieveMessages(logged, users[2]!, { chat_dialog_id: dialog, limit: '20', sort_desc: 'date_sent' })
    expect((page as { items: unknown[] }).items).toHaveLength(20)
    const [select, ...others] = plansOf(/^select \* from "messages"/)
    expect(others).toEqual([])
    expect(select!.join(' | ')).toMatch(/SEARCH messages USING INDEX messages_dialog_date_sent/)
    expect(select!.join(' | ')).not.toMatch(/TEMP B-TREE/)
    // The rest (access checks, then marking the page's 20 messages read) goes by key.
    byKeyOnly(plansOf(/^(?!select \* from "messages")/))
  })

  it('"mark all read" walks only the messages since the last one', async () => {
    await updateMessages(logged, users[1]!, null, { chat_dialog_id: dialog, read: 1 })
    await sendMessage(logged, users[0]!, { chat_dialog_id: dialog, message: 'after' })
    statements.length = 0
    await updateMessages(logged, users[1]!, null, { chat_dialog_id: dialog, read: 1 })
    const updates = plansOf(/^update "messages"/)
    expect(updates).toHaveLength(2) // delivered, then read
    for (const plan of updates) expect(plan.join(' | ')).toMatch(/SEARCH messages USING INDEX messages_dialog_created_at \(chat_dialog_id=\? AND created_at>\?\)/)
    const unread = raw.prepare('select unread_count from dialog_users where dialog_id = ? and user_id = ?').get(dialog, users[1]) as { unread_count: number }
    expect(unread.unread_count).toBe(0)
  })
})
