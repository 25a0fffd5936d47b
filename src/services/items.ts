// The wire item ↔ row mapping, declared once per resource as a list of fields (see dialog-item.ts,
// message-item.ts). One codec serves the Admin API's output, import's input and (later) the chat API,
// so an item imported comes back exactly as it went in: same keys, same values.
import type { Dialect } from '../store/dialect.ts'
import { toJson } from '../store/dialect.ts'
import { ITEM_TEXT, type ItemText } from '../store/item-text.ts'
import { formatTime, parseTime } from './time.ts'
import { INT32_MAX, INT32_MIN } from '../int32.ts'
import { NOT_AN_OBJECT_ID, OBJECT_ID, objectIdTime } from '../object-id.ts'

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
  /** An int field whose column is 32-bit on PostgreSQL (src/int32.ts): a wider value is refused, not a failed batch there. */
  readonly int32?: boolean
}

export type Item = Record<string, unknown>
export type Row = Record<string, unknown>

const column = (name: string): string => (name === '_id' ? 'id' : name)

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

  const fromItem = compileReader(fields)

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

/**
 * The reader of wire items for `fields`: fromItem, compiled once per codec, as compileWriter is. An
 * import calls it for every item: a loop over the fields with a switch per codec took 2.3 µs a
 * message, this 1.0 µs (docs/performance.md §6s). The generated function checks each field in the
 * codec's order with no branching on codecs, and builds every row from one literal holding every
 * column (so that an upsert replaces the whole row), all rows one shape of object for the
 * statements' flattening. Only field names and column names from the codec's own list reach the
 * source, each as a JSON literal; values are read from the input.
 *
 * Custom keys: an input whose own enumerable keys are all fields (the usual case) is not walked a
 * second time. A key is found present with Object.hasOwn, as a custom key is with Object.keys;
 * items come from JSON.parse or qs, whose keys are all enumerable.
 */
function compileReader(fields: readonly FieldSpec[]): ItemCodec['fromItem'] {
  const lit = (value: unknown): string => JSON.stringify(value)
  const columns = fields.filter((f) => f.codec !== 'constant').map((f) => column(f.name))
  const checks = fields.map((f, i) => {
    const name = lit(f.name)
    const col = `row[${lit(column(f.name))}]`
    const fail = (problem: string): string => `(errors ??= []).push(${lit(`${f.name} ${problem}`)})`
    const missing = f.required ? fail('is required') : f.codec === 'time' ? '' : `(absent ??= []).push(${name})`
    // A null optional field other than a time is stored as null: the row starts with nulls.
    const nullable = !f.required && f.codec !== 'time' && f.codec !== 'constant'
    // A per-user constant given as another value (exported from a user's view) is kept as a custom key.
    const check =
      f.codec === 'constant' ? `if (v !== constants[${i}]) extra = custom(extra, ${name}, v)`
      : f.codec === 'objectid' ? `if (typeof v === 'string' && OBJECT_ID.test(v)) ${col} = v.toLowerCase(); else ${fail(NOT_AN_OBJECT_ID)}`
      : f.codec === 'time' ? `t = typeof v === 'string' ? parseTime(v) : null; if (t !== null) ${col} = t; else ${fail('must be a time like "2022-02-17T11:01:40Z"')}`
      : f.codec === 'int' ? `if (typeof v !== 'number' || !Number.isSafeInteger(v)) ${fail('must be an integer')}` +
          (f.int32 ? `; else if (v < ${INT32_MIN} || v > ${INT32_MAX}) ${fail(`must be an integer from ${INT32_MIN} to ${INT32_MAX}`)}` : '') +
          (f.oneOf ? `; else if (!oneOf[${i}].includes(v)) ${fail(`must be one of ${f.oneOf.join(', ')}`)}` : '') + `; else ${col} = v`
      : f.codec === 'string' ? `if (typeof v === 'string') ${col} = v; else ${fail('must be a string or null')}`
      : f.codec === 'bool' ? `if (typeof v === 'boolean') ${col} = v ? 1 : 0; else ${fail('must be true, false or null')}`
      : f.codec === 'int_array' ? `s = intArrayText(v); if (s !== null) ${col} = s; else ${fail('must be an array of integers or null')}`
      : `${col} = jsonFieldText(v)`
    return `if (hasOwn(input, ${name})) {
      known++
      v = input[${name}]
      ${nullable ? `if (v !== null) { ${check} }` : check}
    } else { ${missing} }`
  })
  const source = `return function fromItem(input) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return { errors: ['an item must be a JSON object'] }
    let errors = null, absent = null, extra = null, known = 0, v, t, s
    const row = { ${[...columns, 'extra', 'absent'].map((c) => `${lit(c)}: null`).join(', ')} }
    ${checks.join('\n    ')}
    const keys = Object.keys(input)
    if (keys.length !== known) for (const key of keys) if (!names.has(key)) extra = custom(extra, key, input[key])
    if (errors !== null) return { errors }
    ${columns.includes('created_at') ? "if (row.created_at === null) row.created_at = objectIdTime(row.id)" : ''}
    ${columns.includes('updated_at') ? 'if (row.updated_at === null) row.updated_at = row.created_at' : ''}
    row.extra = extra === null ? null : toJson(extra)
    row.absent = absent === null ? null : toJson(absent)
    return { row }
  }`
  const names = new Set(fields.map((f) => f.name))
  const constants = fields.map((f) => f.value)
  const oneOf = fields.map((f) => f.oneOf ?? [])
  const bound = { hasOwn: Object.hasOwn, OBJECT_ID, parseTime, objectIdTime, toJson, intArrayText, jsonFieldText, custom, names, constants, oneOf }
  return new Function(...Object.keys(bound), source)(...Object.values(bound)) as ItemCodec['fromItem']
}

/**
 * An array of safe integers as JSON text, or null when `v` is not one. Most are empty (deleted_for_ids,
 * admins_ids): those need no call to JSON.stringify.
 */
function intArrayText(v: unknown): string | null {
  if (!Array.isArray(v)) return null
  if (v.length === 0) return '[]'
  for (const x of v as unknown[]) if (typeof x !== 'number' || !Number.isSafeInteger(x)) return null
  return JSON.stringify(v)
}

/** A JSON field's text; an empty array, most messages' attachments, without a call to JSON.stringify. */
const jsonFieldText = (v: unknown): string | null => (Array.isArray(v) && v.length === 0 ? '[]' : toJson(v))

/** `extra` (made when first needed) with one more custom key, defined: a key named __proto__ stays an ordinary key. */
function custom(extra: Item | null, key: string, value: unknown): Item {
  const out = extra ?? {}
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
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
