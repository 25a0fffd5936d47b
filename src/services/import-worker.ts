// A worker thread of a parallel import (import-parallel.ts): writes the blocks it is handed, in
// turn with the other threads (import-blocks.ts), on a connection of its own.
import { parentPort, workerData } from 'node:worker_threads'
import type { StoreConfig } from '../config.ts'
import { createStore } from '../store/connect.ts'
import { handleInTurn, type End } from '../worker-messages.ts'
import type { ImportKind } from './import.ts'
import { writeBlock, stopTurns, type BlockDone, type BlockWriter } from './import-blocks.ts'

export interface ImportWorkerData {
  /** This module's URL, for worker-thread.js. */
  module: string
  store: StoreConfig
  kind: ImportKind
  turn: SharedArrayBuffer
}

export type ToWorker = { seq: number; bytes: Uint8Array<ArrayBuffer> } | End
/** A block written, with its buffer handed back for the next; or why it could not be. */
export type FromWorker = (BlockDone & { buffer: ArrayBuffer }) | { seq: number; error: string }

const data = workerData as ImportWorkerData
const store = createStore(data.store)
// This connection only writes blocks: the main thread's store keeps the change logs pruned.
await store.counts.stop()
const writer: BlockWriter = { store, kind: data.kind, turn: new Int32Array(data.turn) }
const port = parentPort!

// One block at a time: a block's write must not interleave with parsing the next one's.
handleInTurn<Exclude<ToWorker, End>>(
  port,
  async (m) => {
    try {
      const done = await writeBlock(writer, m.seq, m.bytes)
      port.postMessage({ ...done, buffer: m.bytes.buffer } satisfies FromWorker, [m.bytes.buffer])
    } catch (error) {
      stopTurns(writer.turn)
      port.postMessage({ seq: m.seq, error: (error as Error).message } satisfies FromWorker)
      return false
    }
  },
  () => store.close(),
)
