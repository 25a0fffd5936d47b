// GET /metrics in Prometheus' text format, from a small registry kept here rather than prom-client:
// per request, one Map lookup and a few array increments (the admin page answers in about 1 ms, so
// the hook must cost microseconds). Routes are labelled by their pattern (`/chat/Dialog/:dialog_id`),
// never the raw URL, so the number of series is bounded by the route table.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { NextPageStats } from '../services/next-page.ts'
import type { Store } from '../store/connect.ts'

/** Seconds. The admin pages sit around 1 ms; exports and slow filters reach seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Series {
  readonly labels: string
  readonly buckets: number[]
  count: number
  sum: number
}

export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void
  render(store: Store, nextPages?: NextPageStats | null): string
  /** Stops the event-loop monitor. */
  close(): void
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export function createHttpMetrics(): HttpMetrics {
  const series = new Map<string, Series>()
  const started = Date.now() / 1000
  const loop = monitorEventLoopDelay({ resolution: 20 })
  loop.enable()

  return {
    observe(method, route, status, seconds) {
      const cls = `${Math.floor(status / 100)}xx`
      const key = `${method} ${route} ${cls}`
      let s = series.get(key)
      if (!s) {
        s = { labels: `method="${escape(method)}",route="${escape(route)}",status_class="${cls}"`, buckets: BUCKETS.map(() => 0), count: 0, sum: 0 }
        series.set(key, s)
      }
      s.count++
      s.sum += seconds
      // Non-cumulative here; render() accumulates.
      for (let i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]!) {
          s.buckets[i]!++
          break
        }
      }
    },

    render(store, nextPages = null) {
      const out: string[] = []
      const metric = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      const sorted = [...series.values()].sort((a, b) => (a.labels < b.labels ? -1 : 1))

      metric('parley_http_requests_total', 'counter', 'HTTP requests answered, by method, route pattern and status class.')
      for (const s of sorted) out.push(`parley_http_requests_total{${s.labels}} ${s.count}`)
      metric('parley_http_request_duration_seconds', 'histogram', 'Time from request received to response sent.')
      for (const s of sorted) {
        let cumulative = 0
        BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!
          out.push(`parley_http_request_duration_seconds_bucket{${s.labels},le="${le}"} ${cumulative}`)
        })
        out.push(`parley_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`)
        out.push(`parley_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`)
        out.push(`parley_http_request_duration_seconds_count{${s.labels}} ${s.count}`)
      }

      const stats = store.stats()
      metric('parley_export_streams_active', 'gauge', 'NDJSON exports streaming now (each holds one store reader).')
      out.push(`parley_export_streams_active ${stats.readersOpen}`)
      metric('parley_store_readers_limit', 'gauge', 'Exports that may stream at once; more get 503.')
      out.push(`parley_store_readers_limit ${stats.readerLimit}`)
      if (stats.pool) {
        metric('parley_store_pool_connections', 'gauge', 'PostgreSQL pool connections: total, idle, and requests waiting for one.')
        out.push(`parley_store_pool_connections{state="total"} ${stats.pool.total}`)
        out.push(`parley_store_pool_connections{state="idle"} ${stats.pool.idle}`)
        out.push(`parley_store_pool_connections{state="waiting"} ${stats.pool.waiting}`)
      }
      if (stats.writerInTransaction !== undefined) {
        metric('parley_sqlite_writer_in_transaction', 'gauge', 'SQLite: 1 while the writer connection is inside a transaction.')
        out.push(`parley_sqlite_writer_in_transaction ${stats.writerInTransaction ? 1 : 0}`)
      }

      // How totals were read (store/counts.ts): derived cheaply, or from scratch here or on the count thread.
      const counts = store.counts.stats
      metric('parley_counts_total', 'counter', 'Counts behind total_entries and count=1: from scratch (full), read on the count thread (aside), derived from a kept count (derived) or a ladder rung (rung), ladders built here (ladder).')
      out.push(`parley_counts_total{how="full"} ${counts.full}`)
      out.push(`parley_counts_total{how="aside"} ${counts.aside}`)
      out.push(`parley_counts_total{how="derived"} ${counts.delta}`)
      out.push(`parley_counts_total{how="rung"} ${counts.rungs}`)
      out.push(`parley_counts_total{how="ladder"} ${counts.ladders}`)

      if (nextPages) {
        metric('parley_admin_next_pages_total', 'counter', 'Export loop pages prepared ahead: sent (nothing had changed), stale (computed again), unused.')
        out.push(`parley_admin_next_pages_total{outcome="served"} ${nextPages.served}`)
        out.push(`parley_admin_next_pages_total{outcome="stale"} ${nextPages.stale}`)
        out.push(`parley_admin_next_pages_total{outcome="unused"} ${nextPages.unused}`)
        metric('parley_admin_next_pages_uncounted_total', 'counter', 'Of the pages prepared ahead, those whose total came from the page before it (nothing committed in between): no count read.')
        out.push(`parley_admin_next_pages_uncounted_total ${nextPages.uncounted}`)
      }

      const mem = process.memoryUsage()
      const cpu = process.cpuUsage()
      metric('process_cpu_user_seconds_total', 'counter', 'User CPU time spent.')
      out.push(`process_cpu_user_seconds_total ${cpu.user / 1e6}`)
      metric('process_cpu_system_seconds_total', 'counter', 'System CPU time spent.')
      out.push(`process_cpu_system_seconds_total ${cpu.system / 1e6}`)
      metric('process_resident_memory_bytes', 'gauge', 'Resident memory size.')
      out.push(`process_resident_memory_bytes ${mem.rss}`)
      metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use.')
      out.push(`nodejs_heap_used_bytes ${mem.heapUsed}`)
      metric('nodejs_heap_total_bytes', 'gauge', 'V8 heap allocated.')
      out.push(`nodejs_heap_total_bytes ${mem.heapTotal}`)
      metric('process_start_time_seconds', 'gauge', 'Start time of the process (this registry), in seconds since the epoch.')
      out.push(`process_start_time_seconds ${Math.floor(started)}`)
      metric('nodejs_eventloop_delay_seconds', 'gauge', 'Event loop delay since start: p50, p99 and max.')
      for (const [q, v] of [
        ['0.5', loop.percentile(50)],
        ['0.99', loop.percentile(99)],
        ['1', loop.max],
      ] as const) {
        out.push(`nodejs_eventloop_delay_seconds{quantile="${q}"} ${Number.isFinite(v) ? v / 1e9 : 0}`)
      }
      return `${out.join('\n')}\n`
    },

    close() {
      loop.disable()
    },
  }
}

/** The onResponse hook: every answered request, by route pattern; unmatched URLs share one label. */
export function countRequests(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    metrics.observe(request.method, request.routeOptions.url ?? '(unmatched)', reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
}
