// Wire times: "2022-02-17T11:01:40Z" (UTC, second precision, as ConnectyCube shows them). Stored as
// integer ms; a stored time with a sub-second part (from an import) keeps it on the way out.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString()
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso
}

/** ISO 8601 with a zone → ms, or null when the text is not such a time. */
export function parseTime(text: string): number | null {
  if (!ISO.test(text)) return null
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : null
}

/** The creation time an ObjectId carries (its first 4 bytes, seconds). */
export const objectIdTime = (id: string): number => parseInt(id.slice(0, 8), 16) * 1000
