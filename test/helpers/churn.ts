// Random writes to messages, of every kind a kept count must survive: inserts with ids above, below
// and right beside a cursor, updates that move updated_at across T or a message to another dialog,
// deletes, re-imports (upserts) of existing ids with changed fields, a delete and re-insert of one id,
// a change of id, and updates of columns no filter reads. Each write goes through one of the given
// stores (several stores: several pools or connections, as several processes would have).
import { sql } from 'kysely'
import { importValues } from '../../src/services/import.ts'
import { random } from '../../src/services/demo-data.ts'
import type { Store } from '../../src/store/connect.ts'
import { iso, messageItem } from './factories.ts'

export interface World {
  /** The dialogs messages belong to. */
  readonly dialogs: readonly string[]
  /** Unix seconds: the updated_at[gt] filter's T. */
  readonly T: number
  /** Seconds: the span ids and times are drawn from. */
  readonly from: number
  readonly to: number
}

const hex = (n: number, width: number): string => Math.floor(n).toString(16).padStart(width, '0').slice(-width)

export class Churn {
  readonly rnd: () => number
  /** What was done, for a failing test's message. */
  readonly done: string[] = []
  private serial = 0

  constructor(
    readonly world: World,
    seed: number,
  ) {
    this.rnd = random(seed)
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n)
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T
  }

  /** A fresh id whose time is `seconds` (random low bytes: it may land on either side of a same-second cursor). */
  idAt(seconds: number): string {
    return hex(seconds, 8) + hex(this.rnd() * 2 ** 24, 6) + hex(++this.serial, 10)
  }

  /** An id above everything, below the cursor, or in the cursor's own second. */
  newId(cursor: string | null): string {
    const { from, to } = this.world
    const at = cursor ? parseInt(cursor.slice(0, 8), 16) : from + this.int(to - from)
    switch (this.int(3)) {
      case 0:
        return this.idAt(to + 1000 + this.int(1000))
      case 1:
        return this.idAt(from + this.int(Math.max(1, at - from)))
      default:
        return this.idAt(at)
    }
  }

  /** An updated_at (ms) on a random side of T. */
  updatedAt(): number {
    const T = this.world.T
    return this.rnd() < 0.5 ? (T + 1 + this.int(5000)) * 1000 + this.int(1000) : (T - this.int(5000)) * 1000 + this.int(1000)
  }

  private async existing(store: Store, cursor: string | null): Promise<string | null> {
    // Half the time right below the cursor (the next pages), else anywhere.
    if (cursor && this.rnd() < 0.5) {
      const row = await store.db.selectFrom('messages').select('id').where('id', '<', cursor).orderBy('id', 'desc').offset(this.int(150)).limit(1).executeTakeFirst()
      if (row) return row.id
    }
    // Picked by this churn's own seeded draw, not the database's random(): a run's writes, and so
    // its loops' pages, are the same every time (a loop whose cursor jumps may end early otherwise).
    const { n } = await store.db.selectFrom('messages').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    if (Number(n) === 0) return null
    const row = await store.db.selectFrom('messages').select('id').orderBy('id').offset(this.int(Number(n))).limit(1).executeTakeFirst()
    return row?.id ?? null
  }

  private item(id: string, seconds: number) {
    const updated = this.updatedAt()
    return messageItem(this.pick(this.world.dialogs), seconds, {
      _id: id,
      created_at: iso(seconds),
      updated_at: new Date(updated).toISOString(),
      message: `churn ${this.serial}`,
    })
  }

  /** importValues opens its own transaction: inside a caller's one, the same upsert in SQL. */
  private async upsert(store: Store, id: string, seconds: number): Promise<void> {
    if (!store.db.isTransaction) {
      await importValues(store, 'messages', [this.item(id, seconds)])
      return
    }
    const row = { id, chat_dialog_id: this.pick(this.world.dialogs), created_at: seconds * 1000, updated_at: this.updatedAt(), message: 'upsert' }
    await store.db
      .insertInto('messages')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ chat_dialog_id: row.chat_dialog_id, updated_at: row.updated_at, message: row.message }))
      .execute()
  }

  /** `n` random writes, each through a random store of `stores`. */
  async writes(stores: readonly Store[], n: number, cursor: string | null): Promise<void> {
    for (let i = 0; i < n; i++) await this.write(this.pick(stores), cursor)
  }

  async write(store: Store, cursor: string | null): Promise<void> {
    const op = this.int(10)
    const id = op <= 1 ? this.newId(cursor) : await this.existing(store, cursor)
    if (id === null) return
    const seconds = parseInt(id.slice(0, 8), 16)
    switch (op) {
      case 0: // insert with SQL
        await store.db
          .insertInto('messages')
          .values({ id, chat_dialog_id: this.pick(this.world.dialogs), created_at: seconds * 1000, updated_at: this.updatedAt(), message: 'raw' })
          .execute()
        break
      case 1: // insert by import
        await this.upsert(store, id, seconds)
        break
      case 2: // updated_at across T
        await store.db.updateTable('messages').set({ updated_at: this.updatedAt() }).where('id', '=', id).execute()
        break
      case 3: // to another dialog
        await store.db.updateTable('messages').set({ chat_dialog_id: this.pick(this.world.dialogs) }).where('id', '=', id).execute()
        break
      case 4: // delete
        await store.db.deleteFrom('messages').where('id', '=', id).execute()
        break
      case 5: // re-import an existing id with changed fields (upsert)
        await this.upsert(store, id, seconds)
        break
      case 6: // delete, then the same id again
        await store.db.deleteFrom('messages').where('id', '=', id).execute()
        await this.upsert(store, id, seconds)
        break
      case 7: {
        // a new id for an existing row
        const to = this.newId(cursor)
        await store.db.updateTable('messages').set({ id: to }).where('id', '=', id).execute()
        this.done.push(`id ${id} -> ${to}`)
        return
      }
      case 8: // a column no filter reads: not logged
        await store.db.updateTable('messages').set({ read_ids: JSON.stringify([this.int(100)]) }).where('id', '=', id).execute()
        break
      default: // two changes to one row between pages: the first pre-image counts
        await store.db.updateTable('messages').set({ updated_at: this.updatedAt() }).where('id', '=', id).execute()
        await store.db.updateTable('messages').set({ updated_at: this.updatedAt(), chat_dialog_id: this.pick(this.world.dialogs) }).where('id', '=', id).execute()
    }
    this.done.push(`${op} ${id}`)
  }
}

export interface Filter {
  /** The request's parameters, e.g. `updated_at[gt]=…&chat_dialog_id=…`. */
  readonly params: string
  readonly updatedAfter?: number
  readonly dialog?: string
}

/** The brute-force count: every row read back and filtered here, not by the code under test. */
export async function bruteForce(store: Store, filter: Filter, below: string | null): Promise<number> {
  const rows = await store.db.selectFrom('messages').select(['id', 'chat_dialog_id', 'updated_at']).execute()
  return rows.filter(
    (r) =>
      (below === null || r.id < below) &&
      (filter.dialog === undefined || r.chat_dialog_id === filter.dialog) &&
      (filter.updatedAfter === undefined || Math.floor(Number(r.updated_at) / 1000) > filter.updatedAfter),
  ).length
}
