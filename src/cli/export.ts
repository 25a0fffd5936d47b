// `parley export dialogs|messages --url URL --key KEY`: every item of an Administration API, parley's
// or ConnectyCube's, to a file or stdout, through the typed client (src/client). The client walks
// _id downwards (streaming export, or the documented loop), so memory stays constant and items that
// existed at the start come exactly once. NDJSON and JSON output import with `parley import`
// unchanged; CSV is for spreadsheets. --resume continues an NDJSON file below its last _id.
import { once } from 'node:events'
import { closeSync, createWriteStream, existsSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { Argument, Command, Option } from 'commander'
import cliProgress from 'cli-progress'
import { AdminClient, AdminClientError, type ExportMode } from '../client/index.ts'
import type { Resource } from '../client/items.ts'
import { CODEC_OF } from '../services/import.ts'

type Format = 'ndjson' | 'json' | 'csv'

interface ExportFlags {
  url: string
  key?: string
  filter: string[]
  out?: string
  format: Format
  resume?: boolean
  paged?: boolean
  retries: string
}

export function exportCommand(): Command {
  return new Command('export')
    .description("Export every dialog or message from a server with ConnectyCube's Administration API (parley or ConnectyCube)")
    .addArgument(new Argument('<kind>', 'what to export').choices(['dialogs', 'messages']))
    .requiredOption('--url <url>', 'the API, e.g. https://api.connectycube.com or http://127.0.0.1:8080')
    .option('--key <key>', 'Administration API key (env PARLEY_ADMIN_KEY)')
    .option('--filter <param>', "a list filter, e.g. 'updated_at[gt]=1687886581' (repeatable)", (v: string, all: string[]) => [...all, v], [])
    .option('--out <file>', 'write here instead of stdout')
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'json', 'csv']).default('ndjson'))
    .option('--resume', 'continue an interrupted NDJSON export in --out below its last _id')
    .option('--paged', 'use the documented limit=100 / _id[lt] loop even when the server can stream')
    .option('--retries <n>', 'retries per request on no answer, 429 and 5xx', '8')
    .action(runExport)
}

async function runExport(kind: Resource, flags: ExportFlags): Promise<void> {
  const key = flags.key ?? process.env.PARLEY_ADMIN_KEY
  const retries = Number(flags.retries)
  const usage = (message: string) => {
    process.stderr.write(`parley export: ${message}\n`)
    process.exitCode = 2
  }
  if (!key) return usage('give the Administration API key with --key (or PARLEY_ADMIN_KEY)')
  if (!Number.isInteger(retries) || retries < 0) return usage(`--retries must be an integer >= 0, got ${JSON.stringify(flags.retries)}`)
  if (flags.resume && flags.format !== 'ndjson') {
    // A JSON array is closed by its last line and CSV has nothing to read an _id back from reliably;
    // NDJSON is complete after every line, so only it can be continued.
    return usage(`--resume works with --format ndjson only (a ${flags.format} file cannot be continued); export again without --resume, or use ndjson`)
  }
  if (flags.resume && !flags.out) return usage('--resume needs --out FILE: the file to continue')

  const filters = new URLSearchParams()
  for (const f of flags.filter) for (const [name, value] of new URLSearchParams(f)) filters.append(name, value)

  let before: string | undefined
  if (flags.resume) {
    const last = flags.out && existsSync(flags.out) ? lastId(flags.out) : null
    if (last) {
      before = last
      process.stderr.write(`Resuming below _id ${last}.\n`)
    } else {
      process.stderr.write('Nothing to resume from: starting from the beginning.\n')
    }
  }

  const client = new AdminClient({
    url: flags.url,
    key,
    retry: { retries },
    onRetry: ({ attempt, delayMs, reason }) => process.stderr.write(`retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s: ${reason}\n`),
  })
  const out: Writable = flags.out ? createWriteStream(flags.out, { flags: before ? 'a' : 'w' }) : process.stdout
  const writer = new Writer(out, formatter(flags.format, kind))
  const progress = new Progress(kind)
  let mode: ExportMode = 'paged'
  const started = Date.now()
  let count = 0
  // Ctrl-C: stop fetching, write out what was received (whole lines), and say how to go on. A second
  // Ctrl-C leaves at once.
  const interrupt = new AbortController()
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130)
    interrupt.abort()
  }
  process.on('SIGINT', onSigint)
  try {
    const items = client.items(kind, filters, {
      mode: flags.paged ? 'paged' : 'auto',
      before,
      signal: interrupt.signal,
      onStart: (info) => {
        mode = info.mode
        progress.start(info.total)
      },
    })
    await writer.begin()
    for await (const item of items) {
      await writer.item(item)
      progress.update(++count)
    }
    await writer.end()
  } catch (error) {
    progress.stop()
    const interrupted = interrupt.signal.aborted
    if (!(error instanceof AdminClientError) && !interrupted) throw error
    await writer.flush().catch(() => {})
    if (out !== process.stdout) out.end()
    process.stderr.write(interrupted ? 'parley export: interrupted\n' : `parley export: ${(error as Error).message}\n`)
    if (flags.out && flags.format === 'ndjson') process.stderr.write(`${count} ${kind} were written; add --resume to continue.\n`)
    process.exitCode = interrupted ? 130 : 1
    return
  } finally {
    process.off('SIGINT', onSigint)
  }
  progress.stop()
  if (out !== process.stdout) {
    out.end()
    await once(out, 'finish')
  }
  const seconds = (Date.now() - started) / 1000
  process.stderr.write(
    `Exported ${count} ${kind}${flags.out ? ` to ${flags.out}` : ''} (${mode}, ${seconds.toFixed(1)} s, ${Math.round(count / Math.max(seconds, 0.001))}/s).\n`,
  )
}

/**
 * The _id of the last complete line of an NDJSON file, read from its end (constant memory). A line
 * cut short by the interruption is removed from the file, so appending continues on a line boundary.
 */
export function lastId(file: string): string | null {
  const fd = openSync(file, 'r+')
  try {
    const size = fstatSync(fd).size
    const chunk = Buffer.alloc(64 * 1024)
    let pos = size // the file offset of tail[0]
    let tail = Buffer.alloc(0)
    const more = (): boolean => {
      if (pos === 0) return false
      const n = Math.min(chunk.length, pos)
      pos -= n
      readSync(fd, chunk, 0, n, pos)
      tail = Buffer.concat([chunk.subarray(0, n), tail])
      return true
    }
    const newlineBefore = (offset: number): number => {
      for (;;) {
        const i = offset - pos - 1 < 0 ? -1 : tail.lastIndexOf(0x0a, offset - pos - 1)
        if (i !== -1) return pos + i
        if (!more()) return -1
      }
    }
    // Complete lines end at the last newline; anything after it was cut short.
    let lineEnd = newlineBefore(size)
    const cut = lineEnd + 1
    if (cut < size) ftruncateSync(fd, cut)
    while (lineEnd !== -1) {
      const start = newlineBefore(lineEnd)
      const line = tail.subarray(start + 1 - pos, lineEnd - pos).toString('utf8').trim()
      if (line !== '') {
        let value: { _id?: unknown } | null = null
        try {
          value = JSON.parse(line) as { _id?: unknown }
        } catch {
          // reported below
        }
        if (typeof value?._id !== 'string') throw new Error(`${file}: its last line is not an item with an _id; --resume continues NDJSON written by parley export`)
        return value._id
      }
      lineEnd = start
    }
    return null
  } finally {
    closeSync(fd)
  }
}

interface Formatter {
  head: string
  item(item: Record<string, unknown>, first: boolean): string
  tail(empty: boolean): string
}

function formatter(format: Format, kind: Resource): Formatter {
  switch (format) {
    case 'ndjson':
      return { head: '', item: (i) => JSON.stringify(i) + '\n', tail: () => '' }
    case 'json':
      return { head: '[', item: (i, first) => (first ? '\n' : ',\n') + JSON.stringify(i), tail: (empty) => (empty ? ']\n' : '\n]\n') }
    case 'csv': {
      // Fixed columns, so that rows can be written as they come: the resource's standard fields, and
      // any custom keys as one JSON object in `extra`.
      const columns = CODEC_OF[kind].fields.map((f) => f.name)
      const known = new Set(columns)
      return {
        head: [...columns, 'extra'].join(',') + '\r\n',
        item: (i) => {
          const extra = Object.fromEntries(Object.entries(i).filter(([k]) => !known.has(k)))
          const cells = columns.map((c) => csvCell(i[c]))
          cells.push(Object.keys(extra).length > 0 ? csvCell(extra) : '')
          return cells.join(',') + '\r\n'
        },
        tail: () => '',
      }
    }
  }
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Buffered writes that wait for the output to drain: memory stays one buffer whatever the size. */
class Writer {
  private buffer = ''
  private first = true
  constructor(
    private readonly out: Writable,
    private readonly format: Formatter,
  ) {}

  async begin(): Promise<void> {
    this.buffer += this.format.head
  }

  async item(item: Record<string, unknown>): Promise<void> {
    this.buffer += this.format.item(item, this.first)
    this.first = false
    if (this.buffer.length >= 64 * 1024) await this.flush()
  }

  async end(): Promise<void> {
    this.buffer += this.format.tail(this.first)
    await this.flush()
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return
    const text = this.buffer
    this.buffer = ''
    if (!this.out.write(text)) await once(this.out, 'drain')
  }
}

/** A bar on a terminal (rate, ETA); a line every few seconds otherwise. */
class Progress {
  private bar: cliProgress.SingleBar | null = null
  private total: number | null = null
  private started = Date.now()
  private lastLine = Date.now()
  constructor(private readonly kind: string) {}

  start(total: number | null): void {
    this.total = total
    this.started = Date.now()
    if (!process.stderr.isTTY) return
    // Without a total (a server that sends none) there is no fraction or ETA to show, only a count.
    const format =
      total === null
        ? `exporting ${this.kind}: {value} | {rate}/s | {duration}s`
        : `exporting ${this.kind} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`
    this.bar = new cliProgress.SingleBar(
      {
        format,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    )
    this.bar.start(total ?? 0, 0, { rate: 0 })
  }

  update(count: number): void {
    const rate = Math.round(count / Math.max((Date.now() - this.started) / 1000, 0.001))
    if (this.bar) {
      // Items that arrived after the count was taken may push past it.
      if (this.total !== null && count > this.total) this.bar.setTotal(count)
      this.bar.update(count, { rate })
    } else if (Date.now() - this.lastLine > 2000) {
      this.lastLine = Date.now()
      const of = this.total === null ? '' : ` of ${this.total}`
      process.stderr.write(`exporting ${this.kind}: ${count}${of} (${rate}/s)\n`)
    }
  }

  stop(): void {
    this.bar?.stop()
    this.bar = null
  }
}
