// bin/parley.js runs dist/server when it is a build of the sources as they are (bin/current-build.js),
// and the sources through tsx otherwise. The check is driven on a tree of its own with set times;
// then the real build, when current, runs a threaded import, whose worker loads the build's
// JavaScript without tsx. CI (.ci/run) builds on npm ci and sets PARLEY_REQUIRE_BUILD: there a build
// that is missing or older than the sources fails, never skips.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-expect-error: plain JavaScript of the bin, without declarations
import { buildIsCurrent } from '../../bin/current-build.js'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { ROOT, runParley } from './run.ts'

const isCurrent = buildIsCurrent as (root: string) => boolean
const T = new Date('2026-01-01T00:00:00Z').getTime() / 1000
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A package with src/a.ts and src/sub/b.ts, everything at time T. */
function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'parley-build-'))
  dirs.push(root)
  mkdirSync(join(root, 'src/sub'), { recursive: true })
  writeFileSync(join(root, 'src/a.ts'), '')
  writeFileSync(join(root, 'src/sub/b.ts'), '')
  for (const p of ['src/a.ts', 'src/sub/b.ts', 'src/sub', 'src']) utimesSync(join(root, p), T, T)
  return root
}

function build(root: string, at: number): void {
  mkdirSync(join(root, 'dist/server'), { recursive: true })
  writeFileSync(join(root, 'dist/server/main.js'), '')
  utimesSync(join(root, 'dist/server/main.js'), at, at)
}

describe('bin/current-build.js', () => {
  it('is current when the built entry is at least as new as everything under src, and only then', () => {
    const root = tree()
    expect(isCurrent(root)).toBe(false)
    build(root, T + 10)
    expect(isCurrent(root)).toBe(true)
    build(root, T)
    expect(isCurrent(root)).toBe(true)
    build(root, T - 1)
    expect(isCurrent(root)).toBe(false)
  })

  it('is not current after a source changes, nor after one is deleted (its directory changes)', () => {
    const changed = tree()
    build(changed, T + 10)
    utimesSync(join(changed, 'src/sub/b.ts'), T + 20, T + 20)
    expect(isCurrent(changed)).toBe(false)

    const deleted = tree()
    build(deleted, T + 10)
    rmSync(join(deleted, 'src/sub/b.ts'))
    utimesSync(join(deleted, 'src/sub'), T + 20, T + 20)
    expect(isCurrent(deleted)).toBe(false)
  })
})

const current = isCurrent(ROOT)
if (!current && process.env.PARLEY_REQUIRE_BUILD) throw new Error('dist/server is missing or older than src/ and PARLEY_REQUIRE_BUILD is set: npm run build')
if (!current) console.warn('the build test is skipped: dist/server is missing or older than src/ (npm run build)')

describe.runIf(current)('the build in dist/server', () => {
  it('serves the command, and a threaded import whose worker runs the build', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-build-run-'))
    dirs.push(dir)
    const dialog = dialogItem(1645095700)
    // 4 MB: four blocks of 1 MB, dealt in turn to this thread and the worker.
    const messages = Array.from({ length: 3000 }, (_, i) => messageItem(dialog._id as string, 1645095700 + i, { message: `${i} ${'x'.repeat(1300)}` }))
    const input = messages.map((m) => JSON.stringify(m)).join('\n') + '\n'
    const r = await runParley(['import', 'messages', '-', '--db', join(dir, 'built.db'), '--workers', '1'], { input })
    expect(r.stderr + r.stdout).toMatch(/Imported 3000 messages, rejected 0/)
    expect(r.code).toBe(0)
  })
})
