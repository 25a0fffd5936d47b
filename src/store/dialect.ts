// The few real differences between SQLite and PostgreSQL, each a named capability with the reason
// it differs. Repositories and the query compiler ask this module instead of testing the dialect.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'
import { postgresItemText, sqliteItemText, type ItemText } from './item-text.ts'

export type DialectName = 'sqlite' | 'postgres'

export interface Dialect {
  readonly name: DialectName
  /** Column types. PostgreSQL compares TEXT by locale unless told otherwise; `_id` order must be byte order. */
  readonly types: {
    id: RawBuilder<unknown>
    bigint: 'integer' | 'bigint'
    json: 'text' | 'jsonb'
    autoId: 'integer' | 'serial'
  }
  /** SELECT … FOR UPDATE exists. SQLite has no row locks: its one writer at a time serialises updates. */
  readonly rowLocks: boolean
  /** Whether a failed statement broke a unique index (a login or email taken by another row meanwhile). */
  isUniqueViolation(error: unknown): boolean
  /**
   * An import's large batches write with no row triggers (store/bulk-load.ts): SQLite's are each
   * connection's own (store/row-triggers.ts, migration 0007), its writers take turns, and its row
   * triggers cost as much as the insert. PostgreSQL's are statement triggers, cheap per row.
   */
  readonly importSkipsRowTriggers: boolean
  /**
   * Each statement is a round trip to a server: a list page and the statement that derives its
   * total are sent as one statement when they can be (store/items.ts), which also reads them in one
   * snapshot without a transaction around them (PostgreSQL). SQLite runs in the process.
   */
  readonly statementsCostRoundTrips: boolean
  /**
   * A value that changes whenever anything is committed to the database, by this connection or any
   * other, read as the first statement of a snapshot (services/next-page.ts). SQLite: its
   * connection's total_changes() and data_version. PostgreSQL: the snapshot itself (xmin, xmax and
   * the transactions in progress), which moves with every commit or abort of a writing transaction
   * in the whole server, so two equal marks mean the same committed data. Null: none that cheap.
   */
  readonly commitMark: RawBuilder<string> | null
  /**
   * A page read as one statement (statementsCostRoundTrips, store/items.ts pageWithDerivedTotal)
   * returns its change position, and that position is the commit mark: a loop page is then prepared
   * ahead by computing it as a request would, with no snapshot around it (services/next-page.ts).
   * PostgreSQL: both are pg_current_snapshot().
   */
  readonly pageStatementReadsCommitMark: boolean
  /**
   * A page of one dialog sorted by _id is also bounded by the dialog's first and last ids
   * (store/items.ts pageQuery). PostgreSQL's cost model takes a dialog's messages to be spread evenly
   * over all ids and otherwise walks the primary key from the newest message of the app. SQLite
   * walks (chat_dialog_id, id) as it should without them, and with them took the dialog's last id,
   * not the page's cursor, as the end of its walk: 3 ms a page of the 200k dialog instead of 0.4.
   */
  readonly boundsDialogPages: boolean
  /**
   * The statement that lets the sorts building an index use `n` helper threads (0: none again), for
   * an import's index build (store/bulk-load.ts); null where the database decides itself. SQLite
   * sorts on the connection's own thread unless PRAGMA threads allows more: at 10M messages the
   * build took 48–52 s that way and 38 s with two (docs/performance.md §6l). PostgreSQL builds
   * B-trees with parallel workers of its own (max_parallel_maintenance_workers).
   */
  readonly sortThreads: ((n: number) => RawBuilder<unknown>) | null
  /**
   * How an import's index build leaves WAL and comes back (store/bulk-load.ts outsideWal, decision
   * 0017); null where there is no WAL to leave. Under WAL every page of a new index is written
   * twice, to the log and then into the file by the checkpoint; with a rollback journal a page past
   * the file's old end needs no journal, and is written once. SQLite leaves WAL only when no other
   * connection has the file open, and otherwise refuses (SQLITE_BUSY) — at once with no busy timeout.
   */
  readonly journalForBuild: {
    readonly busyTimeout: (ms: number) => RawBuilder<unknown>
    /** Out of WAL; throws where another connection has the file open. */
    readonly leave: RawBuilder<unknown>
    /** While out of WAL. */
    readonly during: readonly RawBuilder<unknown>[]
    readonly back: readonly RawBuilder<unknown>[]
  } | null
  /**
   * A row's ITEM_TEXT (store/item-text.ts): SQLite writes the item's JSON object itself where the
   * codec would write the same; PostgreSQL returns the row's values as one JSON array (its jsonb
   * does not print as JSON.stringify does).
   */
  itemText(text: ItemText): RawBuilder<string>
  /** A JSON column value as the driver returns it → a JS value. SQLite gives text; pg parses JSONB itself. */
  decodeJson(value: unknown): unknown
  /** A non-null JSON column value as the driver returns it → JSON text. SQLite's is already text: no parse, no stringify. */
  jsonColumnText(value: unknown): string
  /**
   * The JSON array in `column` holds any / all of `values` (of `key` inside each element, e.g.
   * attachments.type, when given): one test over the array whatever the number of values. A test
   * per value joined by OR / AND nested ~1000 deep for a list of 1000, past SQLite's expression
   * depth, and cost a scan of the array per value and row: seconds a page on SQLite.
   */
  arrayHas(column: string, key: string | undefined, values: readonly (string | number)[], mode: 'any' | 'all'): Expression<SqlBool>
  /** The JSON array in `column` (NULL: empty) with the scalar `value` appended, for UPDATE … SET. */
  arrayAppend(column: string, value: number): Expression<unknown>
  /** The string value of `key` in the JSON object in `column` (dialog extensions). */
  jsonText(column: string, key: string): Expression<string | null>
  /**
   * The expression, hidden from index selection. SQLite plans without statistics and may walk an
   * index for a range on one column and then sort the matches by another; hiding the other ranges
   * makes it walk the sort column's index in order and stop after one page. PostgreSQL's planner
   * chose a dialog's (chat_dialog_id, updated_at) and a sort over the bounded ordered walk, so it is
   * steered the same way (decision 0003).
   */
  noIndex(expr: Expression<unknown>): Expression<unknown>
  /**
   * Whether a page's `_id` range stays plain while another column's index is walked. Every walk's
   * index ends with id, so PostgreSQL checks a plain `id < X` on the index entry; hidden, it was a
   * filter after fetching each row (1,064 rows fetched and dropped for one dialogs page at 1M).
   * SQLite checks `+id` on the index entry too (it seeks the row only when it needs another column).
   */
  readonly idPlainOnWalks: boolean
  /** Case-sensitive substring test: SQLite's LIKE ignores ASCII case, so neither engine uses LIKE. */
  contains(expr: Expression<unknown>, value: string): Expression<SqlBool>

  // Change positions, for kept counts (store/counts.ts, docs/performance.md). A position is text.
  /**
   * Where the change log `log` stands, to be read in the same statement as a count. SQLite has one
   * writer at a time, so the last seq handed out is a consistent cut; PostgreSQL hands out sequence
   * numbers in an order that is not commit order, so there the position is the snapshot itself.
   */
  changePosition(log: string): Expression<string>
  /** The log row in FROM is a change that a count at `position` did not see: seq after it, or a transaction invisible to that snapshot. */
  changedAfter(position: string): Expression<SqlBool>
  /** A mark for pruning: every change up to it is settled. SQLite: the last seq; PostgreSQL: the current snapshot's xmin (every older transaction has ended). */
  pruneMark(log: string): Expression<string>
  /** The log row in FROM is covered by prune mark `mark`: seq <= mark (SQLite), xid < mark (PostgreSQL). */
  prunedBy(mark: string): Expression<SqlBool>
  /** change_log_cut.cut moved up to `mark` (never down). */
  advancedCut(mark: string): Expression<unknown>
  /** Every change after `position` is still in the log, given change_log_cut.cut `cut` (pruning removed only changes that position saw). */
  keepsChangesAfter(position: string, cut: Expression<unknown>): Expression<SqlBool>
}

const encode = (value: unknown): string => JSON.stringify(value)

/** How long a SQLite statement waits for a lock another connection holds (store/connect.ts). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000

/**
 * A SQLite change log's last seq: AUTOINCREMENT keeps the largest ever handed out in
 * sqlite_sequence, pruned or not. The log's name is written in: a key of the statements compiled
 * once fixes it (store/compiled.ts takes only the request's values as parameters).
 */
const lastSeq = (log: string) => sql<string>`cast(coalesce((select seq from sqlite_sequence where name = ${sql.lit(log)}), 0) as text)`

const errorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  types: { id: sql`text`, bigint: 'integer', json: 'text', autoId: 'integer' },
  rowLocks: false,
  // better-sqlite3's SqliteError carries SQLite's extended result code.
  isUniqueViolation: (error) => errorCode(error) === 'SQLITE_CONSTRAINT_UNIQUE',
  importSkipsRowTriggers: true,
  statementsCostRoundTrips: false,
  pageStatementReadsCommitMark: false,
  // sqlite_master is read so that the statement starts the snapshot (SQLite's begins at a first read).
  commitMark: sql<string>`total_changes() || ':' || (select data_version from pragma_data_version) || ':' || (select count(*) from (select 1 from sqlite_master limit 1))`,
  boundsDialogPages: false,
  // A PRAGMA takes no bound parameters: the count is a whole number, written in.
  sortThreads: (n) => sql.raw(`pragma threads = ${Math.max(0, Math.trunc(n))}`),
  journalForBuild: {
    busyTimeout: (ms) => sql.raw(`pragma busy_timeout = ${Math.max(0, Math.trunc(ms))}`),
    leave: sql.raw('pragma journal_mode = DELETE'),
    // FULL while out of WAL: NORMAL with a rollback journal may lose the file, not only its last
    // transactions, to a power failure at the wrong moment.
    during: [sql.raw('pragma synchronous = FULL')],
    back: [sql.raw('pragma journal_mode = WAL'), sql.raw('pragma synchronous = NORMAL')],
  },
  itemText: sqliteItemText,
  decodeJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  jsonColumnText: (value) => (typeof value === 'string' ? value : encode(value)),
  arrayHas: (column, key, values, mode) => {
    const element = key === undefined ? sql`json_each.value` : sql`json_extract(json_each.value, ${'$.' + JSON.stringify(key)})`
    const list = sql`(${sql.join(values)})`
    if (mode === 'any') return sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}) where ${element} in ${list})`
    // All: as many distinct elements among the values as there are distinct values.
    const distinct = new Set(values).size
    return sql<SqlBool>`(select count(distinct ${element}) from json_each(${sql.ref(column)}) where ${element} in ${list}) = ${distinct}`
  },
  // cast: better-sqlite3 binds a JS number as a REAL, which json_insert would write as 5.0.
  arrayAppend: (column, value) => sql`json_insert(coalesce(${sql.ref(column)}, '[]'), '$[#]', cast(${value} as integer))`,
  // As text, like PostgreSQL's ->>: json_extract would give 5 (not '5') for a number and 1 for true.
  jsonText: (column, key) => {
    const path = '$.' + JSON.stringify(key)
    const col = sql.ref(column)
    return sql<string | null>`(case json_type(${col}, ${path}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${col}, ${path}) as text) end)`
  },
  noIndex: (expr) => sql`+${expr}`,
  idPlainOnWalks: false,
  contains: (expr, value) => sql<SqlBool>`instr(${expr}, ${value}) > 0`,
  changePosition: (log) => lastSeq(log),
  changedAfter: (position) => sql<SqlBool>`seq > cast(${position} as integer)`,
  pruneMark: (log) => lastSeq(log),
  prunedBy: (mark) => sql<SqlBool>`seq <= cast(${mark} as integer)`,
  advancedCut: (mark) => sql`max(cut, cast(${mark} as integer))`,
  keepsChangesAfter: (position, cut) => sql<SqlBool>`cast(${position} as integer) >= ${cut}`,
}

/**
 * PostgreSQL's commit mark and change position are one value: the statement's snapshot (the
 * transaction's in REPEATABLE READ), which moves with every commit or abort of a writing transaction.
 */
const postgresSnapshot = sql<string>`pg_current_snapshot()::text`

export const postgresDialect: Dialect = {
  name: 'postgres',
  types: { id: sql`text collate "C"`, bigint: 'bigint', json: 'jsonb', autoId: 'serial' },
  rowLocks: true,
  isUniqueViolation: (error) => errorCode(error) === '23505',
  importSkipsRowTriggers: false,
  statementsCostRoundTrips: true,
  pageStatementReadsCommitMark: true,
  commitMark: postgresSnapshot,
  boundsDialogPages: true,
  sortThreads: null,
  journalForBuild: null,
  itemText: postgresItemText,
  decodeJson: (value) => value,
  jsonColumnText: (value) => encode(value),
  // Containment: `[a, b]` is contained when each of a and b is; any of them, when one of the
  // one-element arrays is (one parameter, a jsonb[], whatever the number of values).
  arrayHas: (column, key, values, mode) => {
    const elements = values.map((v) => (key === undefined ? v : { [key]: v }))
    return mode === 'all' || elements.length === 1
      ? sql<SqlBool>`${sql.ref(column)} @> ${encode(elements)}::jsonb`
      : sql<SqlBool>`${sql.ref(column)} @> any(${elements.map((e) => encode([e]))}::jsonb[])`
  },
  // jsonb_build_array, not a cast of the bound text: the value stays a JSON number.
  arrayAppend: (column, value) => sql`coalesce(${sql.ref(column)}, '[]'::jsonb) || jsonb_build_array(${value}::bigint)`,
  jsonText: (column, key) => sql<string | null>`${sql.ref(column)} ->> ${key}`,
  // Any type (coalesce of a value with itself is the value); PostgreSQL does not look through it to
  // an index. Its cost model chose (chat_dialog_id, updated_at) and a sort of 200k matches over the
  // bounded walk of (chat_dialog_id, id) at 1M (73 ms against 1.6 ms): with implied bounds
  // (query/implied.ts) the walk is the better plan here too (decision 0003).
  noIndex: (expr) => sql`coalesce(${expr}, ${expr})`,
  idPlainOnWalks: true,
  contains: (expr, value) => sql<SqlBool>`strpos(${expr}, ${value}) > 0`,
  changePosition: () => postgresSnapshot,
  // Every xid below the snapshot's xmin is visible to it: the xid index serves the first term. The
  // second is always true, and is there for a plan made without the values (store/prepared.ts): a
  // lone `xid >= $n` is guessed to match a third of the log, and the plan scanned all of a freshly
  // imported one (166 ms at 1M) to find nothing; with an upper bound beside it the guess is a range
  // (0.5 %), and the plan walks the xid index from the position.
  changedAfter: (position) =>
    sql<SqlBool>`(xid >= pg_snapshot_xmin(cast(${position} as pg_snapshot)) and xid <= '18446744073709551615'::xid8 and not pg_visible_in_snapshot(xid, cast(${position} as pg_snapshot)))`,
  pruneMark: () => sql<string>`pg_snapshot_xmin(pg_current_snapshot())::text`,
  prunedBy: (mark) => sql<SqlBool>`xid < cast(${mark} as xid8)`,
  advancedCut: (mark) => sql`greatest(cut, cast(${mark} as xid8))`,
  // Pruned: xid < cut. A snapshot sees every xid below its xmin, so cut <= xmin means it saw them all.
  keepsChangesAfter: (position, cut) => sql<SqlBool>`${cut} <= pg_snapshot_xmin(cast(${position} as pg_snapshot))`,
}

/** JSON text for a JSON column, or SQL NULL for a missing/null value. */
export const toJson = (value: unknown): string | null => (value === undefined || value === null ? null : encode(value))
