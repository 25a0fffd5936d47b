// Text both stores keep as given. PostgreSQL refuses a NUL character in text and jsonb, and an
// unpaired UTF-16 surrogate in jsonb (as text it would silently become U+FFFD); SQLite keeps either.
// So such strings are refused everywhere, naming where they are, rather than stored differently by
// each store or failing with a 5xx on one of them (docs/api-notes.md, "Text parley refuses").

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why a string cannot be stored, or null when it can. */
export function unstorable(text: string): string | null {
  if (text.includes('\0')) return 'contains a NUL character (\\u0000)'
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)'
  return null
}

/**
 * The first string (value or key) in `value` that cannot be stored: its path as the API names
 * parameters (`user.login`, `attachments.0.url`), and why. Bounded by the body limit, like the parse.
 */
export function findUnstorable(value: unknown, path = ''): { path: string; reason: string } | null {
  if (typeof value === 'string') {
    const reason = unstorable(value)
    return reason === null ? null : { path, reason }
  }
  if (typeof value !== 'object' || value === null) return null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], path === '' ? String(i) : `${path}.${i}`)
      if (found) return found
    }
    return null
  }
  for (const key of Object.keys(value)) {
    const at = path === '' ? key : `${path}.${key}`
    const reason = unstorable(key)
    if (reason !== null) return { path: at, reason: `name ${reason}` }
    const found = findUnstorable((value as Record<string, unknown>)[key], at)
    if (found) return found
  }
  return null
}
