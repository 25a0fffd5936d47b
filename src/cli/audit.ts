// `parley audit`: the admin-access audit log (docs/operations.md), newest first, as a table or as
// NDJSON (--json); `--prune-before` deletes old entries (retention is the operator's choice).
import { Command, InvalidArgumentError } from 'commander'
import type { Flags } from '../config.ts'
import { listAuditRows, pruneAuditRows, type AuditFilter, type AuditRow } from '../store/admin-audit.ts'
import { withStore, withStoreOptions } from './common.ts'

interface AuditFlags extends Flags {
  since?: number
  until?: number
  key?: string
  status?: number | [number, number]
  limit: number
  json?: boolean
  pruneBefore?: number
}

/** An ISO date/time, or a span back from now: 15m, 24h, 7d. */
export function parseTime(raw: string): number {
  const span = /^(\d+)([smhd])$/.exec(raw)
  if (span) return Date.now() - Number(span[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[span[2] as 's' | 'm' | 'h' | 'd']
  const ms = Date.parse(raw)
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO time (2026-01-31T12:00:00Z, 2026-01-31) or a span back from now (30m, 24h, 7d)')
  return ms
}

function parseStatus(raw: string): number | [number, number] {
  if (/^[1-5]\d\d$/.test(raw)) return Number(raw)
  const cls = /^([1-5])xx$/i.exec(raw)
  if (cls) return [Number(cls[1]) * 100, Number(cls[1]) * 100 + 100]
  throw new InvalidArgumentError('expected a status (401) or a class (4xx)')
}

function parseLimit(raw: string): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError('expected an integer from 1 to 1000000')
  return n
}

const wire = (r: AuditRow) => ({
  at: new Date(r.at).toISOString(),
  key_id: r.key_id,
  key_name: r.key_name,
  method: r.method,
  route: r.route,
  params: JSON.parse(r.params) as unknown,
  status: r.status,
  duration_ms: r.duration_us / 1000,
  remote: r.remote,
})

export function auditCommand(): Command {
  return withStoreOptions(new Command('audit'))
    .description('Show the admin-access audit log, newest first')
    .option('--since <time>', 'entries at or after this time (ISO, or 30m / 24h / 7d ago)', parseTime)
    .option('--until <time>', 'entries before this time', parseTime)
    .option('--key <name>', 'entries of the key with this name')
    .option('--status <status>', 'entries with this status (401) or class (4xx)', parseStatus)
    .option('--limit <n>', 'at most n entries', parseLimit, 100)
    .option('--json', 'one JSON object per line (NDJSON)')
    .option('--prune-before <time>', 'delete the entries before this time (ISO, or 90d ago), then print how many', parseTime)
    .action(async (opts: AuditFlags) => {
      await withStore(opts, async (store) => {
        if (opts.pruneBefore !== undefined) {
          const n = await pruneAuditRows(store, opts.pruneBefore)
          process.stdout.write(`Deleted ${n} audit entries before ${new Date(opts.pruneBefore).toISOString()}.\n`)
          return
        }
        const filter: AuditFilter = { limit: opts.limit }
        if (opts.since !== undefined) filter.since = opts.since
        if (opts.until !== undefined) filter.until = opts.until
        if (opts.key !== undefined) filter.keyName = opts.key
        if (opts.status !== undefined) filter.status = opts.status
        const rows = (await listAuditRows(store, filter)).map(wire)
        if (opts.json) {
          for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`)
          return
        }
        const table = [
          ['TIME', 'KEY', 'METHOD', 'ROUTE', 'STATUS', 'MS', 'REMOTE', 'PARAMS'],
          ...rows.map((r) => [r.at, r.key_name === null ? '-' : `${r.key_name} (${r.key_id})`, r.method, r.route, String(r.status), r.duration_ms.toFixed(3), r.remote ?? '-', JSON.stringify(r.params)]),
        ]
        const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
        for (const r of table) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()}\n`)
      })
    })
}
