// The import as operators run it: `parley import` of NDJSON files, as a process of its own, timed
// from start to exit (index build included) with its peak RSS read from /proc. The files are the
// data set's own export, so what is imported is what the bench measures elsewhere.
import { spawn } from 'node:child_process'
import { createWriteStream, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { loadConfig } from '../src/config.ts'
import { exportToStream, type ExportKind } from '../src/services/export.ts'
import { createStore } from '../src/store/connect.ts'
import { ROOT, type ImportFigures } from './dataset.ts'
import { peakRssMb } from './measure.ts'

export interface CliImportFigures extends ImportFigures {
  /** Size of the NDJSON files imported. */
  fileMb: number
  /** Options given besides the files ('' for the defaults). */
  args?: string
}

const KINDS: ExportKind[] = ['messages', 'dialogs']

/**
 * Exports `sourceDb` to NDJSON in `dir`, then imports it with the CLI into a new database there
 * once per entry of `runs` (extra arguments, e.g. ['--workers', '1']), and removes them all.
 */
export async function cliImport(sourceDb: string, dir: string, expectMessages: number, runs: string[][]): Promise<CliImportFigures[]> {
  const files = KINDS.map((kind) => join(dir, `cli-import-${kind}.ndjson`))
  const target = join(dir, 'cli-import.db')
  const removeTarget = () => {
    for (const f of [target, `${target}-wal`, `${target}-shm`]) rmSync(f, { force: true })
  }
  const cleanup = () => {
    removeTarget()
    for (const f of files) rmSync(f, { force: true })
  }
  cleanup()
  try {
    const source = createStore(loadConfig({}, { db: sourceDb }).store)
    try {
      for (const [i, kind] of KINDS.entries()) await exportToStream(source, kind, {}, createWriteStream(files[i]!))
    } finally {
      await source.close()
    }
    const fileMb = Math.round(files.reduce((sum, f) => sum + statSync(f).size, 0) / 1e6)
    const figures: CliImportFigures[] = []
    for (const extra of runs) {
      removeTarget()
      let peak = 0
      const started = performance.now()
      for (const [i, kind] of KINDS.entries()) peak = Math.max(peak, await run(['import', '--db', target, kind, files[i]!, ...extra]))
      const seconds = (performance.now() - started) / 1000
      const db = new SQLite(target, { readonly: true })
      const counts = KINDS.map((kind) => (db.prepare(`select count(*) as n from ${kind}`).get() as { n: number }).n)
      db.close()
      if (counts[0] !== expectMessages) throw new Error(`parley import: ${counts[0]} messages imported, expected ${expectMessages}`)
      const items = counts[0]! + counts[1]!
      figures.push({ items, seconds, itemsPerSecond: Math.round(items / seconds), peakRssMb: peak, fileMb, args: extra.join(' ') })
    }
    return figures
  } finally {
    cleanup()
  }
}

/** Runs `parley …` and resolves with its peak RSS in MB, polled from /proc while it runs. */
function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/parley.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
    let peak = 0
    const poll = setInterval(() => {
      const mb = peakRssMb(child.pid!)
      if (Number.isFinite(mb)) peak = Math.max(peak, mb)
    }, 100)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearInterval(poll)
      if (code === 0) resolve(peak)
      else reject(new Error(`parley ${args.join(' ')} exited with ${code}: ${stderr}`))
    })
  })
}
