// The few real differences between SQLite and PostgreSQL, each a named capability with the reason
// it differs. Repositories and the query compiler ask this module instead of testing the dialect.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'

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
  /** A JSON column value as the driver returns it → a JS value. SQLite gives text; pg parses JSONB itself. */
  decodeJson(value: unknown): unknown
  /** The JSON array in `column` contains the scalar `value`. */
  arrayContains(column: string, value: string | number): Expression<SqlBool>
  /** The JSON array of objects in `column` has an element whose `key` equals `value` (attachments.type). */
  arrayHasObjectWith(column: string, key: string, value: string): Expression<SqlBool>
  /** The string value of `key` in the JSON object in `column` (dialog extensions). */
  jsonText(column: string, key: string): Expression<string | null>
  /**
   * The expression, hidden from index selection. SQLite plans without statistics and may walk an
   * index for a range on one column and then sort the matches by another; hiding the other ranges
   * makes it walk the sort column's index in order and stop after one page. PostgreSQL's cost-based
   * planner chooses well from its statistics, so it gets the plain expression.
   */
  noIndex(expr: Expression<unknown>): Expression<unknown>
  /** Case-sensitive substring test: SQLite's LIKE ignores ASCII case, so neither engine uses LIKE. */
  contains(expr: Expression<unknown>, value: string): Expression<SqlBool>
}

const encode = (value: unknown): string => JSON.stringify(value)

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  types: { id: sql`text`, bigint: 'integer', json: 'text', autoId: 'integer' },
  rowLocks: false,
  decodeJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  arrayContains: (column, value) =>
    sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}) where json_each.value = ${value})`,
  arrayHasObjectWith: (column, key, value) =>
    sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}) where json_extract(json_each.value, ${'$.' + JSON.stringify(key)}) = ${value})`,
  // As text, like PostgreSQL's ->>: json_extract would give 5 (not '5') for a number and 1 for true.
  jsonText: (column, key) => {
    const path = '$.' + JSON.stringify(key)
    const col = sql.ref(column)
    return sql<string | null>`(case json_type(${col}, ${path}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${col}, ${path}) as text) end)`
  },
  noIndex: (expr) => sql`+${expr}`,
  contains: (expr, value) => sql<SqlBool>`instr(${expr}, ${value}) > 0`,
}

export const postgresDialect: Dialect = {
  name: 'postgres',
  types: { id: sql`text collate "C"`, bigint: 'bigint', json: 'jsonb', autoId: 'serial' },
  rowLocks: true,
  decodeJson: (value) => value,
  arrayContains: (column, value) => sql<SqlBool>`${sql.ref(column)} @> ${encode([value])}::jsonb`,
  arrayHasObjectWith: (column, key, value) =>
    sql<SqlBool>`${sql.ref(column)} @> ${encode([{ [key]: value }])}::jsonb`,
  jsonText: (column, key) => sql<string | null>`${sql.ref(column)} ->> ${key}`,
  noIndex: (expr) => expr,
  contains: (expr, value) => sql<SqlBool>`strpos(${expr}, ${value}) > 0`,
}

/** JSON text for a JSON column, or SQL NULL for a missing/null value. */
export const toJson = (value: unknown): string | null => (value === undefined || value === null ? null : encode(value))
