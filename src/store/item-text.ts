// An item's JSON text written by the database, as a page's or an export batch's one value per row
// besides its id (decision 0012). Reading a message row's 17 values into JavaScript strings and
// numbers, then writing them out again, cost more than the database writing text: 0.37 ms against
// 0.26 ms for a 100-message page at 10M messages on SQLite, in process. SQLite writes the item codec's
// text (services/items.ts) byte for byte; rows it would write differently, and every row on
// PostgreSQL, come back as their values in one JSON array instead.
import { sql, type RawBuilder } from 'kysely'

/** One field of an item, as the codec declares it (services/items.ts FieldSpec), and its column. */
export interface TextField {
  readonly name: string
  readonly column: string
  /** The codec's name for the field's kind (services/items.ts FieldCodec). */
  readonly codec: string
  readonly value?: unknown
}

/** What a page needs to have its items written by the database: the fields in key order, and the row's columns. */
export interface ItemText {
  readonly fields: readonly TextField[]
  /** The row's columns, in the order of the JSON array that carries them when the database does not write the object. */
  readonly columns: readonly string[]
}

/**
 * The column of a page read as text: an item's JSON object, or (starting with `[`) its row's values
 * under ItemText.columns, as the dialect's driver returns them (JSON columns as text on SQLite, as
 * JSON on PostgreSQL, which pg would have parsed).
 */
export const ITEM_TEXT = 'item_text'

/**
 * Years 0000 to 9999, where datetime() writes what formatTime does; toISOString writes others with a
 * six-digit year and a sign. Every time an import accepts is inside (four-digit years): the bounds
 * only keep a row put into the database by other means from being written wrongly.
 */
const TIME_FROM = -62_167_219_200_000
const TIME_LIMIT = 253_402_300_800_000

const refs = (columns: readonly string[]) => sql.join(columns.map((c) => sql.ref(c)))

/**
 * SQLite's expression for ITEM_TEXT, built once per codec. The object is written where the codec's
 * fast writer would write it (compileWriter): no absent keys, no custom key named like a per-user
 * constant, and every time a whole second (formatTime writes others with milliseconds). Any other
 * row comes back as json_array of its columns — text and JSON columns as strings, integers as
 * numbers, exactly what better-sqlite3 would have returned — for the codec's general path.
 */
export function sqliteItemText(text: ItemText): RawBuilder<string> {
  let built = sqliteExpressions.get(text)
  if (!built) sqliteExpressions.set(text, (built = sqliteExpression(text)))
  return built
}

const sqliteExpressions = new WeakMap<ItemText, RawBuilder<string>>()

/**
 * PostgreSQL's: always the values. jsonb prints as `[1, 2]` where JSON.stringify writes `[1,2]`, so
 * its objects would not be the codec's text; one text a row still spares pg parsing 17 fields of it
 * one by one (buffer slices, UTF-8 decoding, a type parser each), and V8's JSON.parse reads the array.
 */
export function postgresItemText({ columns }: ItemText): RawBuilder<string> {
  return sql<string>`json_build_array(${refs(columns)})::text`
}

function sqliteExpression({ fields, columns }: ItemText): RawBuilder<string> {
  const constants = fields.filter((f) => f.codec === 'constant')
  const times = fields.filter((f) => f.codec === 'time').map((f) => sql.ref(f.column))
  const plain = [
    sql`absent is null`,
    ...(constants.length === 0 ? [] : [sql`(extra is null or (${sql.join(constants.map((f) => sql`instr(extra, ${sql.lit(JSON.stringify(f.name))}) = 0`), sql` and `)}))`]),
    ...times.map((c) => sql`(${c} is null or (${c} % 1000 = 0 and ${c} >= ${sql.lit(TIME_FROM)} and ${c} < ${sql.lit(TIME_LIMIT)}))`),
  ]
  // One concat() rather than a chain of ||, each of which copies the text so far (35 a message row).
  const parts = fields.flatMap((f, i) => [sql.lit(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`), valueText(f)])
  const object = sql`concat(${sql.join([...parts, sql`(case when extra is null or length(extra) <= 2 then '}' else ',' || substr(extra, 2) end)`])})`
  return sql<string>`(case when ${sql.join(plain, sql` and `)} then ${object} else json_array(${refs(columns)}) end)`
}

/** A field's JSON value as SQLite text; what compileWriter writes for it. */
function valueText(f: TextField): RawBuilder<unknown> {
  const c = sql.ref(f.column)
  switch (f.codec) {
    case 'constant':
      return sql.lit(JSON.stringify(f.value ?? null))
    case 'objectid':
    case 'string':
      // json_quote(NULL) is 'null'; its escapes are JSON.stringify's (test/services/item-json.test.ts).
      return sql`json_quote(${c})`
    case 'int':
    case 'int_array':
    case 'json':
      return sql`coalesce(${c}, 'null')`
    case 'time':
      // datetime() and one replace cost two thirds of strftime's formatting (0.21 against 0.33 µs).
      return sql`(case when ${c} is null then 'null' else concat('"', replace(datetime(${c} / 1000, 'unixepoch'), ' ', 'T'), 'Z"') end)`
    case 'bool':
      return sql`(case when ${c} is null then 'null' when ${c} then 'true' else 'false' end)`
    default:
      throw new Error(`no item text for a field of kind ${f.codec} (${f.name})`)
  }
}
