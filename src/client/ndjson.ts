// NDJSON lines out of a fetch body, holding only the line being read.

/** Each complete, non-blank line of `body`; what follows the last newline is left in `rest.text`. */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>, rest: { text: string }): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true })
    let start = 0
    let at: number
    while ((at = buffered.indexOf('\n', start)) !== -1) {
      const line = buffered.slice(start, at)
      start = at + 1
      if (line.trim() !== '') yield line
    }
    buffered = buffered.slice(start)
  }
  rest.text = buffered + decoder.decode()
}
