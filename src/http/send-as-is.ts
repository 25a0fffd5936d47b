// Answers that are JSON but not what the route's response schema describes (a count answer beside
// a page, the unread counts keyed by dialog id), so they skip Fastify's schema serialiser.
import type { FastifyReply } from 'fastify'

export const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * `value` stringified as is, with its JSON content type. Not reply.serializer(JSON.stringify): with
 * a custom serializer Fastify sets no content type at all (reply.js send), and the serializer stays
 * on the reply for whatever an onSend hook turns the answer into.
 */
export function sendAsIs(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type(JSON_TYPE).send(JSON.stringify(value))
}
