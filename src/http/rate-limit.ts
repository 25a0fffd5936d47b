// Rate limits per admin key and per session: one in-memory token bucket each, per process (with N
// processes the effective limit is N times the configured one; docs/limits.md). Over the limit: 429
// with Retry-After. O(1) per request: one Map lookup, a little arithmetic, no allocation for a
// known bucket; the Map is bounded, dropping the least recently used bucket when full.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RateLimit, RateLimitConfig } from '../config.ts'

interface Bucket {
  tokens: number
  /** When `tokens` was last brought up to date, ms. */
  at: number
}

export interface TokenBuckets {
  /** Takes one token for `key`: 0 when allowed, else the ms until a token will be there. */
  take(key: number, now: number): number
  readonly size: number
}

export function tokenBuckets(limit: RateLimit, capacity: number): TokenBuckets {
  const perMs = limit.perMinute / 60_000
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  const buckets = new Map<number, Bucket>()
  return {
    take(key, now) {
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        if (buckets.size >= capacity) buckets.delete(buckets.keys().next().value as number)
        bucket = { tokens: limit.burst, at: now }
      } else {
        bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs)
        bucket.at = now
        buckets.delete(key)
      }
      buckets.set(key, bucket)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return 0
      }
      return Math.ceil((1 - bucket.tokens) / perMs)
    },
    get size() {
      return buckets.size
    },
  }
}

function refuse(reply: FastifyReply, waitMs: number, who: string): FastifyReply {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .send({ errors: [`Too many requests for this ${who}; retry after ${seconds} s`] })
}

/**
 * Registered before the routes; runs at preParsing, after the route's authentication (onRequest), so
 * a bucket belongs to a known key or session and nothing unauthenticated creates one.
 */
export function installRateLimits(app: FastifyInstance, config: RateLimitConfig): void {
  const admin = config.admin.perMinute > 0 ? tokenBuckets(config.admin, config.buckets) : null
  const session = config.session.perMinute > 0 ? tokenBuckets(config.session, config.buckets) : null
  if (admin === null && session === null) return
  app.addHook('preParsing', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    let wait = 0
    let who = ''
    if (admin !== null && request.adminKey !== undefined) {
      wait = admin.take(request.adminKey.id, Date.now())
      who = 'admin key'
    } else if (session !== null && request.session !== undefined) {
      wait = session.take(request.session.id, Date.now())
      who = 'session'
    }
    if (wait > 0) {
      refuse(reply, wait, who)
      return
    }
    done(null, payload)
  })
}
