// The integers a 32-bit column holds: PostgreSQL's `integer` and `serial` (users.id, dialogs.type,
// occupants_count, views_count, users.timezone). Comparing or storing a value outside them is an
// error there (22003, a 500), where SQLite would match nothing or store it: so a wider value is the
// caller's error, refused alike on both stores. One definition for the filter language, the user
// ids of the APIs, and the store's look-ups by user id.

export const INT32_MIN = -(2 ** 31)
export const INT32_MAX = 2 ** 31 - 1

export const isInt32 = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= INT32_MIN && (n as number) <= INT32_MAX
