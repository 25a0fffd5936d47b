// When and how long to wait before trying a request again: on no answer, 429 and 5xx, with
// exponential backoff and jitter; a server's Retry-After wins over the backoff (up to a bound).

export interface RetryPolicy {
  /** Tries after the first; 0 disables retrying. */
  retries: number
  /** The first backoff; each retry doubles it. */
  baseDelayMs: number
  maxDelayMs: number
  /** A longer Retry-After than this is cut to it, so a misconfigured server cannot park the client for hours. */
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 8, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 }

/** 501 Not Implemented will not change by asking again (it is how some servers say "no such route"). */
export const retryableStatus = (status: number): boolean => status === 429 || (status >= 500 && status !== 501)

/** Backoff for retry number `attempt` (0-based): base·2^attempt, capped, between half and all of it. */
export function backoff(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt)
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}

/** Retry-After as delta-seconds or an HTTP date → ms, or null when absent or unreadable. */
export function retryAfter(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null
  const text = header.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/** How long to wait before retry `attempt` after `response` (or after no response). */
export function delayBefore(policy: RetryPolicy, attempt: number, response?: Response): number {
  const asked = response ? retryAfter(response.headers.get('retry-after')) : null
  return asked === null ? backoff(policy, attempt) : Math.min(asked, policy.maxRetryAfterMs)
}

/** Waits `ms`, or less if `signal` aborts (then rejects with its reason): a Retry-After must not outlast a Ctrl-C. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
