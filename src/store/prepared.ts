// PostgreSQL: statements that repeat are prepared once per connection and kept with a generic plan
// (decision 0014). Kysely sends each query as an unnamed statement, which PostgreSQL parses and
// plans again every time: for an admin page, one statement of a few CTEs over a table with nine
// indexes, planning took 0.59 ms of a ~2 ms request, longer than running it (0.47 ms). A named
// statement is parsed once per connection, and under plan_cache_mode = force_generic_plan planned
// once too. The generic plan is safe for the store's statements because each page names its walk:
// it orders by an indexed sort key and bounds that key itself (query/plan.ts, implied bounds), so
// there is one sensible plan whatever the values.
import type pg from 'pg'
import type { PostgresPool, PostgresPoolClient } from 'kysely'

/** The session setting that goes with prepared statements (pg's `options`). */
export const GENERIC_PLANS = '-c plan_cache_mode=force_generic_plan'

/**
 * Names for SQL texts, shared by every connection of the process. A text is named on its second
 * sighting, so one-off statements (DDL, a chat request's IN list of a rare length) stay unnamed; at
 * most NAMES texts are named, which bounds what each connection keeps on the server.
 */
export class StatementNames {
  private readonly names = new Map<string, string>()
  private readonly seen = new Set<string>()

  constructor(private readonly limit = NAMES) {}

  nameOf(text: string): string | undefined {
    const name = this.names.get(text)
    if (name !== undefined || this.names.size >= this.limit) return name
    if (!this.seen.has(text)) {
      // Bounded too: cleared rather than grown when a process sees many one-off texts.
      if (this.seen.size >= SEEN) this.seen.clear()
      this.seen.add(text)
      return undefined
    }
    this.seen.delete(text)
    const fresh = `parley_${this.names.size}`
    this.names.set(text, fresh)
    return fresh
  }

  get size(): number {
    return this.names.size
  }
}

const NAMES = 256
const SEEN = 4096

/** The pool, handing out clients whose repeated statements with parameters are named. */
export function preparingPool(pool: pg.Pool, names = new StatementNames()): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  return {
    async connect() {
      const client = await pool.connect()
      let wrapped = clients.get(client)
      if (!wrapped) clients.set(client, (wrapped = preparing(client, names)))
      return wrapped
    },
    end: () => pool.end(),
  }
}

function preparing(client: pg.PoolClient, names: StatementNames): PostgresPoolClient {
  // Set when a named statement's result columns changed under it (another process's migration added
  // a column): the connection keeps the stale statement, so it is closed rather than pooled again.
  let stale = false
  const run = async (text: string, values: unknown[]) => {
    // Without parameters a text may hold several statements, which only the simple protocol runs.
    const name = values.length === 0 ? undefined : names.nameOf(text)
    if (name === undefined) return client.query(text, values)
    try {
      return await client.query({ name, text, values })
    } catch (error) {
      if ((error as { code?: string }).code === '0A000') stale = true
      throw error
    }
  }
  // Kysely's two calls: a statement with its parameters, or a cursor (the streaming export).
  const query = (q: unknown, values?: unknown[]): unknown => (typeof q === 'string' ? run(q, values ?? []) : client.query(q as pg.Submittable))
  return {
    query: query as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy === true || stale),
  }
}
