// Server-Timing on every answer: how long parley took, from the request's routing to its answer
// being ready to send (parsing, auth, the store, serialisation), excluding the network. Browsers'
// developer tools show it, and the benchmark reports it beside the client-side time
// (docs/performance.md: the page targets are server times). For a streamed export it is the time
// to the first byte. Timed here rather than with reply.elapsedTime, which Fastify only keeps when a
// logger or an onResponse hook is installed.
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    receivedAt: number
  }
}

export function serverTiming(app: FastifyInstance): void {
  app.decorateRequest('receivedAt', 0)
  app.addHook('onRequest', (request, _reply, done) => {
    request.receivedAt = performance.now()
    done()
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${(performance.now() - request.receivedAt).toFixed(3)}`)
    done(null, payload)
  })
}
