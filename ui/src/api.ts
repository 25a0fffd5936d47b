// Every request the console makes: parley's public Administration API, same origin, with the key in
// the CB-Administration-API-Key header. The key is kept in sessionStorage only (gone with the tab).

const KEY_ITEM = 'parley.adminKey'
export const loadKey = (): string | null => sessionStorage.getItem(KEY_ITEM)
export const saveKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key)
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM)

export type Params = Record<string, string>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Item = Record<string, any>

export interface Page {
  total_entries: number
  skip: number
  limit: number
  items: Item[]
}

export interface DayCount {
  day: string
  count: number
}

/** An answer other than 2xx, with parley's {"errors": …} made readable. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function describeErrors(body: unknown, status: number): string {
  const errors = (body as { errors?: unknown } | null)?.errors
  if (Array.isArray(errors)) return errors.join('; ')
  if (errors && typeof errors === 'object') {
    return Object.entries(errors as Record<string, string[]>)
      .map(([name, messages]) => `${name}: ${messages.join(', ')}`)
      .join('; ')
  }
  return `HTTP ${status}`
}

export const query = (params: Params): string => {
  const text = new URLSearchParams(params).toString()
  return text === '' ? '' : `?${text}`
}

export async function call(key: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'CB-Administration-API-Key': key }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!response.ok) {
    let parsed: unknown = null
    try {
      parsed = await response.json()
    } catch {
      // not JSON: the status says enough
    }
    throw new ApiError(response.status, describeErrors(parsed, response.status))
  }
  return response
}

export type Resource = 'dialogs' | 'messages'
const LIST: Record<Resource, string> = { dialogs: '/admin/chat/list', messages: '/admin/chat/messages/list' }
const EXPORT: Record<Resource, string> = { dialogs: '/admin/chat/export', messages: '/admin/chat/messages/export' }

export const listPage = async (key: string, resource: Resource, params: Params): Promise<Page> =>
  (await call(key, 'GET', LIST[resource] + query(params))).json() as Promise<Page>

export const messagesPerDay = async (key: string, params: Params): Promise<DayCount[]> =>
  (await call(key, 'GET', '/admin/chat/messages/per_day' + query(params))).json() as Promise<DayCount[]>

export const updateDialog = async (key: string, id: string, body: Record<string, unknown>): Promise<Item> =>
  (await call(key, 'PUT', `/admin/chat/${encodeURIComponent(id)}`, body)).json() as Promise<Item>

/** The streaming export of the filters as a Blob of NDJSON, and the total the server announced. */
export async function exportBlob(key: string, resource: Resource, params: Params): Promise<{ blob: Blob; total: number }> {
  const response = await call(key, 'GET', EXPORT[resource] + query(params))
  const total = Number(response.headers.get('x-total-entries'))
  return { blob: await response.blob(), total }
}

/** Checks a key with the cheapest admin request there is. */
export const checkKey = async (key: string): Promise<void> => {
  await call(key, 'GET', '/admin/chat/list?limit=1&count=1')
}
