// parseTime reads the usual form (whole seconds, UTC) by a shortcut that keeps the last date; it
// must answer exactly as Date.parse behind the ISO pattern does, invalid dates and clocks included,
// and formatTime must read back to the same ms.
import { describe, expect, it } from 'vitest'
import { formatTime, parseTime } from '../../src/services/time.ts'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
const reference = (text: string): number | null => (ISO.test(text) && Number.isFinite(Date.parse(text)) ? Date.parse(text) : null)
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

describe('parseTime', () => {
  it('answers as Date.parse does for every date and clock, valid or not', () => {
    const texts: string[] = []
    for (const year of [1, 1969, 1970, 2000, 2023, 2024, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 1, 28, 29, 30, 31, 32]) {
          for (const [h, m, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [12, 60, 0], [1, 2, 60], [9, 9, 9]] as const) {
            texts.push(`${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(m)}:${pad(s)}Z`)
          }
        }
      }
    }
    texts.push('2022-02-17T11:01:40.250Z', '2022-02-17T11:01:40+02:00', '2022-02-17 11:01:40Z', '2022-02-17T11:01:40', '', 'yesterday')
    for (const text of texts) expect(parseTime(text), text).toBe(reference(text))
  })

  it('reads back what formatTime writes', () => {
    for (let ms = Date.UTC(2023, 11, 31, 22); ms < Date.UTC(2024, 0, 1, 2); ms += 977_000) expect(parseTime(formatTime(ms))).toBe(ms)
  })
})
