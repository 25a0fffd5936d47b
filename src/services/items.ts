// The wire item ↔ row mapping, declared once per resource as a list of fields (see dialog-item.ts,
// message-item.ts). One codec serves the Admin API's output, import's input and (later) the chat API,
// so an item imported comes back exactly as it went in: same keys, same values.
import type { Dialect } from '../store/dialect.ts'
import { toJson } from '../store/dialect.ts'
import { ITEM_TEXT, type ItemText } from '../store/item-text.ts'
import { formatTime, objectIdTime, parseTime } from './time.ts'

export type FieldCodec =
  | 'objectid' // 24 hex, lowercase
  | 'time' // ISO text on the wire, ms in the row
  | 'int'
  | 'string'
  | 'bool'
  | 'int_array'
  | 'json' // any JSON value, kept as given
  | 'constant' // not stored: a per-user value that the admin view shows as `value`

export interface FieldSpec {
  readonly name: string
  readonly codec: FieldCodec
  readonly required?: boolean
  /** For 'constant': what the admin view shows. */
  readonly value?: unknown
  /** Allowed values of an int field. */
  readonly oneOf?: readonly number[]
}

export type Item = Record<string, unknown>
export type Row = Record<string, unknown>

const OBJECT_ID = /^[0-9a-fA-F]{24}$/
const column = (name: string): string => (name === '_id' ? 'id' : name)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface ItemCodec {
  readonly fields: readonly FieldSpec[]
  toItem(row: Row, d: Dialect): Item
  /**
   * For rows read as arrays under `columns` (store/row-set.ts), the writer of a row's JSON text:
   * JSON.stringify(toItem(row)) written straight from the values, without building objects,
   * parsing JSON columns or serialising them again (decision 0006); byte for byte the same
   * (test/services/item-json.test.ts).
   */
  textWriter(columns: readonly string[], d: Dialect): (values: readonly unknown[]) => string
  /** The fields and columns for reading a page as ITEM_TEXT, written by the database (store/item-text.ts, decision 0012). */
  readonly itemText: ItemText
  /** A wire item → a row ready to insert, or the reasons it cannot be stored. */
  fromItem(input: unknown): { row: Row } | { errors: string[] }
}

export function itemCodec(fields: readonly FieldSpec[]): ItemCodec {
  const names = new Set(fields.map((f) => f.name))

  function toItem(row: Row, d: Dialect): Item {
    const absent = new Set((d.decodeJson(row.absent) as string[] | null) ?? [])
    const item: Item = {}
    for (const f of fields) {
      if (absent.has(f.name)) continue
      const v = row[column(f.name)]
      switch (f.codec) {
        case 'constant':
          item[f.name] = f.value
          break
        case 'time':
          item[f.name] = formatTime(v as number)
          break
        case 'bool':
          item[f.name] = v === null || v === undefined ? null : Boolean(v)
          break
        case 'int_array':
        case 'json':
          item[f.name] = v === null || v === undefined ? null : d.decodeJson(v)
          break
        default:
          item[f.name] = v ?? null
      }
    }
    const extra = d.decodeJson(row.extra) as Item | null
    // Spread, not assignment: a custom key named __proto__ stays an ordinary key.
    return extra ? { ...item, ...extra } : item
  }

  const itemText: ItemText = {
    fields: fields.map((f) => ({ name: f.name, column: column(f.name), codec: f.codec, value: f.value })),
    columns: [...fields.filter((f) => f.codec !== 'constant').map((f) => column(f.name)), 'extra', 'absent'],
  }

  /** Per list of columns (a statement's), the writer of its rows' JSON text: compiled once. */
  const writersOf = new Map<string, (values: readonly unknown[]) => string>()

  function textWriter(columns: readonly string[], d: Dialect): (values: readonly unknown[]) => string {
    const cacheKey = `${d.name}:${columns.join(',')}`
    let write = writersOf.get(cacheKey)
    if (!write) writersOf.set(cacheKey, (write = columns.includes(ITEM_TEXT) ? textColumnWriter(columns.indexOf(ITEM_TEXT), textWriter(itemText.columns, d)) : compileWriter(fields, columns, d, toItem)))
    return write
  }

  function fromItem(input: unknown): { row: Row } | { errors: string[] } {
    if (!isRecord(input)) return { errors: ['an item must be a JSON object'] }
    const errors: string[] = []
    const row: Row = {}
    const absent: string[] = []
    const extra: Item = {}
    for (const f of fields) {
      if (!Object.hasOwn(input, f.name)) {
        if (f.required) errors.push(`${f.name} is required`)
        else if (f.codec !== 'time') absent.push(f.name)
        continue
      }
      const v = input[f.name]
      const problem = f.codec === 'constant' ? keepConstant(f, v, extra) : store(f, v, row)
      if (problem) errors.push(`${f.name} ${problem}`)
    }
    for (const key of Object.keys(input)) {
      if (!names.has(key)) Object.defineProperty(extra, key, { value: input[key], enumerable: true, writable: true, configurable: true })
    }
    if (errors.length > 0) return { errors }
    // Every column present, so an upsert replaces the whole row.
    for (const f of fields) if (f.codec !== 'constant') row[column(f.name)] ??= null
    const id = row.id as string
    row.created_at ??= objectIdTime(id)
    row.updated_at ??= row.created_at
    row.extra = Object.keys(extra).length > 0 ? toJson(extra) : null
    row.absent = absent.length > 0 ? toJson(absent) : null
    return { row }
  }

  return { fields, toItem, textWriter, itemText, fromItem }
}

/**
 * Rows whose ITEM_TEXT the database wrote: an object is the item's text already; an array is the
 * row's values under itemText.columns, for the writer of rows read as values (store/item-text.ts).
 */
function textColumnWriter(at: number, fromValues: (values: readonly unknown[]) => string): (values: readonly unknown[]) => string {
  return (values) => {
    const text = values[at] as string
    return text.charCodeAt(0) === 0x7b ? text : fromValues(JSON.parse(text) as unknown[])
  }
}

function keepConstant(f: FieldSpec, v: unknown, extra: Item): string | null {
  // A per-user value exported from a user's view is kept as given rather than lost.
  if (v !== f.value) extra[f.name] = v
  return null
}

/** Validates one standard field and puts it in the row; returns what is wrong with it, if anything. */
function store(f: FieldSpec, v: unknown, row: Row): string | null {
  const col = column(f.name)
  if (v === null && !f.required && f.codec !== 'time') {
    row[col] = null
    return null
  }
  switch (f.codec) {
    case 'objectid':
      if (typeof v !== 'string' || !OBJECT_ID.test(v)) return 'must be an ObjectId (24 hex characters)'
      row[col] = v.toLowerCase()
      return null
    case 'time': {
      const ms = typeof v === 'string' ? parseTime(v) : null
      if (ms === null) return 'must be a time like "2022-02-17T11:01:40Z"'
      row[col] = ms
      return null
    }
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 'must be an integer'
      if (f.oneOf && !f.oneOf.includes(v)) return `must be one of ${f.oneOf.join(', ')}`
      row[col] = v
      return null
    case 'string':
      if (typeof v !== 'string') return 'must be a string or null'
      row[col] = v
      return null
    case 'bool':
      if (typeof v !== 'boolean') return 'must be true, false or null'
      row[col] = v ? 1 : 0
      return null
    case 'int_array':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x))) {
        return 'must be an array of integers or null'
      }
      row[col] = toJson(v)
      return null
    default:
      row[col] = toJson(v)
      return null
  }
}

/**
 * The writer of one row's JSON text for rows read under `columns`: a function compiled for these
 * columns, one concatenation of keys and values in toItem's key order, with no per-field branching
 * on codecs at run time. Compiled, not composed of closures: a 100-message page is written in about
 * two thirds of the time (docs/performance.md §6c). Only field names from the codec's own list and
 * column indexes reach the generated source, each as a literal; values are read from the array.
 */
function compileWriter(
  fields: readonly FieldSpec[],
  columns: readonly string[],
  d: Dialect,
  toItem: (row: Row, d: Dialect) => Item,
): (values: readonly unknown[]) => string {
  const constantNames = fields.filter((f) => f.codec === 'constant').map((f) => JSON.stringify(f.name))
  const asRow = (values: readonly unknown[]): Row => Object.fromEntries(columns.map((c, i) => [c, values[i]]))
  const general = (values: readonly unknown[]): string => JSON.stringify(toItem(asRow(values), d))
  const overridesConstant = (extraText: string): boolean => constantNames.some((n) => extraText.includes(n))
  const at = (col: string): string => {
    const i = columns.indexOf(col)
    return i < 0 ? 'undefined' : `v[${i}]`
  }
  const parts = fields.map((f, i) => {
    const lead = JSON.stringify(`${i === 0 ? '' : ','}${JSON.stringify(f.name)}:`)
    if (f.codec === 'constant') return `${lead} + ${JSON.stringify(JSON.stringify(f.value ?? null))}`
    const v = at(column(f.name))
    const text =
      f.codec === 'time' ? `'"' + formatTime(${v}) + '"'`
      : f.codec === 'int' ? `'' + ${v}`
      : f.codec === 'bool' ? `(${v} ? 'true' : 'false')`
      : f.codec === 'int_array' || f.codec === 'json' ? `jsonText(${v})`
      : `JSON.stringify(${v})`
    return `${lead} + (${v} == null ? 'null' : ${text})`
  })
  // Absent keys, and custom keys that override a constant, keep their place in toItem's key order:
  // both are rare (imports), so they take the general path.
  const source = `return function write(v) {
    const extra = ${at('extra')}
    const extraText = extra == null ? null : jsonText(extra)
    if (${at('absent')} != null || (extraText !== null && overridesConstant(extraText))) return general(v)
    const text = '{' + ${parts.join(' + ')}
    return extraText !== null && extraText.length > 2 ? text + ',' + extraText.slice(1, -1) + '}' : text + '}'
  }`
  return new Function('formatTime', 'jsonText', 'general', 'overridesConstant', source)(formatTime, d.jsonColumnText, general, overridesConstant)
}
