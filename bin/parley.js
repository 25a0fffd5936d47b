#!/usr/bin/env node
// The `parley` command. Node 20 cannot run TypeScript by itself, so the CLI loads the sources
// through tsx's loader: no build step to forget, and `npx parley` always runs what is checked out.
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
