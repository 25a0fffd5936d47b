// `parley import` of NDJSON, parsing and checking spread over threads (decision 0008). One thread
// alone spends about as long parsing and checking an item as storing it. Here the input is cut into
// blocks of whole lines, dealt in turn to this thread and N workers (import-worker.ts); each thread
// parses and checks its block, waits for its turn, and writes the block in one transaction on its
// own connection (import-blocks.ts). Blocks are written in input order, so a later item with the
// same _id still replaces an earlier one, and rejections are reported in line order. With one worker
// on 2 cores, run from the build: 1.4-1.5x the speed, at 217-248 MB peak RSS (docs/performance.md §6e).
//
// With no workers, for input that is not NDJSON (a pretty-printed array or page, read whole anyway),
// or into an in-memory SQLite database, the import is import.ts's, in this thread.
//
// `store` is the import's own (the CLI opens it for the import): nothing else writes on its
// connection until the import ends, so every path here writes its batches `onlyBatches`, leaving
// SQLite's row triggers off from one batch to the next (store/bulk-load.ts writePrepared).
import { Readable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import type { StoreConfig } from '../config.ts'
import { siblingModule, WORKER_ENTRY } from '../paths.ts'
import type { Store } from '../store/connect.ts'
import { openBulkLoader } from '../store/bulk-load.ts'
import type { ItemTable } from '../store/items.ts'
import { importItems, LINE_BREAK, opensDocument, readItems, type ImportKind, type ImportReport } from './import.ts'
import { ImportStopped, newTurn, stopTurns, writeBlock, type BlockDone, type BlockWriter } from './import-blocks.ts'
import type { FromWorker, ImportWorkerData, ToWorker } from './import-worker.ts'

export interface ParallelImportOptions {
  /** Worker threads that parse, check and write; 0 does everything in this thread. */
  workers: number
  /** Bytes of whole lines per block: one transaction each (about 2500 messages by default). */
  blockBytes?: number
  onProgress?: (report: ImportReport) => void
}

const BLOCK_BYTES = 1 << 20
/**
 * A worker's heap is capped: V8 grows an uncapped one lazily, and with one worker the import's peak
 * RSS was ~330 MB at 1M messages; capped (and with 1 MB blocks rather than 2), 281-284 MB at 1M and
 * 289-321 MB at 10M, for 3 % of the speed (docs/performance.md §6d). A block holds 1 MB of lines, a
 * few MB parsed; a longer block is one long line, and this thread reads those (LONG_BLOCK).
 */
const WORKER_HEAP = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 16 }
/** Blocks this many times blockBytes or longer (one line that long) are read by this thread. */
const LONG_BLOCK = 4
/** Blocks dealt out ahead per thread: enough to keep each busy, few enough to bound the memory they take. */
const AHEAD = 2
const NEWLINE = 0x0a
const WORKER_MODULE = siblingModule(import.meta.url, 'import-worker')

export async function importStream(
  store: Store,
  storeConfig: StoreConfig,
  kind: ImportKind,
  input: Readable,
  options: ParallelImportOptions,
): Promise<ImportReport> {
  // An in-memory SQLite database is private to its one connection: a worker's would be another one.
  const oneConnection = storeConfig.databaseUrl === null && storeConfig.dbFile === ':memory:'
  if (options.workers < 1 || oneConnection) return importItems(store, kind, readItems(input), options.onProgress, true)
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const head = await readHead(chunks)
  if (head.opensDocument) {
    const replayed = Readable.from(replay(head.pieces, chunks))
    return importItems(store, kind, readItems(replayed), options.onProgress, true)
  }
  // Its write() goes unused (the threads write blocks, import-blocks.ts); its finish() builds the
  // indexes and creates this connection's row triggers again.
  const loader = await openBulkLoader(store, kind as ItemTable, true)
  try {
    return await inWorkers(store, storeConfig, kind, head.pieces, chunks, options)
  } finally {
    await loader.finish()
  }
}

/** Reads until the first line that is not blank is whole (or the input ends), and tells whether it opens a multi-line document. */
async function readHead(chunks: AsyncIterator<Buffer>): Promise<{ pieces: Buffer[]; opensDocument: boolean }> {
  const pieces: Buffer[] = []
  for (;;) {
    const next = await chunks.next()
    // Looked at again only when a line has ended: a long first line is read once, not once per chunk.
    if (!next.done) {
      pieces.push(next.value)
      if (next.value.indexOf(NEWLINE) < 0) continue
    }
    const all = Buffer.concat(pieces)
    const end = next.done ? all.length : all.lastIndexOf(NEWLINE) + 1
    const first = all.toString('utf8', 0, end).split(LINE_BREAK).find((line) => line.trim() !== '')
    if (first !== undefined || next.done) return { pieces: [all], opensDocument: first !== undefined && opensDocument(first.trim()) }
    pieces.splice(0, pieces.length, all)
  }
}

async function* replay(pieces: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* pieces
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
}

/** The input cut into blocks of whole lines, each in a buffer of its own (handed to a worker, not copied). */
async function* blocks(pieces: Buffer[], rest: AsyncIterator<Buffer>, size: number, pool: BufferPool): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  let held: Buffer[] = []
  let heldBytes = 0
  for await (const piece of replay(pieces, rest)) {
    held.push(piece)
    heldBytes += piece.length
    if (heldBytes < size) continue
    const end = piece.lastIndexOf(NEWLINE)
    // No line ends in this piece: the block grows until one does.
    if (end < 0) continue
    const tail = piece.subarray(end + 1)
    yield joined(held, heldBytes - tail.length, pool)
    held = tail.length > 0 ? [tail] : []
    heldBytes = tail.length
  }
  if (heldBytes > 0) yield joined(held, heldBytes, pool)
}

/** The first `length` bytes of `pieces`, in a buffer of the pool: one that can be transferred. */
function joined(pieces: Buffer[], length: number, pool: BufferPool): Uint8Array<ArrayBuffer> {
  const out = pool.take(length)
  let at = 0
  for (const p of pieces) {
    const n = Math.min(p.length, length - at)
    out.set(p.subarray(0, n), at)
    at += n
  }
  return out
}

interface BufferPool {
  take(length: number): Uint8Array<ArrayBuffer>
  give(buffer: ArrayBuffer): void
}

/**
 * Block buffers come back once their block is written and are used again: the blocks in flight are
 * then all the block memory there is. New 1 MB buffers would each wait for the collector, which
 * frees them late (external memory counts little towards its next run).
 */
function bufferPool(blockBytes: number): BufferPool {
  const free: ArrayBuffer[] = []
  return {
    take(length) {
      const i = free.findIndex((b) => b.byteLength >= length)
      const buffer = i >= 0 ? free.splice(i, 1)[0]! : new ArrayBuffer(Math.max(length, blockBytes + (blockBytes >> 2)))
      return new Uint8Array(buffer, 0, length)
    },
    give(buffer) {
      // One grown for an unusually long line is not kept.
      if (buffer.byteLength <= 2 * blockBytes && free.length < 16) free.push(buffer)
    },
  }
}

async function inWorkers(
  store: Store,
  storeConfig: StoreConfig,
  kind: ImportKind,
  pieces: Buffer[],
  rest: AsyncIterator<Buffer>,
  options: ParallelImportOptions,
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, rejected: [] }
  const turn = newTurn()
  const workerData: ImportWorkerData = { module: WORKER_MODULE, store: storeConfig, kind, turn: turn.buffer as SharedArrayBuffer }
  const workers = Array.from({ length: options.workers }, () => new Worker(WORKER_ENTRY, { workerData, resourceLimits: WORKER_HEAP }))
  // This thread writes every (workers + 1)th block itself: one isolate fewer than a worker more.
  const threads = workers.length + 1
  const own: BlockWriter = { store, kind, turn }
  const blockBytes = options.blockBytes ?? BLOCK_BYTES
  const pool = bufferPool(blockBytes)

  let failure: Error | null = null
  let ending = false
  let wake: (() => void) | null = null
  const settle = () => {
    wake?.()
    wake = null
  }
  const until = async (ready: () => boolean) => {
    while (!ready() && failure === null) await new Promise<void>((resolve) => (wake = resolve))
    if (failure) throw failure
  }

  // Blocks are written in order (each waits for its turn), but their reports race across threads.
  const finished = new Map<number, BlockDone>()
  let sent = 0
  let done = 0
  let linesBefore = 0
  const finish = (block: BlockDone) => {
    finished.set(block.seq, block)
    for (let next = finished.get(done); next; next = finished.get(done)) {
      finished.delete(done++)
      for (const r of next.rejected) report.rejected.push({ where: `line ${linesBefore + r.line}${r.where}`, reason: r.reason })
      linesBefore += next.lines
      report.imported += next.imported
      options.onProgress?.(report)
    }
  }
  let exited = 0
  for (const worker of workers) {
    worker.on('message', (m: FromWorker) => {
      if ('error' in m) {
        failure ??= new Error(m.error)
        stopTurns(turn)
      } else {
        pool.give(m.buffer)
        finish(m)
      }
      settle()
    })
    worker.on('error', (error) => {
      failure ??= error
      stopTurns(turn)
      settle()
    })
    worker.on('exit', (code) => {
      exited++
      if (!ending || code !== 0) {
        failure ??= new Error(`an import worker stopped unexpectedly (exit code ${code})`)
        stopTurns(turn)
      }
      settle()
    })
  }

  try {
    let mine: { seq: number; bytes: Uint8Array<ArrayBuffer> } | null = null
    const writeMine = async (block: { seq: number; bytes: Uint8Array<ArrayBuffer> }) => {
      finish(await writeBlock(own, block.seq, block.bytes))
      pool.give(block.bytes.buffer)
    }
    let dealt = 0
    for await (const bytes of blocks(pieces, rest, blockBytes, pool)) {
      await until(() => sent - done < AHEAD * threads)
      const seq = sent++
      if (bytes.length >= LONG_BLOCK * blockBytes) {
        // Every block before it is dealt: this thread writes its own, then this one.
        if (mine) await writeMine(mine)
        mine = null
        await writeMine({ seq, bytes })
        continue
      }
      const owner = dealt++ % threads
      if (owner === 0) mine = { seq, bytes }
      else workers[owner - 1]!.postMessage({ seq, bytes } satisfies ToWorker, [bytes.buffer])
      // This thread's block once the workers have theirs of the round.
      if (mine && owner === threads - 1) {
        await writeMine(mine)
        mine = null
      }
    }
    if (mine) await writeMine(mine)
    await until(() => done === sent)
    ending = true
    for (const worker of workers) worker.postMessage({ end: true } satisfies ToWorker)
    await until(() => exited === workers.length)
    return report
  } catch (error) {
    stopTurns(turn)
    // Stopped by a worker: its failure (a message, or its exit) is on the way, if not here yet.
    if (error instanceof ImportStopped) while (failure === null) await new Promise<void>((resolve) => (wake = resolve))
    throw failure ?? error
  } finally {
    if (exited < workers.length) await Promise.all(workers.map((w) => w.terminate()))
  }
}
