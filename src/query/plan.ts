// Step two: a syntactic ListQuery + the resource's catalogue → a validated ListPlan in column terms.
// Values are typed here; times in unix seconds become millisecond bounds at second precision.
// Knows neither HTTP nor SQL.
import { ParameterErrors } from '../errors.ts'
import { INT32_MAX, INT32_MIN, isInt32 } from '../int32.ts'
import { OBJECT_ID } from '../object-id.ts'
import { OPS_OF_KIND, type Catalogue, type Field } from './catalogue.ts'
import type { ListQuery, RawCondition } from './parse.ts'

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 100
/** Longest in / nin / all list, and longest string value: explicit, so no request is unbounded. */
export const MAX_LIST = 1000
export const MAX_STRING = 1000
/**
 * Values in all of a request's filters. Every value is a bound parameter of the statements that
 * read the list, and one statement may bind at most 32,766 on SQLite and 65,535 on PostgreSQL (past
 * them: "too many SQL variables", 08P01, a 500). The most a value costs in one WHERE is 5 parameters
 * on SQLite and 3 on PostgreSQL (`extensions[k][ne]=v`: the key is bound with each read of it, the
 * negated test reads it twice, and SQLite's read binds its JSON path twice), and a statement holds
 * the WHERE at most twice on SQLite (a kept count's delta walks two pieces; its correction counts
 * twice, store/counts.ts) and 7 times on PostgreSQL (a page with its total derived in the same
 * statement: the page and up to three count terms of two pieces, store/items.ts togetherStatement).
 * So 3000 × 5 × 2 = 30,000 and 3000 × 3 × 7 = 63,000: under both limits, with room for the few other
 * parameters (limit, skip, positions, bounds: under 50). test/store/bind-limits.test.ts builds those
 * statements at this cap.
 */
export const MAX_VALUES = 3000

export type Value = string | number

/** What a condition applies to: a column, or one key of a JSON object column. */
export interface Target {
  readonly column: string
  readonly jsonKey?: string
}

export type Condition =
  | { readonly test: 'cmp'; readonly target: Target; readonly op: '=' | '<' | '<=' | '>' | '>='; readonly value: Value }
  /** in / nin; a negated test also matches a missing (NULL) value, as ConnectyCube's $ne / $nin do. */
  | { readonly test: 'in'; readonly target: Target; readonly values: readonly Value[]; readonly negate: boolean }
  | { readonly test: 'ctn'; readonly target: Target; readonly value: string }
  /** Time equality: half-open [from, to) millisecond ranges, one per second named. */
  | { readonly test: 'ranges'; readonly target: Target; readonly ranges: ReadonlyArray<readonly [number, number]>; readonly negate: boolean }
  /** JSON array fields: does the array hold any / all / none of the values (of `key` inside each element)? */
  | { readonly test: 'array'; readonly target: Target; readonly key?: string; readonly values: readonly Value[]; readonly mode: 'any' | 'all' | 'none' }

export interface ListPlan {
  readonly conditions: readonly Condition[]
  /** Always total: ties on `column` break by id in the same direction. `nullsLast`: the column may be NULL (catalogue.ts). */
  readonly sort: { readonly column: string; readonly direction: 'asc' | 'desc'; readonly nullsLast?: boolean }
  /** Columns with an index of their own for ordering (the sortable ones): ranges on the others than the sort column are filters, not access paths. */
  readonly orderingColumns: readonly string[]
  readonly limit: number
  readonly skip: number
  readonly count: boolean
}

const INT = /^-?\d{1,15}$/
const TIME = /^\d{1,12}(\.\d{1,9})?$/
const DESCRIBE: Record<Field['kind'], string> = {
  objectid: 'an ObjectId (24 hex characters)',
  time: 'a unix timestamp in seconds (e.g. 1687886581)',
  int: 'an integer',
  int32: `an integer from ${INT32_MIN} to ${INT32_MAX}`,
  string: 'a string',
  int_array: 'an integer',
  object_array: 'a string',
  json_key: 'a string',
}

export function planList(query: ListQuery, catalogue: Catalogue): ListPlan {
  const errors = new ParameterErrors()
  const conditions: Condition[] = []

  const total = query.conditions.reduce((n, c) => n + c.values.length, 0)
  if (total > MAX_VALUES) {
    // Named where the count passes the cap: the first parameter to shorten or drop.
    let seen = 0
    const over = query.conditions.find((c) => (seen += c.values.length) > MAX_VALUES) as RawCondition
    errors.add(over.param, `a request's filters hold at most ${MAX_VALUES} values in all (${MAX_LIST} in one list); these hold ${total}`)
  }

  for (const raw of query.conditions) {
    const field = catalogue.fields[raw.field] as Field
    if (!OPS_OF_KIND[field.kind].includes(raw.op)) {
      errors.add(raw.param, `operator '${raw.op}' does not apply to ${raw.field}; accepted: ${OPS_OF_KIND[field.kind].filter((o) => o !== 'eq').join(', ')}`)
      continue
    }
    if (raw.values.length > MAX_LIST) {
      errors.add(raw.param, `at most ${MAX_LIST} values`)
      continue
    }
    const values = raw.values.map((v) => typeValue(field, v))
    if (values.some((v) => v === null)) {
      errors.add(raw.param, `expected ${DESCRIBE[field.kind]}${raw.values.length > 1 ? ' in each item' : ''}, got ${JSON.stringify(raw.values.join(','))}`)
      continue
    }
    conditions.push(toCondition(field, raw, values as Value[]))
  }

  const sortOf = (field: Field, direction: 'asc' | 'desc'): ListPlan['sort'] => ({ column: field.column, direction, ...(field.nullable ? { nullsLast: true } : {}) })
  let sort = sortOf(catalogue.fields[catalogue.defaultSort.field]!, catalogue.defaultSort.direction)
  if (query.sort) {
    if (!catalogue.sortable.includes(query.sort.field)) {
      errors.add(query.sort.param, `cannot sort by '${query.sort.field}'; sortable: ${catalogue.sortable.join(', ')}`)
    } else {
      sort = sortOf(catalogue.fields[query.sort.field]!, query.sort.direction)
    }
  }

  const limit = naturalNumber(query.limit, 'limit', DEFAULT_LIMIT, 1, errors)
  const skip = naturalNumber(query.skip, 'skip', 0, 0, errors)
  if (query.count !== null && query.count !== '0' && query.count !== '1') errors.add('count', "expected 1 (count only) or 0")
  errors.throwIfAny()

  const orderingColumns = catalogue.sortable.map((f) => catalogue.fields[f]!.column)
  return { conditions, sort, orderingColumns, limit: Math.min(limit, MAX_LIMIT), skip, count: query.count === '1' }
}

function naturalNumber(raw: string | null, name: string, fallback: number, min: number, errors: ParameterErrors): number {
  if (raw === null) return fallback
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= min)) {
    errors.add(name, `expected an integer >= ${min}, got ${JSON.stringify(raw)}`)
    return fallback
  }
  return n
}

function typeValue(field: Field, raw: string): Value | null {
  switch (field.kind) {
    case 'objectid':
      return OBJECT_ID.test(raw) ? raw.toLowerCase() : null
    case 'time':
      return TIME.test(raw) ? Number(raw) : null
    case 'int':
    case 'int_array':
      return INT.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : null
    case 'int32':
      return INT.test(raw) && isInt32(Number(raw)) ? Number(raw) : null
    default:
      return raw.length <= MAX_STRING ? raw : null
  }
}

const CMP = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const

function toCondition(field: Field, raw: RawCondition, values: Value[]): Condition {
  const target: Target = raw.key === undefined ? { column: field.column } : { column: field.column, jsonKey: raw.key }
  const op = raw.op
  if (field.kind === 'int_array' || field.kind === 'object_array') {
    const mode = op === 'all' ? 'all' : op === 'ne' || op === 'nin' ? 'none' : 'any'
    return { test: 'array', target, key: field.key, values, mode }
  }
  if (field.kind === 'time') return timeCondition(target, op, values as number[])
  if (op === 'ctn') return { test: 'ctn', target, value: values[0] as string }
  if (op === 'ne' || op === 'in' || op === 'nin') return { test: 'in', target, values, negate: op !== 'in' }
  return { test: 'cmp', target, op: CMP[op as keyof typeof CMP], value: values[0] as Value }
}

/**
 * A stored time t (ms) is compared at second precision: s = floor(t / 1000) against the given T.
 * s > T ⇔ t ≥ (⌊T⌋+1)·1000; s ≥ T ⇔ t ≥ ⌈T⌉·1000; s < T ⇔ t < ⌈T⌉·1000; s ≤ T ⇔ t < (⌊T⌋+1)·1000.
 * So `1620656869.0` works like `1620656869`, and a fractional T still compares exactly.
 */
function timeCondition(target: Target, op: string, seconds: number[]): Condition {
  const t = seconds[0] as number
  switch (op) {
    case 'gt':
      return { test: 'cmp', target, op: '>=', value: (Math.floor(t) + 1) * 1000 }
    case 'gte':
      return { test: 'cmp', target, op: '>=', value: Math.ceil(t) * 1000 }
    case 'lt':
      return { test: 'cmp', target, op: '<', value: Math.ceil(t) * 1000 }
    case 'lte':
      return { test: 'cmp', target, op: '<', value: (Math.floor(t) + 1) * 1000 }
    default: {
      // eq / ne / in / nin: a whole second matches its 1000 ms; a fractional one matches nothing.
      const ranges = seconds.filter(Number.isInteger).map((s) => [s * 1000, (s + 1) * 1000] as const)
      return { test: 'ranges', target, ranges, negate: op === 'ne' || op === 'nin' }
    }
  }
}
