// Typed list filters and their wire form. `{ updated_at: { gt: 1687886581 } }` becomes
// `updated_at[gt]=1687886581`, the bracketed parameters of ConnectyCube's Administration API.
// Times are unix seconds, as on the wire.

/** Comparison operators, as the Administration API takes them on _id and times. */
export interface Range<T> {
  gt?: T
  gte?: T
  lt?: T
  lte?: T
}

/** A scalar field: a value (equality), or operators (ANDed into one condition). */
export type Filter<T> = T | (Range<T> & { ne?: T; in?: readonly T[]; nin?: readonly T[] })
/** A string field: as a scalar, and `ctn` (contains). */
export type TextFilter = string | (Range<string> & { ne?: string; in?: readonly string[]; nin?: readonly string[]; ctn?: string })
/** An array field: a value means "contains"; `all` contains every one. */
export type ArrayFilter<T> = T | { ne?: T; in?: readonly T[]; nin?: readonly T[]; all?: readonly T[] }

export interface DialogFilters {
  _id?: Filter<string>
  created_at?: Filter<number>
  updated_at?: Filter<number>
  type?: Filter<1 | 2 | 3 | 4>
  name?: TextFilter
  user_id?: Filter<number>
  last_message_date_sent?: Filter<number>
  occupants_ids?: ArrayFilter<number>
  /** Custom parameters: `{ location: 'Sun bar' }` is `extensions[location]=Sun bar`. */
  extensions?: Record<string, string | { ne?: string; in?: readonly string[]; nin?: readonly string[]; ctn?: string }>
}

export interface MessageFilters {
  _id?: Filter<string>
  created_at?: Filter<number>
  updated_at?: Filter<number>
  chat_dialog_id?: Filter<string>
  sender_id?: Filter<number>
  recipient_id?: Filter<number>
  date_sent?: Filter<number>
  message?: TextFilter
  'attachments.type'?: ArrayFilter<string>
}

export type SortField = 'created_at' | 'updated_at' | '_id'

/** One page: filters, a sort, limit (at most 100) and skip. */
export type PageQuery<F> = F & {
  sort_asc?: SortField
  sort_desc?: SortField
  limit?: number
  skip?: number
}

/** Parameters as written on a command line (`updated_at[gt]=1687886581`), passed through as they are. */
export type RawParams = URLSearchParams

export type Params = Array<[string, string]>

const leaf = (value: unknown, name: string): string => {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return String(value)
  throw new TypeError(`filter ${name}: expected a string or a number, got ${JSON.stringify(value)}`)
}

/** Typed filters (or raw parameters) → ordered name/value pairs. Lists are comma-separated, as ConnectyCube takes them. */
export function toParams(filters: object | RawParams | undefined): Params {
  if (filters === undefined) return []
  if (filters instanceof URLSearchParams) return [...filters.entries()]
  const out: Params = []
  const walk = (name: string, value: unknown): void => {
    if (value === undefined) return
    if (Array.isArray(value)) out.push([name, value.map((v, i) => leaf(v, `${name}[${i}]`)).join(',')])
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(`${name}[${k}]`, v)
    else out.push([name, leaf(value, name)])
  }
  for (const [name, value] of Object.entries(filters)) walk(name, value)
  return out
}

export const queryString = (params: Params): string => new URLSearchParams(params).toString()
