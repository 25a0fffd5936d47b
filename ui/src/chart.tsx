// Messages per day as SVG bars: one bar per UTC day the per_day endpoint returns (it fills empty
// days with 0), scaled to the busiest day, so a spike stands out. No chart library.
import type { DayCount } from './api.ts'

const WIDTH = 800
const HEIGHT = 140

export function DayChart({ days }: { days: DayCount[] }) {
  if (days.length === 0) return <p class="muted">No messages match these filters.</p>
  const most = Math.max(1, ...days.map((d) => d.count))
  const total = days.reduce((n, d) => n + d.count, 0)
  const slot = WIDTH / days.length
  // Thin for a year of days, never a slab for a few.
  const bar = Math.min(WIDTH / 12, Math.max(1, slot * 0.8))
  return (
    <figure class="chart" aria-label="Messages per day">
      <figcaption>
        Messages per day (UTC): {total} over {days.length} day{days.length === 1 ? '' : 's'}, busiest {most}
      </figcaption>
      {/* Stretched to the pane's width (bars only, so nothing is distorted); the day labels are HTML. */}
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`Messages per day, ${days[0]!.day} to ${days[days.length - 1]!.day}`}>
        {days.map((d, i) => {
          const h = (d.count / most) * HEIGHT
          return (
            <rect class="bar" data-day={d.day} data-count={d.count} x={i * slot + (slot - bar) / 2} y={HEIGHT - h} width={bar} height={h}>
              <title>{`${d.day}: ${d.count}`}</title>
            </rect>
          )
        })}
        <line class="axis" x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} />
      </svg>
      <div class="days">
        <span>{days[0]!.day}</span>
        <span>{days[days.length - 1]!.day}</span>
      </div>
    </figure>
  )
}
