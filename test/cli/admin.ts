// Reading a parley back through its Administration API, as an operator's export script would.
import { expect } from 'vitest'
import type { Item } from '../../src/services/items.ts'
import { send, type Answer } from '../helpers/app.ts'

export type Get = (path: string) => Promise<Answer>

/** GET with an admin key against a server at `url` (a spawned `parley serve`). */
export const getter =
  (url: string, key: string): Get =>
  (path) =>
    send(url + path, 'GET', { headers: { 'CB-Administration-API-Key': key } })

/**
 * Every item of a list, by the documented loop: limit=100, then `_id[lt]=` the last _id seen, until
 * a short page. Checks that no item comes twice and that total_entries matches what was paged.
 */
export async function pageAll(get: Get, path: string, filter = ''): Promise<Item[]> {
  const items: Item[] = []
  let total: number | undefined
  let last: string | undefined
  for (;;) {
    const query = [filter, 'limit=100', last ? `_id[lt]=${last}` : ''].filter(Boolean).join('&')
    const r = await get(`${path}?${query}`)
    expect(r.status, r.text).toBe(200)
    total ??= r.json.total_entries as number
    const page = r.json.items as Item[]
    items.push(...page)
    if (page.length < 100) break
    last = page[page.length - 1]!._id as string
  }
  expect(new Set(items.map((i) => i._id)).size).toBe(items.length)
  expect(items.length).toBe(total)
  return items
}

/** The default list order: `_id` descending. */
export const byIdDesc = (items: Item[]): Item[] => [...items].sort((a, b) => ((a._id as string) < (b._id as string) ? 1 : -1))

export const ndjson = (items: unknown[]): string => items.map((i) => JSON.stringify(i)).join('\n') + '\n'
