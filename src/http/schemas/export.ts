// The export routes' documentation: the list filters without paging, and an NDJSON body of items.
import { Type, type TSchema } from 'typebox'
import type { Catalogue } from '../../query/catalogue.ts'
import { listParamsDoc } from './common.ts'

export const NDJSON = 'application/x-ndjson'
export const TOTAL_HEADER = 'x-total-entries'

/** The list parameters less limit, skip and count; sorted by _id only. */
export function exportParamsDoc(catalogue: Catalogue) {
  const props: Record<string, TSchema> = { ...listParamsDoc(catalogue).properties }
  for (const name of ['limit', 'skip', 'count']) delete props[name]
  props.sort_asc = Type.Optional(Type.String({ enum: ['_id'] }))
  props.sort_desc = Type.Optional(Type.String({ enum: ['_id'], description: 'Default: sort_desc=_id' }))
  return Type.Object(props)
}

/** A 200 whose body is one item per line, with the snapshot's total in a header. */
export function ndjsonResponse(item: TSchema, description: string) {
  return {
    description,
    headers: { [TOTAL_HEADER]: { type: 'integer', description: 'Everything the filters match, counted in the snapshot the body is read from' } },
    content: { [NDJSON]: { schema: item } },
  }
}
