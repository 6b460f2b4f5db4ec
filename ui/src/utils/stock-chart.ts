// 权益库存变动查询's chart: the server's day-by-day totals (Beijing days that had a movement) → the series
// the chart draws. Days without movements between two that had some are filled in — nothing moved, the
// stock stayed what it was — so that the axis is a calendar and the line does not jump over gaps.

export interface StockDayInput {
  /** `YYYY-MM-DD`, a Beijing day. */
  day: string
  increased: number
  claimed: number
  withdrawn: number
  /** Unclaimed stock at the end of the day. */
  remaining: number
}

export interface StockSeries {
  days: string[]
  increased: number[]
  claimed: number[]
  withdrawn: number[]
  remaining: number[]
}

/** Longer spans are drawn as given (a bar per day with movements), not filled day by day. */
export const MAX_FILLED_DAYS = 400

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const MS_PER_DAY = 86_400_000

function dayNumber(day: string): number | null {
  const m = DAY.exec(day)
  if (!m) return null
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY
}

function dayText(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10)
}

/** The chart's series, days in order, gaps filled with zero movements and the previous day's stock. */
export function stockSeries(input: readonly StockDayInput[]): StockSeries {
  const sorted = [...input].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
  const out: StockSeries = { days: [], increased: [], claimed: [], withdrawn: [], remaining: [] }
  const push = (day: string, inc: number, cl: number, wd: number, rem: number) => {
    out.days.push(day)
    out.increased.push(inc)
    out.claimed.push(cl)
    out.withdrawn.push(wd)
    out.remaining.push(rem)
  }
  const first = sorted[0] ? dayNumber(sorted[0].day) : null
  const last = sorted.length ? dayNumber(sorted[sorted.length - 1]!.day) : null
  const fill = first !== null && last !== null && last - first < MAX_FILLED_DAYS && sorted.every((d) => dayNumber(d.day) !== null)
  let previous: number | null = null
  let stock = 0
  for (const d of sorted) {
    const n = dayNumber(d.day)
    if (fill && previous !== null && n !== null) {
      for (let gap = previous + 1; gap < n; gap++) push(dayText(gap), 0, 0, 0, stock)
    }
    push(d.day, d.increased, d.claimed, d.withdrawn, d.remaining)
    stock = d.remaining
    previous = n
  }
  return out
}
