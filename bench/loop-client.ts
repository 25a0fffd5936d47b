// The documented export loop (measure.ts exportLoop) in a Node process of its own, as an operator's
// export script runs: the harness that spawns it has by then made ~100 load runs, and its V8 heap
// carries their history (the loop's client ran mark-compacts 2.5× as often there as in a fresh
// process; docs/performance.md §6n). Arguments: port, filter, cap in seconds; the key comes in
// PARLEY_BENCH_KEY. Prints the LoopFigures as JSON.
import { exportLoop } from './measure.ts'

const [port, filter, cap] = process.argv.slice(2)
const key = process.env.PARLEY_BENCH_KEY
if (!port || filter === undefined || !cap || !key) throw new Error('usage: PARLEY_BENCH_KEY=… loop-client.ts <port> <filter> <cap seconds>')
process.stdout.write(JSON.stringify(await exportLoop(Number(port), key, filter, Number(cap))))
