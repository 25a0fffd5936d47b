#!/usr/bin/env node
// `npm run bench`: the benchmark harness (bench/main.ts), loaded through tsx like bin/parley.js.
import { register } from 'tsx/esm/api'

register()
await import('../bench/main.ts')
