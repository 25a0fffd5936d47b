// `parley import dialogs|messages FILE|-`: admin-format items in, upserted by _id. Progress and every
// rejected line go to stderr; the exit code is 1 when any item was rejected, 0 otherwise.
import { createReadStream, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import cliProgress from 'cli-progress'
import type { Flags } from '../config.ts'
import type { ImportKind, ImportReport } from '../services/import.ts'
import { importStream } from '../services/import-parallel.ts'
import { withStore, withStoreOptions } from './common.ts'

/**
 * One worker where there is a core for it: ~1.4x as fast on 2 cores, and, run from the build, within
 * the memory bound (9.85M messages at 248 MB peak RSS; decision 0008, docs/performance.md §6e).
 */
const DEFAULT_WORKERS = availableParallelism() > 1 ? 1 : 0

/** Imports at least this large prune the change logs when they finish. */
const PRUNE_AFTER = 10_000

export function importCommand(): Command {
  return withStoreOptions(new Command('import'))
    .description('Import dialogs or messages: NDJSON, a JSON array, or saved {"items": [...]} pages')
    .addArgument(new Argument('<kind>', 'what the file holds').choices(['dialogs', 'messages']))
    .argument('<file>', "a file, or - for standard input")
    .addOption(
      new Option('--workers <n>', 'worker threads that parse, check and write NDJSON beside this one; 0 reads on this thread alone (docs/operations.md)')
        .default(DEFAULT_WORKERS, '1 with 2 or more cores, else 0')
        .argParser(workerCount),
    )
    .action(async (kind: ImportKind, file: string, opts: Flags & { workers: number }) => {
      const total = file === '-' ? 0 : statSync(file).size
      // Read in 256 KB pieces: with the default 64 KB, the thread that reads and cuts the input into
      // blocks waited on a read for every 64 KB and left the worker idle; 1 MB pieces, which V8
      // frees late, cost up to 50 MB more RSS (docs/performance.md §6m). Progress is the file's
      // bytesRead, not a 'data' listener, which would start the stream flowing before the reader
      // is attached.
      const fromFile = file === '-' ? null : createReadStream(file, { highWaterMark: 1 << 18 })
      const input = fromFile ?? process.stdin

      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `importing ${kind} [{bar}] {percentage}% | {imported} imported, {rejected} rejected | {duration}s`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null
      bar?.start(total || 1, 0, { imported: 0, rejected: 0 })
      let lastLine = Date.now()
      const started = Date.now()

      const report = await withStore(opts, async (store, config) => {
        const onProgress = (r: ImportReport) => {
          bar?.update(fromFile ? fromFile.bytesRead : 0, { imported: r.imported, rejected: r.rejected.length })
          if (!bar && Date.now() - lastLine > 2000) {
            lastLine = Date.now()
            process.stderr.write(`importing ${kind}: ${r.imported} imported, ${r.rejected.length} rejected\n`)
          }
        }
        const report = await importStream(store, config.store, kind, input, { workers: opts.workers, onProgress })
        // A large import logged a change per row (store/counts.ts). Prune them now rather than leave
        // them to the next server: running servers' kept counts fall back to one COUNT(*) each.
        if (report.imported >= PRUNE_AFTER) await store.counts.prune(store, 0)
        return report
      })
      bar?.update(total || 1, { imported: report.imported, rejected: report.rejected.length })
      bar?.stop()

      for (const r of report.rejected) process.stderr.write(`rejected ${r.where}: ${r.reason}\n`)
      const seconds = (Date.now() - started) / 1000
      process.stderr.write(
        `Imported ${report.imported} ${kind}, rejected ${report.rejected.length} (${seconds.toFixed(1)} s, ${Math.round(report.imported / Math.max(seconds, 0.001))}/s).\n`,
      )
      if (report.rejected.length > 0) process.exitCode = 1
    })
}

function workerCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('a whole number from 0 to 64')
  return n
}
