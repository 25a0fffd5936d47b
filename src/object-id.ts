// What parley takes for an ObjectId: 24 hex characters in either case, kept lower-cased. One
// definition for the filter language, the item codecs, the chat API's path ids and the schemas,
// and the one reading of the time an id carries.

/** The pattern as text, for JSON schemas. */
export const OBJECT_ID_PATTERN = '^[0-9a-fA-F]{24}$'

export const OBJECT_ID = new RegExp(OBJECT_ID_PATTERN)

/** The reason given for a value that is not one. */
export const NOT_AN_OBJECT_ID = 'must be an ObjectId (24 hex characters)'

/** The creation time an ObjectId carries, in ms (its first 4 bytes are seconds). */
export const objectIdTime = (id: string): number => parseInt(id.slice(0, 8), 16) * 1000
