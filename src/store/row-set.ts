// Rows as arrays under one list of column names: what the Admin API's pages and the streaming export
// read. Building an object per row is most of what reading a row costs in JavaScript (better-sqlite3:
// 3.1 µs a message row as an object, 1.8 µs as an array, measured at 1M messages), and the rows go
// straight to JSON text (decision 0006), which needs only the values in a known order.
import type { SelectQueryBuilder } from 'kysely'
import { sql } from 'kysely'

export interface RowSet {
  readonly columns: readonly string[]
  readonly values: readonly unknown[][]
}

/**
 * The end of a SELECT's SQL that asks for its rows as arrays. SQLite's connection (connect.ts) puts
 * such a statement in better-sqlite3's raw mode and hands the column names along with the rows;
 * PostgreSQL ignores the comment, and its objects are turned into arrays here.
 */
export const AS_ARRAYS = '/* rows as arrays */'

/** Set by SQLite's connection on rows read as arrays. */
export interface ArrayRows extends Array<unknown[]> {
  columns?: readonly string[]
}

/** The SELECT, asking for its rows as arrays (rowSetOf makes its result a RowSet). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const asArrays = <Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q => query.modifyEnd(sql.raw(AS_ARRAYS)) as Q

/** Rows as SQLite's connection returns them for AS_ARRAYS, or as objects (PostgreSQL). */
export function rowSetOf(rows: unknown[], columns?: readonly string[]): RowSet {
  const arrays = rows as ArrayRows
  if (arrays.columns) return { columns: arrays.columns, values: arrays }
  if (rows.length === 0) return { columns: columns ?? [], values: [] }
  const names = columns ?? Object.keys(rows[0] as object)
  return { columns: names, values: (rows as Record<string, unknown>[]).map((r) => names.map((k) => r[k])) }
}

export const emptyRowSet: RowSet = { columns: [], values: [] }

/** The value of `column` in the last row, or undefined when there are no rows. */
export function lastValue(set: RowSet, column: string): unknown {
  const last = set.values[set.values.length - 1]
  return last === undefined ? undefined : last[set.columns.indexOf(column)]
}
