// Sending one set of list parameters the three ways the Administration API accepts them: in the
// query string, as a form body on a GET (`curl -X GET -d '…'`), or as a JSON body on a GET.
import qs from 'qs'
import type { Answer, TestServer } from './app.ts'

export type Via = 'query' | 'form' | 'json'
export const VIAS: readonly Via[] = ['query', 'form', 'json']

const LIST_OPS = new Set(['in', 'nin', 'all'])

/**
 * The JSON a client would write for `params`: integers as numbers, in / nin / all lists as arrays.
 * Values that only look numeric with a fraction (`1620656869.0`) stay strings so that they arrive as
 * written.
 */
export function jsonOf(params: string): Record<string, unknown> {
  const convert = (value: unknown, op?: string): unknown => {
    if (typeof value === 'string') {
      if (op !== undefined && LIST_OPS.has(op)) return value.split(',').map((v) => convert(v))
      return /^-?\d{1,15}$/.test(value) ? Number(value) : value
    }
    if (Array.isArray(value)) return value.map((v) => convert(v))
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, k)]))
    }
    return value
  }
  return convert(qs.parse(params)) as Record<string, unknown>
}

/** GET `path` with `params` (an `a=1&b[gt]=2` string, values percent-encoded) sent `via`. */
export function listVia(server: TestServer, path: string, params: string, via: Via): Promise<Answer> {
  switch (via) {
    case 'query':
      return server.get(params === '' ? path : `${path}?${params}`)
    case 'form':
      return server.get(path, { body: params })
    case 'json':
      return server.get(path, { body: jsonOf(params) })
  }
}

/** The `_id`s of a page, in order. */
export const idsOf = (answer: Answer): string[] => (answer.json.items as Array<{ _id: string }>).map((i) => i._id)

/** Every page of `params` fetched with skip, `pageSize` at a time. */
export async function allPages(server: TestServer, path: string, params: string, pageSize: number): Promise<string[]> {
  const ids: string[] = []
  for (let skip = 0; ; skip += pageSize) {
    const r = await server.get(`${path}?${params}${params ? '&' : ''}limit=${pageSize}&skip=${skip}`)
    if (r.status !== 200) throw new Error(`${r.status} ${r.text}`)
    ids.push(...idsOf(r))
    if (skip + pageSize >= r.json.total_entries) return ids
  }
}
