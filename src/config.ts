// One typed, frozen configuration, built from the environment and CLI flags. Flags win over the
// environment; a bad value stops the program with a message naming it, never a silent default.

export interface StoreConfig {
  /** SQLite file (the embedded default); ignored when `databaseUrl` is set. */
  readonly dbFile: string
  /** postgres://… switches the store to PostgreSQL. */
  readonly databaseUrl: string | null
  /** PostgreSQL pool size, per process. */
  readonly poolSize: number
  /** PostgreSQL statement_timeout in ms (0: none), so no query can hold the database. */
  readonly statementTimeout: number
}

export interface ServerConfig {
  readonly host: string
  readonly port: number
  readonly logLevel: string
  /** Largest request body accepted, in bytes (GET bodies included). */
  readonly bodyLimit: number
  /** Most query/body parameters accepted in one request. */
  readonly parameterLimit: number
  /** On SIGTERM/SIGINT, how long in-flight requests may take to finish before the process exits anyway. */
  readonly shutdownTimeout: number
  /** On SIGTERM, how long /ready answers 503 while requests are still served, before draining starts (docs/operations.md). */
  readonly drainDelay: number
  /** A bearer token that may read /metrics besides an admin key; null: only an admin key. */
  readonly metricsToken: string | null
}

export interface ChatConfig {
  /** The application's auth key (CB-AuthKey); null: the one stored in the database, generated on first start. */
  readonly authKey: string | null
  /** POST /session with an unknown login or email signs the user up; off by default (the spec's advice). */
  readonly sessionCreatesUsers: boolean
}

export interface Config {
  readonly store: StoreConfig
  readonly server: ServerConfig
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

function boolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new Error(`${name} must be 1/true or 0/false, got ${JSON.stringify(raw)}`)
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
    }),
    chat: Object.freeze({ authKey, sessionCreatesUsers: boolean('PARLEY_SESSION_CREATES_USERS', env.PARLEY_SESSION_CREATES_USERS) }),
  })
}
