// Queries compiled once per shape (decision 0011). Kysely builds every query as a tree of frozen
// nodes and compiles it to SQL text on every call: 10–25 µs a query, and a page's request runs four
// to six (the key, the skews, the page, its total, the commit marks) — about a tenth of its server
// time (CPU profile, 1M messages, docs/performance.md §6g). Most of them have a handful of shapes
// whose text never changes, only their values: those are built and compiled once, with a
// placeholder for each value, and then run from the kept text with the values in the order the
// placeholders took.
import { CompiledQuery, type Compilable, type RawBuilder } from 'kysely'
import type { Store } from './connect.ts'

interface Shape {
  readonly sql: string
  /** The i-th parameter of the text is values[order[i]]. */
  readonly order: readonly number[]
}

/** A query builder's or a sql`…` template's query. */
type Query = Compilable | RawBuilder<unknown>

/** Shapes kept per dialect and key; the least recently used go past this many (keys are the caller's, so bounded here). */
const KEEP = 512
const shapes = new Map<string, Shape>()

/** Stands for the i-th value while a shape is compiled: a string no value of ours can be. */
const placeholder = (i: number): string => `\u0000parley-value-${i}\u0000`

/**
 * `build(values)`'s query, compiled once per dialect and `key`. The key must name everything the
 * build's text depends on besides the values themselves (which conditions, which operators, how many
 * values in a list); the build must hand each value to Kysely as a parameter, unchanged. Where it
 * does not — a value transformed, inlined into the text, or dropped — the first compile of that
 * shape throws, so such a build fails its tests instead of running with wrong values.
 */
export function compiledOnce(store: Store, key: string, values: readonly unknown[], build: (values: readonly unknown[]) => Query): CompiledQuery {
  const name = `${store.dialect.name}|${key}`
  let shape = shapes.get(name)
  if (shape) {
    shapes.delete(name)
  } else {
    shape = shapeOf(name, values.length, (marks) => compiled(store, build(marks)))
    if (shapes.size >= KEEP) shapes.delete(shapes.keys().next().value as string)
  }
  shapes.set(name, shape)
  return CompiledQuery.raw(shape.sql, shape.order.map((i) => values[i]))
}

/**
 * A query given as its shape, to be compiled once (compiledOnce) by whoever runs it, perhaps inside
 * a larger statement: `build(values)` is the query, and `direct()` the same query built from the
 * request itself. A null key says its text depends on the values too (a value of an unusual kind
 * took another form): then only direct() builds it, and it is compiled every time.
 */
export interface Shaped<Q extends Query = Query> {
  readonly key: string | null
  readonly values: readonly unknown[]
  build(values: readonly unknown[]): Q
  direct(): Q
}

/** A shaped query, compiled once per shape where it has one. */
export const compiledShape = (store: Store, query: Shaped): CompiledQuery =>
  query.key === null ? compiled(store, query.direct()) : compiledOnce(store, query.key, query.values, query.build)

const compiled = (store: Store, query: Query): CompiledQuery => ('isRawBuilder' in query ? query.compile(store.db) : query.compile())

function shapeOf(name: string, count: number, compile: (values: readonly unknown[]) => CompiledQuery): Shape {
  const marks = Array.from({ length: count }, (_, i) => placeholder(i))
  const { sql, parameters } = compile(marks)
  // By a map: an import's statement has thousands of values.
  const indexOf = new Map(marks.map((m, i) => [m, i]))
  const order = parameters.map((p) => indexOf.get(p as string) ?? -1)
  if (order.includes(-1) || sql.includes('\u0000') || new Set(order).size !== count) {
    throw new Error(`query shape ${name}: every value must be one parameter, as given (values ${count}, parameters ${parameters.length})`)
  }
  return { sql, order }
}

/** Rows in one multi-row statement: under SQLite's and PostgreSQL's bound-parameter limits with every column of an item. */
const MAX_ROWS = 500

/**
 * Rows for the next statement of a multi-row write when `left` remain: MAX_ROWS, else the largest
 * power of two. A batch's last statement would otherwise have a length of its own, and every length
 * is a text of its own: compiled and kept by each SQLite connection (store/connect.ts keeps 256),
 * and on PostgreSQL prepared on every connection, at most 256 texts a process (store/prepared.ts).
 * Batches cut by bytes, as a parallel import's are, made a new one nearly every time, each holding
 * the compiled program of a few hundred rows, and memory grew with the import; the audit log's
 * batches took 56 of PostgreSQL's names in a 30 s burst. So there are at most 10 texts per table
 * and column list.
 */
export function rowsPerStatement(left: number): number {
  if (left >= MAX_ROWS) return MAX_ROWS
  return 2 ** Math.floor(Math.log2(left))
}
