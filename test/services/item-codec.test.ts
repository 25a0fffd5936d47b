// The item codecs' reader (ItemCodec.fromItem, compiled per codec): every item an import or the
// chat API stores must come back from the store exactly as it went in, and every item it refuses
// must be refused with the same reasons, field by field, in the codec's order.
import { describe, expect, it } from 'vitest'
import { random } from '../../src/services/demo-data.ts'
import { dialogCodec } from '../../src/services/dialog-item.ts'
import type { Item, ItemCodec } from '../../src/services/items.ts'
import { messageCodec } from '../../src/services/message-item.ts'
import { formatTime } from '../../src/services/time.ts'
import { sqliteDialect } from '../../src/store/dialect.ts'
import { dialogItem, messageItem, objectId } from '../helpers/factories.ts'

const CODECS: Array<[string, ItemCodec, (seconds: number) => Item]> = [
  ['dialogs', dialogCodec, (s) => dialogItem(s)],
  ['messages', messageCodec, (s) => messageItem(objectId(s - 100), s)],
]

/** Values a field of each codec may hold; null is tried for every field that is not required. */
const VALID: Record<string, readonly unknown[]> = {
  objectid: [objectId(1_700_000_001), objectId(1_600_000_002)],
  time: ['2024-01-30T15:16:13Z', '1970-01-01T00:00:00Z', '2024-01-30T15:16:13.250Z', '9999-12-31T23:59:59Z'],
  int: [0, -7, 1706627773, Number.MAX_SAFE_INTEGER],
  string: ['', 'plain', 'quote " \\', 'ünïcödé 😀', '\u2028'],
  bool: [true, false],
  int_array: [[], [1], [3, 1, 2], [-0, Number.MIN_SAFE_INTEGER, 12]],
  json: [[], {}, [1, 'two', null], { a: { b: [true] } }, 'text', 12, false],
}

/** An int field of a 32-bit column's values (FieldSpec.int32). */
const INT32_VALID = [0, -7, 1706627773, 2147483647, -2147483648]

const CUSTOM: Array<[string, unknown]> = [
  ['mission', 'take over the planet'],
  ['__proto__', { polluted: true }],
  ['nested', { deep: [1, { x: null }] }],
  ['n', 0],
]

/** `key` defined on `target` as an own data property: a key named __proto__ stays an ordinary key. */
const define = (target: Item, key: string, value: unknown) => Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })

/** A wire item as the codec shows it back: its fields in the codec's order, then its custom keys in theirs. */
function shownAs(codec: ItemCodec, item: Item): string {
  const out: Item = {}
  const names = new Set(codec.fields.map((f) => f.name))
  for (const f of codec.fields) {
    if (Object.hasOwn(item, f.name)) define(out, f.name, f.codec === 'objectid' && typeof item[f.name] === 'string' ? (item[f.name] as string).toLowerCase() : item[f.name])
    else if (f.codec === 'time') define(out, f.name, f.name === 'created_at' ? formatTime(parseInt(String(item._id).slice(0, 8), 16) * 1000) : undefined)
  }
  // A missing updated_at is the creation time.
  if (out.updated_at === undefined && codec.fields.some((f) => f.name === 'updated_at')) define(out, 'updated_at', out.created_at)
  for (const key of Object.keys(item)) if (!names.has(key)) define(out, key, item[key])
  // A constant shown as its own value when given as it: an item keeps whatever it was given.
  return JSON.stringify(out)
}

/** `item` with its keys in a random order that keeps the custom keys' order among themselves. */
function shuffled(item: Item, names: ReadonlySet<string>, rnd: () => number): Item {
  const keys = Object.keys(item)
  const fields = keys.filter((k) => names.has(k)).sort(() => rnd() - 0.5)
  const custom = keys.filter((k) => !names.has(k))
  const order: string[] = []
  while (fields.length + custom.length > 0) order.push((rnd() < 0.5 && fields.length > 0) || custom.length === 0 ? fields.shift()! : custom.shift()!)
  const out: Item = {}
  for (const k of order) define(out, k, item[k])
  return out
}

const rowOf = (codec: ItemCodec, item: unknown): Record<string, unknown> => {
  const r = codec.fromItem(item)
  if ('errors' in r) throw new Error(`refused: ${r.errors.join('; ')}`)
  return r.row
}

for (const [label, codec, base] of CODECS) {
  describe(`the ${label} codec's reader`, () => {
    const names = new Set(codec.fields.map((f) => f.name))

    it('stores every valid item so that it comes back exactly as given, whatever its keys’ order', () => {
      const rnd = random(11)
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
      const shapes = new Set<string>()
      for (let i = 0; i < 400; i++) {
        const item = base(1_700_000_000 + i)
        for (const f of codec.fields) {
          const roll = rnd()
          if (f.codec === 'constant') {
            if (roll < 0.2) delete item[f.name]
            else if (roll < 0.4) item[f.name] = pick([0, 1, true, 'x', null, { y: 1 }])
            continue
          }
          if (f.name === '_id') {
            if (roll < 0.2) item._id = (item._id as string).toUpperCase()
            continue
          }
          if (f.required) {
            if (f.oneOf) item[f.name] = pick(f.oneOf)
            continue
          }
          if (roll < 0.15) delete item[f.name]
          else if (roll < 0.3 && f.codec !== 'time') item[f.name] = null
          else if (roll < 0.6) item[f.name] = pick(f.int32 ? INT32_VALID : VALID[f.codec]!)
        }
        for (const [key, value] of CUSTOM) if (rnd() < 0.25) define(item, key, value)
        const row = rowOf(codec, item)
        shapes.add(Object.keys(row).join(','))
        expect(JSON.stringify(codec.toItem(row, sqliteDialect)), JSON.stringify(item)).toBe(shownAs(codec, item))
        // The keys' order in the input changes nothing stored.
        expect(rowOf(codec, shuffled(item, names, rnd))).toStrictEqual(row)
      }
      // Every row has the same columns in the same order, whichever keys its item had.
      expect([...shapes]).toHaveLength(1)
    })

    it('refuses what is not an object', () => {
      for (const input of [null, [], [base(1_700_000_000)], 'item', 7, true, undefined]) {
        expect(codec.fromItem(input)).toStrictEqual({ errors: ['an item must be a JSON object'] })
      }
    })

    it('names each bad field with its reason, in the codec’s order', () => {
      const reasons: Record<string, [unknown[], string]> = {
        objectid: [['65b912bd00000000400e395', '65b912bd00000000400e3953a', 'zzzzzzzzzzzzzzzzzzzzzzzz', 7, [], {}], 'must be an ObjectId (24 hex characters)'],
        time: [['yesterday', '2024-01-30', '2024-13-01T00:00:00Z', 1706627773, null, {}], 'must be a time like "2022-02-17T11:01:40Z"'],
        int: [['1', 1.5, Number.MAX_SAFE_INTEGER + 1, true, [], NaN], 'must be an integer'],
        string: [[1, true, [], {}], 'must be a string or null'],
        bool: [[0, 1, 'true', []], 'must be true, false or null'],
        int_array: [['[1]', [1.5], ['a', 2], [null], {}, 3, [Number.MAX_SAFE_INTEGER + 1]], 'must be an array of integers or null'],
      }
      const rnd = random(5)
      for (const f of codec.fields) {
        const bad = reasons[f.codec]
        if (!bad) continue
        for (const value of bad[0]) {
          const item = { ...base(1_700_000_000), [f.name]: value }
          expect(codec.fromItem(item), `${f.name} = ${JSON.stringify(value)}`).toStrictEqual({ errors: [`${f.name} ${bad[1]}`] })
        }
        if (f.required) {
          const item = base(1_700_000_000)
          delete item[f.name]
          expect(codec.fromItem(item)).toStrictEqual({ errors: [`${f.name} is required`] })
          expect(codec.fromItem({ ...base(1_700_000_000), [f.name]: null })).toStrictEqual({ errors: [`${f.name} ${bad[1]}`] })
        }
      }
      // Several at once, reported in the codec's order whatever the input's.
      const checked = codec.fields.filter((f) => reasons[f.codec])
      const wrong = Object.fromEntries(checked.map((f) => [f.name, reasons[f.codec]![0][0]]))
      const item = shuffled({ ...base(1_700_000_000), ...wrong, extra: 1 }, names, rnd)
      expect(codec.fromItem(item)).toStrictEqual({ errors: checked.map((f) => `${f.name} ${reasons[f.codec]![1]}`) })
    })
  })
}

it('refuses a dialog type outside 1–4', () => {
  for (const type of [0, 5, -1]) {
    expect(dialogCodec.fromItem(dialogItem(1_700_000_000, { type }))).toStrictEqual({ errors: ['type must be one of 1, 2, 3, 4'] })
  }
})

it('refuses a value past 32 bits in a field whose column has 32 (occupants_count, views_count), alone', () => {
  const cases: Array<[ItemCodec, Item, string]> = [
    [dialogCodec, dialogItem(1_700_000_000), 'occupants_count'],
    [messageCodec, messageItem(objectId(1_699_999_900), 1_700_000_000), 'views_count'],
  ]
  for (const [codec, item, name] of cases) {
    for (const value of [2147483648, -2147483649, 3000000000, Number.MAX_SAFE_INTEGER]) {
      expect(codec.fromItem({ ...item, [name]: value }), `${name} = ${value}`).toStrictEqual({ errors: [`${name} must be an integer from -2147483648 to 2147483647`] })
    }
    for (const value of [2147483647, -2147483648]) expect(codec.fromItem({ ...item, [name]: value })).toHaveProperty('row')
  }
})
