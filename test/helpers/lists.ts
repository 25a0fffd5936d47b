// Sending one set of list parameters the three ways the Administration API accepts them: in the
// query string, as a form body on a GET (`curl -X GET -d '…'`), or as a JSON body on a GET.
import qs from 'qs'
import { expect } from 'vitest'
import type { Item } from '../../src/services/items.ts'
import type { Answer, TestServer } from './app.ts'

export type Via = 'query' | 'form' | 'json'
export const VIAS: readonly Via[] = ['query', 'form', 'json']

const LIST_OPS = new Set(['in', 'nin', 'all'])

/**
 * The JSON a client would write for `params`: integers as numbers, in / nin / all lists as arrays.
 * Values that only look numeric with a fraction (`1620656869.0`) stay strings so that they arrive as
 * written.
 */
/** A test's name for parameters that hold long lists: each list of more than ten cut to its first three and its length. */
export function shortName(params: string): string {
  return params
    .split('&')
    .map((p) => {
      const [name, value = ''] = p.split('=')
      const values = value.split(',')
      return values.length > 10 ? `${name}=${values.slice(0, 3).join(',')},… (${values.length} values)` : p
    })
    .join('&')
}

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

/**
 * Sends `params` every way; each must answer 200 with one page whose items, named through `keyOf`,
 * are `want` in order, with total_entries, skip and limit to match — and all three answers equal.
 */
export async function expectListedEveryWay(server: TestServer, path: string, params: string, keyOf: Map<string, string>, want: string[]): Promise<void> {
  const answers = []
  for (const via of VIAS) {
    const r = await listVia(server, path, params, via)
    expect(r.status, `${via}: ${r.text}`).toBe(200)
    expect(idsOf(r).map((id) => keyOf.get(id)), via).toEqual(want)
    expect(r.json.total_entries, via).toBe(want.length)
    expect(r.json.skip).toBe(0)
    expect(r.json.limit).toBe(100)
    answers.push(r.json)
  }
  expect(answers[1]).toEqual(answers[0])
  expect(answers[2]).toEqual(answers[0])
}

/** The reference order of `items` (ids) for a sort: by the field's time, ties by _id, both in `dir`. */
export function expectedOrder(items: Item[], field: 'created_at' | 'updated_at' | '_id', dir: 'asc' | 'desc'): string[] {
  const ms = (t: unknown) => Date.parse(t as string)
  return [...items]
    .sort((x, y) => {
      const byField = field === '_id' ? 0 : ms(x[field]) - ms(y[field])
      const c = byField !== 0 ? byField : (x._id as string) < (y._id as string) ? -1 : 1
      return dir === 'asc' ? c : -c
    })
    .map((i) => i._id as string)
}
