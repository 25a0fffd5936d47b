#!/usr/bin/env node
// The `parley` command. It runs the build in dist/server when that is a build of the sources checked
// out, and the sources themselves through tsx's loader otherwise: `npx parley` always runs what is
// checked out, and, built, without a loader thread and transpiled modules in memory (~40 MB less
// RSS per process; docs/decisions/0009-run-the-build.md).
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIsCurrent } from './current-build.js'

if (buildIsCurrent(dirname(dirname(fileURLToPath(import.meta.url))))) {
  await import('../dist/server/main.js')
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/main.ts')
}
