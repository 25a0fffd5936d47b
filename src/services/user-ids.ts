// What the APIs take for a user id, and the one wording of a value that is not one: a positive
// integer that fits users.id (a serial: 32 bits on PostgreSQL). The chat API and the admin Dialog
// Update check ids in bodies here; whether such a user exists is each caller's own question.
import type { ParameterErrors } from '../errors.ts'
import { isInt32 } from '../int32.ts'

const MAX_IDS = 1000

export const isUserId = (n: unknown): n is number => isInt32(n) && n > 0

/** The reason given for a value that is not a user id: `1e+300 is not a user id`. */
export const notAUserId = (value: unknown): string => `${JSON.stringify(value)} is not a user id`

/** `45,78`, `[45, 78]` or `["45", "78"]` → user ids, without repeats; problems are added under `name`. */
export function parseIdList(raw: unknown, name: string, errors: ParameterErrors): number[] {
  if (raw === undefined || raw === null || raw === '') return []
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : typeof raw === 'number' ? [raw] : null
  if (parts === null) {
    errors.add(name, 'expected user ids: 45,78 or [45, 78]')
    return []
  }
  const out: number[] = []
  for (const p of parts) {
    const n = typeof p === 'number' ? p : typeof p === 'string' && /^\s*\d{1,15}\s*$/.test(p) ? Number(p) : NaN
    if (!isUserId(n)) {
      errors.add(name, notAUserId(p))
      continue
    }
    if (!out.includes(n)) out.push(n)
  }
  if (out.length > MAX_IDS) errors.add(name, `at most ${MAX_IDS} ids`)
  return out
}
