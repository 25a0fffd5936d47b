// Entry of parley's worker threads. A worker does not inherit the module hooks of the thread that
// starts it, so, like bin/parley.js, it registers tsx's loader itself, then imports its TypeScript
// module (workerData.module).
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.module)
