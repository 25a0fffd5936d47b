// Requests Node refuses before Fastify sees them (a head over PARLEY_MAX_HEADER_SIZE, a request not
// received within PARLEY_HEADERS_TIMEOUT / PARLEY_REQUEST_TIMEOUT, bytes that are not HTTP) are
// answered in the API's own `{"errors": …}` shape, then the connection is closed.
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

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
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
