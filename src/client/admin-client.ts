// A client for ConnectyCube's Administration API for chat, parley's or ConnectyCube's own: one page,
// a count, or every matching item as an async iterator. Iteration walks `_id` downwards (the
// documented `_id[lt]=<last _id>` loop, or parley's streaming export when the server has it), so
// every item that existed when it started comes exactly once, however many arrive meanwhile: new
// items get larger ids, above where the walk is. It uses only fetch: no dependency, any runtime.
import { AdminApiError, AdminClientError, AdminNetworkError, AdminProtocolError, type ServerErrors } from './errors.ts'
import { queryString, toParams, type DialogFilters, type MessageFilters, type PageQuery, type Params, type RawParams } from './filters.ts'
import type { ItemOf, Page, Resource } from './items.ts'
import { ndjsonLines } from './ndjson.ts'
import { DEFAULT_RETRY, delayBefore, retryableStatus, sleep, type RetryPolicy } from './retry.ts'

export interface AdminClientOptions {
  /** Where the API is: `https://api.connectycube.com`, `http://127.0.0.1:8080`. */
  url: string
  /** The Administration API key, sent as CB-Administration-API-Key. */
  key: string
  retry?: Partial<RetryPolicy>
  /** Longest wait for a page, or for the headers of a stream (default 60 s). */
  timeoutMs?: number
  /** Called before each retry, for logs. */
  onRetry?: (info: RetryInfo) => void
  fetch?: typeof globalThis.fetch
}

export interface RetryInfo {
  readonly attempt: number
  readonly delayMs: number
  readonly reason: string
  readonly url: string
}

export type FiltersOf<R extends Resource> = R extends 'dialogs' ? DialogFilters : MessageFilters
export type ExportMode = 'stream' | 'paged'

export interface IterateOptions {
  /** 'auto' (default): the server's streaming export when it has one, the documented loop otherwise. */
  mode?: 'auto' | ExportMode
  /** Only items whose _id is below this one: resumes a walk that stopped after that item. */
  before?: string
  /** Called once, before the first item: how many items the filters match, and how they are fetched. */
  onStart?: (info: { total: number | null; mode: ExportMode }) => void
  signal?: AbortSignal
}

const PATHS: Record<Resource, { list: string; export: string }> = {
  dialogs: { list: '/admin/chat/list', export: '/admin/chat/export' },
  messages: { list: '/admin/chat/messages/list', export: '/admin/chat/messages/export' },
}
/** The most a page holds, on ConnectyCube and on parley. */
const PAGE = 100
/** What a server without the export endpoint answers for it. */
const NO_EXPORT = new Set([404, 405, 501])
/** Parameters the walk sets itself. */
const WALK_OWNS = ['limit', 'skip', 'count', 'sort_asc', 'sort_desc']

type Item = { _id: string } & Record<string, unknown>

export class AdminClient {
  private readonly base: string
  private readonly headers: Record<string, string>
  private readonly policy: RetryPolicy
  private readonly timeoutMs: number
  private readonly onRetry: (info: RetryInfo) => void
  private readonly fetchImpl: typeof globalThis.fetch
  /** Per resource, whether the server has a streaming export (learnt from the first try). */
  private readonly streams: Partial<Record<Resource, boolean>> = {}

  constructor(options: AdminClientOptions) {
    if (!/^https?:\/\//.test(options.url)) throw new AdminClientError(`url must start with http:// or https://, got ${JSON.stringify(options.url)}`)
    this.base = options.url.replace(/\/+$/, '')
    this.headers = { 'CB-Administration-API-Key': options.key, accept: 'application/json, application/x-ndjson' }
    this.policy = { ...DEFAULT_RETRY, ...options.retry }
    this.timeoutMs = options.timeoutMs ?? 60_000
    this.onRetry = options.onRetry ?? (() => {})
    this.fetchImpl = options.fetch ?? globalThis.fetch
  }

  /** One page of a list, as the server answers it. */
  async page<R extends Resource>(resource: R, query: PageQuery<FiltersOf<R>> | RawParams = {} as PageQuery<FiltersOf<R>>, signal?: AbortSignal): Promise<Page<ItemOf<R>>> {
    const url = this.url(PATHS[resource].list, toParams(query))
    const body = (await this.getJson(url, signal)) as Partial<Page<ItemOf<R>>> | null
    if (!body || typeof body.total_entries !== 'number' || !Array.isArray(body.items)) {
      throw new AdminProtocolError(`${url} did not answer a page ({"total_entries", "items"})`)
    }
    return body as Page<ItemOf<R>>
  }

  /** How many items the filters match (count=1). */
  async count<R extends Resource>(resource: R, filters: FiltersOf<R> | RawParams = {} as FiltersOf<R>, signal?: AbortSignal): Promise<number> {
    const url = this.url(PATHS[resource].list, [...toParams(filters), ['count', '1']])
    const body = (await this.getJson(url, signal)) as { items?: { count?: unknown } } | null
    if (typeof body?.items?.count !== 'number') throw new AdminProtocolError(`${url} did not answer {"items": {"count": N}}`)
    return body.items.count
  }

  /** Every dialog the filters match, newest _id first. */
  dialogs(filters: DialogFilters | RawParams = {}, options: IterateOptions = {}): AsyncGenerator<ItemOf<'dialogs'>, void, undefined> {
    return this.items('dialogs', filters, options)
  }

  /** Every message the filters match, newest _id first. */
  messages(filters: MessageFilters | RawParams = {}, options: IterateOptions = {}): AsyncGenerator<ItemOf<'messages'>, void, undefined> {
    return this.items('messages', filters, options)
  }

  /** Every item of `resource` the filters match, newest _id first. */
  async *items<R extends Resource>(resource: R, filters: FiltersOf<R> | RawParams, options: IterateOptions = {}): AsyncGenerator<ItemOf<R>, void, undefined> {
    const params = toParams(filters)
    const owned = params.filter(([name]) => WALK_OWNS.includes(name)).map(([name]) => name)
    if (owned.length > 0) throw new AdminClientError(`${owned.join(', ')}: the walk sets these itself; give only filters`)
    const mode = options.mode ?? 'auto'
    if (mode !== 'paged') {
      const outcome = this.streams[resource] === false ? 'unsupported' : yield* this.streamed(resource, params, options)
      if (outcome === 'done') return
      if (mode === 'stream') throw new AdminClientError(`${this.base} has no streaming export for ${resource}`)
    }
    yield* this.paged(resource, params, options)
  }

  /** The documented loop: limit=100, sort_desc=_id, then `_id[lt]=` the last _id, until a short page. */
  private async *paged<R extends Resource>(resource: R, params: Params, options: IterateOptions): AsyncGenerator<ItemOf<R>, void, undefined> {
    let cursor = options.before ?? null
    let started = false
    for (;;) {
      const page = await this.page(resource, new URLSearchParams([...withCursor(params, cursor), ['limit', String(PAGE)], ['sort_desc', '_id']]), options.signal)
      if (!started) {
        started = true
        options.onStart?.({ total: page.total_entries, mode: 'paged' })
      }
      for (const item of page.items as unknown as Item[]) {
        // An abort stops the walk at once, not at the end of what has already arrived.
        options.signal?.throwIfAborted()
        cursor = nextCursor(cursor, item, PATHS[resource].list)
        yield item as ItemOf<R>
      }
      if (page.items.length === 0 || page.items.length < Math.min(PAGE, page.limit || PAGE)) return
    }
  }

  /**
   * The streaming export. A stream cut short (connection lost, or fewer lines than its total said)
   * is opened again below the last _id received, so nothing is missed or repeated.
   */
  private async *streamed<R extends Resource>(resource: R, params: Params, options: IterateOptions): AsyncGenerator<ItemOf<R>, 'done' | 'unsupported', undefined> {
    let cursor = options.before ?? null
    let started = false
    let attempt = 0
    for (;;) {
      const url = this.url(PATHS[resource].export, withCursor(params, cursor))
      const response = await this.openStream(url, options.signal)
      const ndjson = (response.headers.get('content-type') ?? '').includes('ndjson')
      if (!started && (NO_EXPORT.has(response.status) || (response.ok && !ndjson))) {
        await response.body?.cancel()
        this.streams[resource] = false
        return 'unsupported'
      }
      if (!started && !response.ok && response.status < 500 && options.mode !== 'stream') {
        // Another 4xx to the first request: a bad filter, a bad key, or a server that reads the path
        // as something else (a dialog id "export"). The documented loop says which, in the server's
        // own words; the export stays worth trying next time.
        await response.body?.cancel()
        return 'unsupported'
      }
      if (!response.ok) throw apiError(response.status, await response.text(), url)
      if (!ndjson) throw new AdminProtocolError(`${url} answered ${response.headers.get('content-type')}, not NDJSON`)
      this.streams[resource] = true
      const header = response.headers.get('x-total-entries')
      const total = header !== null && /^\d+$/.test(header) ? Number(header) : null
      if (!started) {
        started = true
        options.onStart?.({ total, mode: 'stream' })
      }
      let seen = 0
      let failure: string
      try {
        const rest = { text: '' }
        for await (const line of ndjsonLines(response.body!, rest)) {
          options.signal?.throwIfAborted()
          const item = parseLine(line, url)
          cursor = nextCursor(cursor, item, url)
          seen++
          attempt = 0
          yield item as ItemOf<R>
        }
        if (rest.text.trim() !== '') failure = 'the stream ended inside a line'
        else if (total !== null && seen < total) failure = `the stream ended after ${seen} of its ${total} items`
        else return 'done'
      } catch (error) {
        if (error instanceof AdminClientError || options.signal?.aborted) throw error
        failure = describe(error)
      }
      if (attempt >= this.policy.retries) throw new AdminNetworkError(`${url}: ${failure} (after ${attempt + 1} tries)`)
      const delayMs = delayBefore(this.policy, attempt)
      this.onRetry({ attempt: ++attempt, delayMs, reason: failure, url })
      await sleep(delayMs, options.signal)
    }
  }

  private url(path: string, params: Params): string {
    const query = queryString(params)
    return this.base + path + (query ? `?${query}` : '')
  }

  /** GET `url` → its JSON, retrying on no answer, 429 and 5xx. */
  private async getJson(url: string, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      let retryResponse: Response | undefined
      let reason: string
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs)
        const response = await this.fetchImpl(url, { headers: this.headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
        const text = await response.text()
        if (response.ok) return parseJson(text, url)
        if (!retryableStatus(response.status) || attempt >= this.policy.retries) throw apiError(response.status, text, url)
        retryResponse = response
        reason = `${response.status} ${response.statusText}`.trim()
      } catch (error) {
        if (error instanceof AdminClientError || signal?.aborted) throw error
        if (attempt >= this.policy.retries) throw new AdminNetworkError(`${url}: ${describe(error)} (after ${attempt + 1} tries)`, { cause: error })
        reason = describe(error)
      }
      const delayMs = delayBefore(this.policy, attempt, retryResponse)
      this.onRetry({ attempt: attempt + 1, delayMs, reason, url })
      await sleep(delayMs, signal)
    }
  }

  /** GET `url` for a stream: retries until headers other than 429/5xx arrive; the body is the caller's. */
  private async openStream(url: string, signal?: AbortSignal): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController()
      const abort = () => controller.abort(signal?.reason)
      signal?.addEventListener('abort', abort, { once: true })
      // A timeout for the headers only: the body takes as long as the data does.
      const timer = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs)
      let retryResponse: Response | undefined
      let reason: string
      try {
        const response = await this.fetchImpl(url, { headers: this.headers, signal: controller.signal })
        // Returned with the abort listener in place: the caller's signal must still stop the body.
        if (!retryableStatus(response.status) || attempt >= this.policy.retries) return response
        signal?.removeEventListener('abort', abort)
        await response.body?.cancel()
        retryResponse = response
        reason = `${response.status} ${response.statusText}`.trim()
      } catch (error) {
        signal?.removeEventListener('abort', abort)
        if (signal?.aborted) throw error
        if (attempt >= this.policy.retries) throw new AdminNetworkError(`${url}: ${describe(error)} (after ${attempt + 1} tries)`, { cause: error })
        reason = describe(error)
      } finally {
        clearTimeout(timer)
      }
      const delayMs = delayBefore(this.policy, attempt, retryResponse)
      this.onRetry({ attempt: attempt + 1, delayMs, reason, url })
      await sleep(delayMs, signal)
    }
  }
}

/** The walk's `_id[lt]`: the lower of the caller's own bound and where the walk is. */
function withCursor(params: Params, cursor: string | null): Params {
  if (cursor === null) return params
  const own = params.find(([name]) => name === '_id[lt]')?.[1]
  const bound = own !== undefined && own.toLowerCase() < cursor.toLowerCase() ? own : cursor
  return [...params.filter(([name]) => name !== '_id[lt]'), ['_id[lt]', bound]]
}

/** The item's _id, checked to be below the last: a server that ignored `_id[lt]` would loop forever. */
function nextCursor(cursor: string | null, item: Item, url: string): string {
  if (typeof item?._id !== 'string') throw new AdminProtocolError(`${url}: an item without an _id`)
  if (cursor !== null && !(item._id.toLowerCase() < cursor.toLowerCase())) {
    throw new AdminProtocolError(`${url}: _id ${item._id} came after ${cursor}; items must come in descending _id order`)
  }
  return item._id
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new AdminProtocolError(`${url} did not answer JSON: ${text.slice(0, 200)}`)
  }
}

function parseLine(line: string, url: string): Item {
  const value = parseJson(line, url)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminProtocolError(`${url}: a line that is not an item: ${line.slice(0, 200)}`)
  return value as Item
}

function apiError(status: number, text: string, url: string): AdminApiError {
  let errors: ServerErrors = [text.slice(0, 500) || `HTTP ${status}`]
  try {
    const body = JSON.parse(text) as { errors?: unknown }
    if (Array.isArray(body.errors) || (typeof body.errors === 'object' && body.errors !== null)) errors = body.errors as ServerErrors
  } catch {
    // not JSON: the text itself is the message
  }
  return new AdminApiError(status, errors, url)
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } }
  const cause = e?.cause?.code ?? e?.cause?.message
  return [e?.message ?? String(error), cause].filter(Boolean).join(': ')
}
