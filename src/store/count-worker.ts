// The count thread (its handle is count-thread.ts): a connection of its own to the SQLite file,
// reading the counts from scratch and the ladders a request would otherwise read on the server's
// one thread. Each is read into kept counts of its own, which go back to the thread that asked,
// with the positions they were read at, for it to derive from (store/counts.ts).
import { parentPort, workerData } from 'node:worker_threads'
import type { Condition } from '../query/plan.ts'
import { handleInTurn, type End } from '../worker-messages.ts'
import { createStore } from './connect.ts'
import { Counts, type CountsRead } from './counts.ts'
import { currentSkews, readSnapshot, type ItemTable } from './items.ts'

export interface CountWorkerData {
  /** This module's URL, for worker-thread.js. */
  module: string
  /** The SQLite file. */
  file: string
}

export type ToCountWorker = { id: number; table: ItemTable; conditions: readonly Condition[]; withSkews: boolean; ladder: boolean; ladderStep: number } | End
export type FromCountWorker = { id: number; read: CountsRead } | { id: number; error: string }

const data = workerData as CountWorkerData
// No count thread of its own, and no pruning: the main thread's store prunes the change logs.
const store = createStore({ dbFile: data.file, databaseUrl: null, poolSize: 1, statementTimeout: 0, preparedStatements: false, countThreadRows: 0 })
await store.counts.stop()
const port = parentPort!

// One count at a time, in the order asked: SQLite reads on this thread are synchronous anyway.
handleInTurn<Exclude<ToCountWorker, End>>(
  port,
  async ({ id, table, conditions, withSkews, ladder, ladderStep }) => {
    try {
      const counts = new Counts({ pruneEveryMs: 0, ladderStep })
      await readSnapshot({ ...store, counts }, async (snapshot) => {
        const skews = withSkews ? await currentSkews(snapshot, table) : null
        if (ladder) await counts.buildLadderOf(snapshot, table, conditions, skews)
        else await counts.count(snapshot, table, conditions, skews)
      })
      port.postMessage({ id, read: counts.read() } satisfies FromCountWorker)
    } catch (error) {
      port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies FromCountWorker)
    }
  },
  () => store.close(),
)
