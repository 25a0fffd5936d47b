// The admin-access audit log, buffered: a request only appends an entry to memory; a timer (or a
// full batch) writes the buffer in one INSERT. The admin list page answers in about a millisecond,
// and a synchronous INSERT per request would cost more than the page. The buffer is bounded: while
// the database cannot be written, the oldest entries are dropped, counted, and the count logged.
import { insertAuditRows, type NewAuditRow } from '../store/admin-audit.ts'
import type { Store } from '../store/connect.ts'

export type AuditEntry = Omit<NewAuditRow, 'id'>

export interface AuditLogOptions {
  /** How long an entry may wait in memory before its batch is written. */
  flushMs?: number
  /** Entries per INSERT; a full batch is written at once. */
  batchSize?: number
  /** Entries kept in memory at most; beyond it the oldest are dropped. */
  capacity?: number
  warn(message: string, detail?: Record<string, unknown>): void
}

export interface AuditLog {
  record(entry: AuditEntry): void
  /** Writes everything buffered (batch by batch); a failed batch stays buffered for the next try. */
  flush(): Promise<void>
  /** Final flush: after it, record() drops nothing silently but writes nothing either. */
  close(): Promise<void>
  /** Entries dropped so far because the buffer was full. */
  readonly dropped: number
  readonly buffered: number
}

export function createAuditLog(store: Store, options: AuditLogOptions): AuditLog {
  const flushMs = options.flushMs ?? 250
  const batchSize = options.batchSize ?? 500
  const capacity = options.capacity ?? 10_000
  let buffer: AuditEntry[] = []
  let dropped = 0
  let droppedUnreported = 0
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let closed = false

  const schedule = () => {
    if (timer !== null || closed) return
    timer = setTimeout(() => {
      timer = null
      void flush()
    }, flushMs)
    // A pending flush never keeps the process alive: close() writes what is left.
    timer.unref()
  }

  /** Drops the oldest entries beyond capacity, counting them. */
  const trim = () => {
    const over = buffer.length - capacity
    if (over <= 0) return
    buffer.splice(0, over)
    dropped += over
    droppedUnreported += over
  }

  async function writeAll(): Promise<void> {
    while (buffer.length > 0) {
      // Taken off the buffer while it is written, so entries recorded meanwhile queue behind it.
      const batch = buffer.splice(0, batchSize)
      try {
        await insertAuditRows(store, batch)
      } catch (error) {
        buffer = batch.concat(buffer)
        trim()
        options.warn('admin audit: writing a batch failed; entries stay buffered', { err: error, buffered: buffer.length, total_dropped: dropped })
        if (!closed) schedule()
        return
      }
    }
    if (droppedUnreported > 0) {
      options.warn(`admin audit: ${droppedUnreported} entries were dropped while the buffer was full`, { dropped: droppedUnreported, total_dropped: dropped })
      droppedUnreported = 0
    }
  }

  function flush(): Promise<void> {
    running ??= writeAll().finally(() => {
      running = null
    })
    return running
  }

  return {
    record(entry) {
      if (closed) return
      buffer.push(entry)
      trim()
      if (buffer.length >= batchSize) void flush()
      else schedule()
    },
    flush,
    async close() {
      closed = true
      if (timer !== null) clearTimeout(timer)
      timer = null
      await running
      await flush()
      if (buffer.length > 0) options.warn(`admin audit: ${buffer.length} entries could not be written before shutdown`, { lost: buffer.length })
    },
    get dropped() {
      return dropped
    },
    get buffered() {
      return buffer.length
    },
  }
}
