// The admin_audit rows: appended a batch per statement, read newest first with filters, pruned by time.
import type { Insertable, Selectable } from 'kysely'
import { rowsPerStatement } from './compiled.ts'
import type { Store } from './connect.ts'
import type { AdminAuditTable } from './schema.ts'
import { withTransaction } from './transaction.ts'

export type AuditRow = Selectable<AdminAuditTable>
export type NewAuditRow = Insertable<AdminAuditTable>

/**
 * The whole batch in one transaction: a request never waits on it, and the database sees one write
 * per batch. Written in as few INSERT texts as the item upserts (rowsPerStatement): one INSERT per
 * batch size took 56 of PostgreSQL's 256 statement names a process in a 30 s burst of 32 clients on
 * the admin lists (207 of 256 in all), names the pages' own statements need.
 */
export async function insertAuditRows(store: Store, rows: NewAuditRow[]): Promise<void> {
  if (rows.length === 0) return
  await withTransaction(store, async (tx) => {
    for (let at = 0; at < rows.length; ) {
      const size = rowsPerStatement(rows.length - at)
      await tx.db.insertInto('admin_audit').values(rows.slice(at, at + size)).execute()
      at += size
    }
  })
}

export interface AuditFilter {
  /** ms, inclusive */
  since?: number
  /** ms, exclusive */
  until?: number
  keyName?: string
  /** An exact status, or [low, high) for a class such as 4xx. */
  status?: number | [number, number]
  limit: number
}

export async function listAuditRows(store: Store, f: AuditFilter): Promise<AuditRow[]> {
  let q = store.db.selectFrom('admin_audit').selectAll()
  if (f.since !== undefined) q = q.where('at', '>=', f.since)
  if (f.until !== undefined) q = q.where('at', '<', f.until)
  if (f.keyName !== undefined) q = q.where('key_name', '=', f.keyName)
  if (typeof f.status === 'number') q = q.where('status', '=', f.status)
  else if (f.status) q = q.where('status', '>=', f.status[0]).where('status', '<', f.status[1])
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit).execute()
}

/** Deletes the rows older than `before` (ms); returns how many. */
export async function pruneAuditRows(store: Store, before: number): Promise<number> {
  const result = await store.db.deleteFrom('admin_audit').where('at', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
