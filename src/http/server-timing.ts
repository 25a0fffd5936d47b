// Server-Timing on every answer: how long parley took, from the request's routing to its answer
// being ready to send (parsing, auth, the store, serialisation), excluding the network. Browsers'
// developer tools show it, and the benchmark reports it beside the client-side time
// (docs/performance.md: the page targets are server times). For a streamed export it is the time
// to the first byte. It is Fastify's reply.elapsedTime, the clock the metrics and the audit log read
// too; Fastify keeps it for every route because the request metrics (metrics.ts countRequests)
// install an onResponse hook (test/admin/smoke.test.ts fails if it reads 0).
import type { FastifyInstance } from 'fastify'

export function serverTiming(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(3)}`)
    done(null, payload)
  })
}
