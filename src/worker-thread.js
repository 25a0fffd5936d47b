// Entry of parley's worker threads. A worker does not inherit the module hooks of the thread that
// starts it: run from the sources, it registers tsx's loader itself, as bin/parley.js does, before
// importing its module (workerData.module); run from the build, the module is JavaScript already.
import { workerData } from 'node:worker_threads'

if (workerData.module.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api')
  register()
}
await import(workerData.module)
