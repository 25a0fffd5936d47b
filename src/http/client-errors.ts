// Requests Node refuses before Fastify sees them (a head over PARLEY_MAX_HEADER_SIZE, a request not
// received within PARLEY_HEADERS_TIMEOUT / PARLEY_REQUEST_TIMEOUT, bytes that are not HTTP, an
// Expect other than 100-continue, an HTTP/1.1 request without Host) are answered in the API's own
// `{"errors": …}` shape, then the connection is closed, as Node closes it.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onSendHookHandler } from 'fastify'
import { AppError } from '../errors.ts'
import { JSON_TYPE } from './send-as-is.ts'

const ANSWERS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large'],
}

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, message] = ANSWERS[error.code ?? ''] ?? [400, 'The request is not valid HTTP']
  if (socket.writable) {
    const body = JSON.stringify({ errors: [message] })
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/**
 * The server's checkExpectation listener. Without one Node answers an Expect it cannot meet (any
 * but 100-continue, which it handles itself) with a bare 417; the request never reaches Fastify.
 */
export function answerExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify({ errors: { expect: ['only 100-continue is accepted'] } })
  response.writeHead(417, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), connection: 'close' })
  response.end(body)
}

/**
 * HTTP/1.1 requires a Host header (RFC 9112 §3.2). Node's own check (requireHostHeader, turned off
 * in app.ts) answers a bare 400; this onRequest hook, the first to run, refuses in our shape.
 */
export function requireHost(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (request.raw.httpVersion !== '1.1' || request.headers.host !== undefined) return done()
  reply.header('connection', 'close')
  done(new AppError('bad_parameter', { host: ['is required on an HTTP/1.1 request'] }))
}

/** How long a connection closed before its request's body arrived keeps reading it (see lingerOnEarlyClose). */
export const LINGER_MS = 2000

/**
 * An onSend hook: an answer that closes the connection before the request's body has all arrived
 * (Fastify's 413 for a body over the limit; any refusal before the body was read) lingers. Node
 * would destroy the socket as soon as the answer is written, with the rest of the body still
 * unread. The kernel then resets the connection, and the client often loses the answer before it
 * reads it: 7–9 of 60 uploads of 10 MB got no 413 at all, only EPIPE. Here the socket is half-closed
 * instead: the answer and a FIN go out, and the body is still read (and dropped by the request's
 * parser) until the client closes, or for LINGER_MS at most. nginx does the same (lingering_close).
 */
export const lingerOnEarlyClose: onSendHookHandler = (request, reply, payload, done) => {
  const socket = request.raw.socket as (Socket & { destroySoon?: () => void }) | null
  if (socket && !request.raw.complete && String(reply.getHeader('connection') ?? '').toLowerCase() === 'close') {
    socket.destroySoon = () => {
      socket.end()
      const timer = setTimeout(() => socket.destroy(), LINGER_MS)
      timer.unref()
      socket.once('close', () => clearTimeout(timer))
    }
  }
  done(null, payload)
}
