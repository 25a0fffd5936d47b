// The message loop of parley's worker threads (services/import-worker.ts, store/count-worker.ts):
// each message handled in turn, in the order sent — one message's awaits never interleave with the
// next one's work — until `{ end: true }`, which closes the thread's store and its port.
import type { MessagePort } from 'node:worker_threads'

export type End = { end: true }

/**
 * Handles the messages arriving on `port` one at a time. A handler answering false stops the loop
 * (it has told the thread that sent them why); later messages are left unhandled.
 */
export function handleInTurn<M extends object>(port: MessagePort, handle: (m: M) => Promise<boolean | void>, close: () => Promise<void>): void {
  const queue: Array<M | End> = []
  let draining = false
  async function drain(): Promise<void> {
    draining = true
    for (let m = queue.shift(); m; m = queue.shift()) {
      if ('end' in m) {
        await close()
        port.close()
        return
      }
      if ((await handle(m)) === false) return
    }
    draining = false
  }
  port.on('message', (m: M | End) => {
    queue.push(m)
    if (!draining) void drain()
  })
}
