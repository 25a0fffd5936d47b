// A block of a parallel import (import-parallel.ts): whole NDJSON lines, parsed and checked by
// whichever thread holds it, then written in one transaction once every block before it is. The
// main thread and the worker threads (import-worker.ts) write blocks alike, each on its own
// connection, taking turns through a shared counter.
import { prepareBatch, writePrepared } from '../store/bulk-load.ts'
import type { Store } from '../store/connect.ts'
import type { ItemTable } from '../store/items.ts'
import { CODEC_OF, fromLine, LINE_BREAK, rowOf, type ImportKind } from './import.ts'

export interface BlockDone {
  seq: number
  /** Lines in the block, so that the next block's can be numbered. */
  lines: number
  imported: number
  /** `line` counts from the block's first; `where` is the rest (", item 2" in a saved page). */
  rejected: Array<{ line: number; where: string; reason: string }>
}

/** Int32 [0]: the block whose turn it is to be written; [1]: non-zero once the import stops. */
export type Turn = Int32Array

export const newTurn = (): Turn => new Int32Array(new SharedArrayBuffer(8))

/** What a thread waiting for its turn throws once another has stopped the import: never the cause. */
export class ImportStopped extends Error {
  constructor() {
    super('the import stopped')
  }
}

/** Stops every thread waiting for its turn, now or later. */
export function stopTurns(turn: Turn): void {
  Atomics.store(turn, 1, 1)
  Atomics.notify(turn, 0)
}

/** Atomics.waitAsync (Node 16+), which TypeScript declares only from ES2024. */
type WaitAsync = (view: Int32Array, index: number, value: number, timeoutMs: number) => { async: false } | { async: true; value: Promise<unknown> }
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync

/**
 * Resolves once the blocks before `seq` are written; throws once the import has stopped. Waits
 * without blocking the thread, so that the main thread still hears of a worker that died.
 */
async function awaitTurn(turn: Turn, seq: number): Promise<void> {
  for (;;) {
    const now = Atomics.load(turn, 0)
    if (now === seq) return
    if (Atomics.load(turn, 1) !== 0) throw new ImportStopped()
    const wait = waitAsync(turn, 0, now, 1000)
    if (wait.async) await wait.value
  }
}

export interface BlockWriter {
  store: Store
  kind: ImportKind
  turn: Turn
}

/**
 * Parses and checks the block's lines, builds its statements, waits for its turn, writes it and
 * passes the turn on. A thread writes its own blocks in order, so the block it waits for belongs
 * to another thread.
 */
export async function writeBlock(w: BlockWriter, seq: number, bytes: Uint8Array): Promise<BlockDone> {
  const codec = CODEC_OF[w.kind]
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  // A block without a carriage return splits on \n alone, without the regex (most input).
  const lines = text.includes('\r') ? text.split(LINE_BREAK) : text.split('\n')
  // A block ends with a line break, except perhaps the input's last: that is not one more line.
  if (lines.at(-1) === '') lines.pop()
  const rows = new Map<string, Record<string, unknown>>()
  const rejected: BlockDone['rejected'] = []
  for (let i = 0; i < lines.length; i++) {
    for (const entry of fromLine(lines[i]!, '')) {
      const result = rowOf(codec, entry)
      if ('reason' in result) rejected.push({ line: i + 1, where: result.where, reason: result.reason })
      else rows.set(result.row.id as string, result.row)
    }
  }
  const batch = prepareBatch(w.store, w.kind as ItemTable, [...rows.values()])
  await awaitTurn(w.turn, seq)
  // Each thread's connection writes only the import's blocks (the loader's finish() comes after).
  await writePrepared(w.store, batch, true)
  Atomics.store(w.turn, 0, seq + 1)
  Atomics.notify(w.turn, 0)
  return { seq, lines: lines.length, imported: rows.size, rejected }
}
