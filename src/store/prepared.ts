// PostgreSQL: statements that repeat are prepared once per connection and planned once, with a
// generic plan (decision 0014). Kysely sends each query as an unnamed statement, which PostgreSQL
// parses and plans again every time: for an admin page, one statement of a few CTEs over a table with
// nine indexes, planning took 0.59 ms of a ~2 ms request, longer than running it (0.47 ms).
//
// A generic plan is made without the values, so every statement of the store is written so that its
// one sensible plan does not depend on them: a page orders by an indexed sort key and bounds that key
// itself (query/plan.ts, implied bounds), a count's pieces are LIMITed walks of one index, and the
// change log is read from a position through its xid index (dialect.ts changedAfter) — the reads
// that once made a generic plan scan a whole freshly imported log.
import type pg from 'pg'
import type { PostgresPool, PostgresPoolClient } from 'kysely'

/** The session setting that goes with prepared statements (pg's `options`). */
export const GENERIC_PLANS = '-c plan_cache_mode=force_generic_plan'

/** Gives SQL texts their statement names (statementNames). */
export type NameOf = (text: string) => string | undefined

/**
 * Names for SQL texts, shared by every connection of the process. A text is named on its second
 * sighting, so one-off statements (DDL, a chat request's IN list of a rare length) stay unnamed; at
 * most `limit` texts are named, which bounds what each connection keeps on the server.
 */
export function statementNames(limit = 256): NameOf {
  const names = new Map<string, string>()
  // Bounded too: cleared rather than grown when a process sees many one-off texts.
  const seen = new Set<string>()
  return (text) => {
    const name = names.get(text)
    if (name !== undefined || names.size >= limit) return name
    if (!seen.has(text)) {
      if (seen.size >= 4096) seen.clear()
      seen.add(text)
      return undefined
    }
    seen.delete(text)
    const fresh = `parley_${names.size}`
    names.set(text, fresh)
    return fresh
  }
}

/** The pool, handing out clients whose repeated statements with parameters are named. */
export function preparingPool(pool: pg.Pool, nameOf = statementNames()): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  return {
    async connect() {
      const client = await pool.connect()
      let wrapped = clients.get(client)
      if (!wrapped) clients.set(client, (wrapped = preparing(client, nameOf)))
      return wrapped
    },
    end: () => pool.end(),
  }
}

function preparing(client: pg.PoolClient, nameOf: NameOf): PostgresPoolClient {
  // Set when a named statement's result columns changed under it (another process's migration added
  // a column): the connection keeps the stale statement, so it is closed rather than pooled again.
  let stale = false
  const run = async (text: string, values: unknown[]) => {
    // Without parameters a text may hold several statements, which only the simple protocol runs.
    const name = values.length === 0 ? undefined : nameOf(text)
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
