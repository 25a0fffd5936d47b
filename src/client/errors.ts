// What the client throws. A server's refusal carries its `{"errors": …}` as sent; everything else
// says whether the request never got an answer or got one the client cannot read.

/** ConnectyCube's two shapes: messages, or messages per parameter name. */
export type ServerErrors = string[] | Record<string, string[]>

export class AdminClientError extends Error {
  override readonly name: string = 'AdminClientError'
}

/** The server answered with an error status (after retries, for 429 and 5xx). */
export class AdminApiError extends AdminClientError {
  override readonly name = 'AdminApiError'
  constructor(
    readonly status: number,
    readonly errors: ServerErrors,
    /** The request, without the key (which travels in a header). */
    readonly url: string,
  ) {
    super(`${status} from ${url}: ${Array.isArray(errors) ? errors.join('; ') : Object.entries(errors).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ')}`)
  }
}

/** No answer: connection refused or reset, timeout, a body cut short (after retries). */
export class AdminNetworkError extends AdminClientError {
  override readonly name = 'AdminNetworkError'
}

/** An answer the client cannot use: not JSON, not a page, or pages out of _id order. */
export class AdminProtocolError extends AdminClientError {
  override readonly name = 'AdminProtocolError'
}
