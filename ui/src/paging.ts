// Paging the lists. Sorted by _id, pages are keyset pages: the next one starts below (or above) the
// last _id seen, and going back pops a stack of page starts. The API's filters are ANDed, so a
// keyset on created_at or updated_at with an _id tiebreak ((t < x) or (t = x and _id < y)) cannot be
// written as parameters: those sorts page with skip, which the API offers for every sort.
import type { Params } from './api.ts'

export type SortField = '_id' | 'created_at' | 'updated_at'
export interface Sort {
  readonly field: SortField
  readonly direction: 'asc' | 'desc'
}

export const PAGE_SIZE = 20

export interface Paging {
  readonly sort: Sort
  /** Keyset: the _id each page so far started after (null for the first page). */
  readonly starts: ReadonlyArray<string | null>
  /** Pages before this one: for skip paging and to number the rows. */
  readonly index: number
}

export const firstPage = (sort: Sort): Paging => ({ sort, starts: [null], index: 0 })

/** The parameters of the current page, on top of the filters. */
export function pageParams(filters: Params, paging: Paging): Params {
  const { field, direction } = paging.sort
  const params: Params = { ...filters, [`sort_${direction}`]: field, limit: String(PAGE_SIZE) }
  if (field !== '_id') {
    if (paging.index > 0) params.skip = String(paging.index * PAGE_SIZE)
    return params
  }
  const start = paging.starts[paging.starts.length - 1]
  // The cursor is inside any _id bound of the same side the filters have, so it replaces it.
  if (start) params[direction === 'desc' ? '_id[lt]' : '_id[gt]'] = start
  return params
}

export const nextPage = (paging: Paging, lastId: string): Paging => ({ ...paging, starts: [...paging.starts, lastId], index: paging.index + 1 })
export const previousPage = (paging: Paging): Paging =>
  paging.index === 0 ? paging : { ...paging, starts: paging.starts.slice(0, -1), index: paging.index - 1 }
