// Schema pieces shared by every resource: nullable primitives (as JSON Schema type arrays, which
// fast-json-stringify serialises without trying alternatives), the error body, the list envelope,
// and the list parameters documented from the query catalogue.
import { Type, type TSchema } from 'typebox'
import { OPS_OF_KIND, type Catalogue } from '../../query/catalogue.ts'
import { OBJECT_ID_PATTERN } from '../../object-id.ts'
import { MAX_LIMIT } from '../../query/plan.ts'

type Primitive = 'integer' | 'string' | 'boolean' | 'number'
export const nullable = (type: Primitive, description?: string) =>
  Type.Unsafe<never>({ type: [type, 'null'], ...(description ? { description } : {}) })
export const nullableIntArray = (description?: string) =>
  Type.Unsafe<number[] | null>({ type: ['array', 'null'], items: { type: 'integer' }, ...(description ? { description } : {}) })
/**
 * An integer kept in a bigint column: a safe integer, the largest JavaScript reads back exactly.
 * JSON Schema's integer takes 1e300 or 2^63 too, which SQLite stored as junk and PostgreSQL refused
 * (a 500); outside these bounds it is a 422 naming the field.
 */
export const SafeInteger = () => Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })
/**
 * A field that null clears. Written as `type: [..., 'null']`, not a union: Ajv's type coercion would
 * turn a null into "" or 0 to fit a union's first branch; with null among the types it stays null.
 */
export const stringOrNull = (maxLength: number) => Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength })
export const integerOrNull = (minimum = Number.MIN_SAFE_INTEGER, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum, maximum })
/** Any JSON value, written as given. */
export const anyJson = (description?: string) => Type.Unknown(description ? { description } : {})
export const Time = Type.String({ description: 'UTC time, second precision: 2022-02-17T11:01:40Z', examples: ['2022-02-17T11:01:40Z'] })
export const ObjectIdString = Type.String({ pattern: OBJECT_ID_PATTERN, description: 'ObjectId, 24 hex characters' })

export const ErrorBody = Type.Object(
  {
    // additionalProperties, not Type.Record: its "^.*$" pattern made the serialiser drop a name
    // holding a line break (`.` stops at one), answering {"errors": {}}.
    errors: Type.Union([Type.Array(Type.String()), Type.Object({}, { additionalProperties: Type.Array(Type.String()) })], {
      description: 'Messages, or messages per parameter name',
    }),
  },
  { $id: 'Error' },
)

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
}

export function listEnvelope(item: TSchema) {
  return Type.Object(
    {
      total_entries: Type.Integer({ description: 'Everything the filters match (skip and limit aside)' }),
      skip: Type.Integer(),
      limit: Type.Integer({ description: `Items per page as applied (at most ${MAX_LIMIT})` }),
      items: Type.Array(item),
    },
    { description: 'One page. With count=1 the answer is {"items": {"count": N}} instead.' },
  )
}

/** The list parameters as OpenAPI shows them, one entry per bracketed form, made from the catalogue. */
export function listParamsDoc(catalogue: Catalogue) {
  const props: Record<string, TSchema> = {}
  for (const [name, field] of Object.entries(catalogue.fields)) {
    const ops = OPS_OF_KIND[field.kind].filter((o) => o !== 'eq')
    const base = field.kind === 'json_key' ? `${name}[key]` : name
    props[base] = Type.Optional(
      Type.String({ description: `${name} equals (unix seconds for times); operators: ${ops.map((o) => `${base}[${o}]`).join(', ')}` }),
    )
    if (field.kind === 'time' || field.kind === 'objectid') {
      for (const op of ['gt', 'gte', 'lt', 'lte']) props[`${name}[${op}]`] = Type.Optional(Type.String())
    }
  }
  props.limit = Type.Optional(Type.Integer({ minimum: 1, default: 100, description: `Page size; larger values are clamped to ${MAX_LIMIT}` }))
  props.skip = Type.Optional(Type.Integer({ minimum: 0, default: 0 }))
  props.count = Type.Optional(Type.Integer({ enum: [0, 1], description: '1: answer only {"items": {"count": N}}' }))
  props.sort_asc = Type.Optional(Type.String({ enum: [...catalogue.sortable] }))
  props.sort_desc = Type.Optional(Type.String({ enum: [...catalogue.sortable], description: 'Default: sort_desc=_id' }))
  return Type.Object(props)
}
