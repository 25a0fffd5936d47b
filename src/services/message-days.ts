// Messages per day (GET /admin/chat/messages/per_day): how many messages the Messages List filters
// match on each UTC day of created_at, for the console's chart. Parameters are read by the list
// language, so a filter means what it means on the list and fails the same way; what a count by day
// has no use for (paging, sorting, count) is refused by name rather than ignored.
import { AppError, ParameterErrors } from '../errors.ts'
import { ADMIN_MESSAGES } from '../query/catalogue.ts'
import { parseListQuery } from '../query/parse.ts'
import { planList } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import { countPerDay, DAY_MS } from '../store/message-days.ts'

/** The longest answer: a little over a year of days, a chart's worth. */
export const MAX_DAYS = 400

export interface DayTotal {
  /** UTC day, YYYY-MM-DD. */
  day: string
  count: number
}

const REFUSED = new Set(['limit', 'skip', 'count', 'sort_asc', 'sort_desc'])
const UNPAGED = 'not accepted: the answer is every day the filters match, in day order'

export async function messagesPerDay(store: Store, params: Record<string, unknown>): Promise<DayTotal[]> {
  const errors = new ParameterErrors()
  const filters: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(params)) {
    if (REFUSED.has(name)) errors.add(name, UNPAGED)
    else filters[name] = value
  }
  let conditions
  try {
    conditions = planList(parseListQuery(filters, ADMIN_MESSAGES), ADMIN_MESSAGES).conditions
  } catch (error) {
    if (!(error instanceof AppError) || Array.isArray(error.details)) throw error
    for (const [name, messages] of Object.entries(error.details)) for (const m of messages) errors.add(name, m)
  }
  errors.throwIfAny()

  const counted = await countPerDay(store, conditions!, MAX_DAYS)
  if (counted.length === 0) return []
  const first = counted[0]!.day
  const last = counted[counted.length - 1]!.day
  const span = last - first + 1
  if (counted.length > MAX_DAYS || span > MAX_DAYS) {
    const what = counted.length > MAX_DAYS ? `more than ${MAX_DAYS} days` : `${span} days (${dayText(first)} to ${dayText(last)})`
    throw new AppError('bad_parameter', {
      created_at: [`the matching messages span ${what}; at most ${MAX_DAYS}: narrow the range with created_at[gte] and created_at[lt]`],
    })
  }
  // Every day from the first to the last, the empty ones too: a chart's gaps are data.
  const byDay = new Map(counted.map((c) => [c.day, c.count]))
  return Array.from({ length: span }, (_, i) => ({ day: dayText(first + i), count: byDay.get(first + i) ?? 0 }))
}

const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)
