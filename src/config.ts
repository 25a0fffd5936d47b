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
}

export interface Config {
  readonly store: StoreConfig
  readonly server: ServerConfig
}

export interface Flags {
  db?: string
  databaseUrl?: string
  host?: string
  port?: string | number
  logLevel?: string
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

export function loadConfig(env: Env = process.env, flags: Flags = {}): Config {
  const databaseUrl = flags.databaseUrl ?? env.PARLEY_DATABASE_URL ?? null
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`--database-url must start with postgres:// or postgresql://, got ${JSON.stringify(databaseUrl)}`)
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
    }),
  })
}
