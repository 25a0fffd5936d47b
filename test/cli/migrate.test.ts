// `parley migrate` applies the pending migrations once and says so; a second run finds none.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MIGRATION_NAMES } from '../../src/store/migrations/index.ts'
import { runParley } from './run.ts'

describe('parley migrate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-migrate-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('applies every migration on an empty database, then nothing', async () => {
    const db = join(dir, 'parley.db')
    const first = await runParley(['migrate', '--db', db])
    expect(first.code).toBe(0)
    expect(first.stdout).toBe(`Applied: ${MIGRATION_NAMES.join(', ')}\n`)
    const second = await runParley(['migrate', '--db', db])
    expect(second.code).toBe(0)
    expect(second.stdout).toBe('Up to date.\n')
  })
})
