// Crash durability of the real `parley serve`: concurrent chat writes, SIGKILL mid-stream, a restart
// on the same database, and every acknowledged write found, nothing half-applied, the database's own
// checks clean (test/helpers/crash.ts holds the run and its checks; the bench runs it larger).
// PostgreSQL's amcheck part needs a role that may create the extension: without one the run notes
// "amcheck skipped" and the semantic checks stand alone (docs/durability.md).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { crashRun } from '../helpers/crash.ts'
import { createPostgresDatabase } from '../helpers/stores.ts'

const SEED = Number(process.env.PARLEY_CRASH_SEED ?? 7)
const WRITES = 300
const KILLS = 2

const cleanups: Array<() => unknown> = []
afterAll(async () => {
  for (const f of cleanups.reverse()) await f()
})

async function storeArgs(kind: 'sqlite' | 'postgres'): Promise<string[]> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    return ['--db', join(dir, 'parley.db')]
  }
  const db = await createPostgresDatabase(process.env.PARLEY_TEST_DATABASE_URL!)
  cleanups.push(() => db.drop())
  return ['--database-url', db.url]
}

const kinds = process.env.PARLEY_TEST_DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)
for (const kind of kinds) {
  describe(`kill -9 mid-stream and restart (${kind})`, () => {
    it(`keeps every acknowledged write of ${WRITES} over ${KILLS} kills, whole, with counters equal to a recount (seed ${SEED})`, { timeout: 240_000 }, async () => {
      const report = await crashRun({ storeArgs: await storeArgs(kind), seed: SEED, writes: WRITES, kills: KILLS })
      expect(report.problems, `seed ${SEED}`).toEqual([])
      expect(report.acknowledged).toBeGreaterThanOrEqual(WRITES)
      expect(report.present).toBe(report.acknowledged)
      // The kills landed mid-stream: requests were in flight each time.
      expect(report.unanswered).toBeGreaterThan(0)
      expect(report.integrity).toHaveLength(KILLS + 1)
      if (kind === 'sqlite') for (const note of report.integrity) expect(note).toMatch(/integrity_check ok, foreign_key_check 0 rows$/)
    })
  })
}
