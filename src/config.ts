// One typed, frozen configuration, built from the environment and CLI flags. Flags win over the
// environment; a bad value stops the program with a message naming it, never a silent default.
import type { ParamLimits } from './http/params.ts'
import { MAX_LIST } from './query/plan.ts'

export interface StoreConfig {
  /** SQLite file (the embedded default); ignored when `databaseUrl` is set. */
  readonly dbFile: string
  /** postgres://… switches the store to PostgreSQL. */
  readonly databaseUrl: string | null
  /** PostgreSQL pool size, per process. */
  readonly poolSize: number
  /** PostgreSQL statement_timeout in ms (0: none), so no query can hold the database. */
  readonly statementTimeout: number
  /** PostgreSQL: repeated statements prepared on each connection with generic plans (store/prepared.ts); off behind a pooler that cannot keep them. */
  readonly preparedStatements: boolean
  /** SQLite: tables of at least this many rows count from scratch on a thread of their own (store/count-thread.ts); 0: never. */
  readonly countThreadRows: number
}

/** The request parameters' bounds (bodyLimit, parameterLimit, …) are ParamLimits, which the HTTP layer reads. */
export interface ServerConfig extends ParamLimits {
  readonly host: string
  readonly port: number
  readonly logLevel: string
  /** Largest request head (request line + headers) in bytes; over it: 431. */
  readonly maxHeaderSize: number
  /** Time to receive a whole request (head and body), in ms; 0: none. Sending the response is not bounded. */
  readonly requestTimeout: number
  /** Time to receive the request head, in ms. */
  readonly headersTimeout: number
  /** An idle keep-alive connection is closed after this many ms. */
  readonly keepAliveTimeout: number
  /** A socket with no traffic either way is closed after this many ms; 0: never (a paused export reader stays). */
  readonly connectionTimeout: number
  /** On SIGTERM/SIGINT, how long in-flight requests may take to finish before the process exits anyway. */
  readonly shutdownTimeout: number
  /** On SIGTERM, how long /ready answers 503 while requests are still served, before draining starts (docs/operations.md). */
  readonly drainDelay: number
  /** A bearer token that may read /metrics besides an admin key; null: only an admin key. */
  readonly metricsToken: string | null
  /** Prepare the next page of an admin export loop while its client reads the current one (services/next-page.ts). */
  readonly prefetchPages: boolean
  /** `parley serve` lets V8's old generation grow this many percent over what survived its last full collection; 0: V8's own sizing (up to four times that). */
  readonly heapGrowthPercent: number
}

export interface ChatConfig {
  /** The application's auth key (CB-AuthKey); null: the one stored in the database, generated on first start. */
  readonly authKey: string | null
  /** POST /session with an unknown login or email signs the user up; off by default (the spec's advice). */
  readonly sessionCreatesUsers: boolean
}

/** A token bucket: `perMinute` requests on average, up to `burst` at once; perMinute 0: no limit. */
export interface RateLimit {
  readonly perMinute: number
  readonly burst: number
}

export interface RateLimitConfig {
  /** Per admin key. */
  readonly admin: RateLimit
  /** Per session (CB-Token). */
  readonly session: RateLimit
  /** Buckets kept per process; past it the least recently used is dropped (it restarts full). */
  readonly buckets: number
}

export interface Config {
  readonly store: StoreConfig
  readonly server: ServerConfig
  readonly rateLimit: RateLimitConfig
  readonly chat: ChatConfig
}

export interface Flags {
  db?: string
  databaseUrl?: string
  host?: string
  port?: string | number
  logLevel?: string
  authKey?: string
}

type Env = Record<string, string | undefined>

function integer(name: string, raw: string | number | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback
  const n = typeof raw === 'number' ? raw : Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  }
  return n
}

function boolean(name: string, raw: string | undefined, fallback = false): boolean {
  if (raw === undefined || raw === '') return fallback
  if (raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new Error(`${name} must be 1/true or 0/false, got ${JSON.stringify(raw)}`)
}

function rateLimit(env: Env, name: string, perMinute: number, burst: number): RateLimit {
  const rate = integer(`PARLEY_RATE_LIMIT_${name}`, env[`PARLEY_RATE_LIMIT_${name}`], perMinute, 0, 10_000_000)
  return Object.freeze({ perMinute: rate, burst: integer(`PARLEY_RATE_LIMIT_${name}_BURST`, env[`PARLEY_RATE_LIMIT_${name}_BURST`], burst, 1, 10_000_000) })
}

function timeouts(env: Env) {
  const requestTimeout = integer('PARLEY_REQUEST_TIMEOUT', env.PARLEY_REQUEST_TIMEOUT, 60_000, 0, 3_600_000)
  const headersTimeout = integer('PARLEY_HEADERS_TIMEOUT', env.PARLEY_HEADERS_TIMEOUT, Math.min(30_000, requestTimeout || 30_000), 1, 3_600_000)
  // Node refuses a head timeout longer than the whole-request one.
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    throw new Error(`PARLEY_HEADERS_TIMEOUT (${headersTimeout}) must not be over PARLEY_REQUEST_TIMEOUT (${requestTimeout})`)
  }
  return {
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: integer('PARLEY_KEEP_ALIVE_TIMEOUT', env.PARLEY_KEEP_ALIVE_TIMEOUT, 72_000, 1, 3_600_000),
    connectionTimeout: integer('PARLEY_CONNECTION_TIMEOUT', env.PARLEY_CONNECTION_TIMEOUT, 0, 0, 86_400_000),
  }
}

function metricsToken(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null
  if (!/^[\x21-\x7e]{16,200}$/.test(raw)) throw new Error('PARLEY_METRICS_TOKEN must be 16 to 200 printable characters without spaces')
  return raw
}

export function loadConfig(env: Env = process.env, flags: Flags = {}): Config {
  const databaseUrl = flags.databaseUrl ?? env.PARLEY_DATABASE_URL ?? null
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`--database-url must start with postgres:// or postgresql://, got ${JSON.stringify(databaseUrl)}`)
  }
  const authKey = flags.authKey ?? env.PARLEY_AUTH_KEY ?? null
  if (authKey !== null && !/^[\x21-\x7e]{8,200}$/.test(authKey)) {
    throw new Error('--auth-key / PARLEY_AUTH_KEY must be 8 to 200 printable characters without spaces')
  }
  return Object.freeze({
    store: Object.freeze({
      dbFile: flags.db ?? env.PARLEY_DB ?? './data/parley.db',
      databaseUrl,
      poolSize: integer('PARLEY_POOL_SIZE', env.PARLEY_POOL_SIZE, 10, 1, 1000),
      statementTimeout: integer('PARLEY_STATEMENT_TIMEOUT', env.PARLEY_STATEMENT_TIMEOUT, 30_000, 0, 86_400_000),
      preparedStatements: boolean('PARLEY_PREPARED_STATEMENTS', env.PARLEY_PREPARED_STATEMENTS, true),
      countThreadRows: integer('PARLEY_COUNT_THREAD_ROWS', env.PARLEY_COUNT_THREAD_ROWS, 100_000, 0, Number.MAX_SAFE_INTEGER),
    }),
    server: Object.freeze({
      host: flags.host ?? env.PARLEY_HOST ?? '127.0.0.1',
      port: integer('--port', flags.port ?? env.PARLEY_PORT, 8080, 0, 65535),
      logLevel: flags.logLevel ?? env.PARLEY_LOG_LEVEL ?? 'info',
      bodyLimit: integer('PARLEY_BODY_LIMIT', env.PARLEY_BODY_LIMIT, 1024 * 1024, 1024, 1024 * 1024 * 1024),
      parameterLimit: integer('PARLEY_PARAMETER_LIMIT', env.PARLEY_PARAMETER_LIMIT, 1000, 10, 100000),
      shutdownTimeout: integer('PARLEY_SHUTDOWN_TIMEOUT', env.PARLEY_SHUTDOWN_TIMEOUT, 10_000, 0, 600_000),
      drainDelay: integer('PARLEY_DRAIN_DELAY', env.PARLEY_DRAIN_DELAY, 0, 0, 600_000),
      metricsToken: metricsToken(env.PARLEY_METRICS_TOKEN),
      prefetchPages: boolean('PARLEY_PREFETCH_PAGES', env.PARLEY_PREFETCH_PAGES, true),
      heapGrowthPercent: integer('PARLEY_HEAP_GROWTH_PERCENT', env.PARLEY_HEAP_GROWTH_PERCENT, 30, 0, 1000),
      bracketDepth: integer('PARLEY_BRACKET_DEPTH', env.PARLEY_BRACKET_DEPTH, 5, 1, 20),
      arrayLimit: integer('PARLEY_ARRAY_LIMIT', env.PARLEY_ARRAY_LIMIT, 1000, 1, 100_000),
      listLimit: integer('PARLEY_LIST_LIMIT', env.PARLEY_LIST_LIMIT, MAX_LIST, 1, MAX_LIST),
      jsonDepth: integer('PARLEY_JSON_DEPTH', env.PARLEY_JSON_DEPTH, 32, 2, 1000),
      maxHeaderSize: integer('PARLEY_MAX_HEADER_SIZE', env.PARLEY_MAX_HEADER_SIZE, 16 * 1024, 1024, 1024 * 1024),
      ...timeouts(env),
    }),
    // Generous defaults: an admin paging loop at ~1 ms a page, or a chat client's bursts, are not
    // throttled; a runaway script or a leaked key is.
    rateLimit: Object.freeze({
      admin: rateLimit(env, 'ADMIN', 60_000, 2_000),
      session: rateLimit(env, 'SESSION', 6_000, 1_000),
      buckets: integer('PARLEY_RATE_LIMIT_BUCKETS', env.PARLEY_RATE_LIMIT_BUCKETS, 100_000, 100, 10_000_000),
    }),
    chat: Object.freeze({ authKey, sessionCreatesUsers: boolean('PARLEY_SESSION_CREATES_USERS', env.PARLEY_SESSION_CREATES_USERS) }),
  })
}
