// The handle of the count thread (count-worker.ts; decision 0010). On SQLite every statement runs
// on the server's one thread, and a COUNT(*) over ten million rows holds it for a second or more:
// every other request, a chat user's as much as an operator's, waits. A count from scratch, or a
// ladder, is read on this thread instead, over a connection of its own, while the server goes on;
// what it reads is kept like any count (exact at the position it was read at) and the request
// derives its total from it in its own snapshot as usual (store/items.ts readCounting).
//
// Started on the first count asked of it, ended with the store. What it cannot read (the thread
// failed, or is ending) comes back as null, and the request counts as before; after a failure the
// thread is not started again.
import { Worker } from 'node:worker_threads'
import type { Condition } from '../query/plan.ts'
import { siblingModule, WORKER_ENTRY } from '../paths.ts'
import type { CountsRead } from './counts.ts'
import type { CountWorkerData, FromCountWorker, ToCountWorker } from './count-worker.ts'
import type { ItemTable } from './items.ts'

const WORKER_MODULE = siblingModule(import.meta.url, 'count-worker')
// The thread holds nothing between counts; the cap bounds what a bug could take.
const WORKER_HEAP = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 }
/** How long a table's size is taken as known: sizes move slowly, and a stale one only moves work between threads. */
const SIZE_KNOWN_MS = 10_000

export class CountThread {
  private worker: Worker | null = null
  private failed = false
  private nextId = 1
  private readonly waiting = new Map<number, (read: CountsRead | null) => void>()
  private readonly sizes = new Map<ItemTable, { large: boolean; at: number }>()

  /** `file`: the SQLite database; `minRows`: tables with fewer rows count on the server's thread (too quick to be worth a hop). */
  constructor(
    private readonly file: string,
    private readonly minRows: number,
  ) {}

  /** Whether `table` is large enough for its counts to be read here; `rows` measures it (now and then). */
  async serves(table: ItemTable, rows: () => Promise<number>): Promise<boolean> {
    if (this.failed) return false
    const now = performance.now()
    const known = this.sizes.get(table)
    if (known !== undefined && now - known.at < SIZE_KNOWN_MS) return known.large
    const large = (await rows()) >= this.minRows
    this.sizes.set(table, { large, at: now })
    return large
  }

  /**
   * The count of `conditions` from scratch, or (`ladder`) their ladder, read on the thread in a
   * snapshot of its own; null when it could not be.
   */
  read(table: ItemTable, conditions: readonly Condition[], withSkews: boolean, ladder: boolean, ladderStep: number): Promise<CountsRead | null> {
    const worker = this.started()
    if (worker === null) return Promise.resolve(null)
    const id = this.nextId++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      worker.postMessage({ id, table, conditions, withSkews, ladder, ladderStep } satisfies ToCountWorker)
    })
  }

  /** Ends the thread once the counts asked of it are read. */
  async close(): Promise<void> {
    const worker = this.worker
    this.failed = true
    if (worker === null) return
    const exited = new Promise((resolve) => worker.once('exit', resolve))
    worker.postMessage({ end: true } satisfies ToCountWorker)
    await exited
  }

  private started(): Worker | null {
    if (this.failed) return null
    if (this.worker !== null) return this.worker
    const workerData: CountWorkerData = { module: WORKER_MODULE, file: this.file }
    const worker = new Worker(WORKER_ENTRY, { workerData, resourceLimits: WORKER_HEAP })
    // An idle thread never keeps a process alive.
    worker.unref()
    worker.on('message', (m: FromCountWorker) => {
      const resolve = this.waiting.get(m.id)
      this.waiting.delete(m.id)
      resolve?.('read' in m ? m.read : null)
    })
    const stop = () => {
      this.failed = true
      this.worker = null
      for (const resolve of this.waiting.values()) resolve(null)
      this.waiting.clear()
    }
    worker.on('error', stop)
    worker.on('exit', stop)
    this.worker = worker
    return worker
  }
}
