// 积分账户's chart: the server's rows (one per org and Beijing day with a movement) → the series of one org
// or of all of them summed, a point per day from the first day to the last (days without movements are 0).

export interface PointsDayInput {
  /** `YYYY-MM-DD`, a Beijing day. */
  day: string
  org_id?: string | null
  issued: number
  spent: number
  expired: number
}

export interface PointsSeries {
  days: string[]
  issued: number[]
  spent: number[]
  expired: number[]
}

const MS_PER_DAY = 86_400_000

function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`)
}

/** The series of `org` (every org when `null`), day by day from `from` to `to` inclusive. */
export function pointsSeries(rows: readonly PointsDayInput[], org: string | null, from: string, to: string): PointsSeries {
  const byDay = new Map<string, { issued: number; spent: number; expired: number }>()
  for (const r of rows) {
    if (org !== null && r.org_id !== org) continue
    const sum = byDay.get(r.day) ?? { issued: 0, spent: 0, expired: 0 }
    sum.issued += r.issued
    sum.spent += r.spent
    sum.expired += r.expired
    byDay.set(r.day, sum)
  }
  const out: PointsSeries = { days: [], issued: [], spent: [], expired: [] }
  const end = dayMs(to)
  for (let ms = dayMs(from); Number.isFinite(ms) && ms <= end && out.days.length <= 400; ms += MS_PER_DAY) {
    const day = new Date(ms).toISOString().slice(0, 10)
    const sum = byDay.get(day) ?? { issued: 0, spent: 0, expired: 0 }
    out.days.push(day)
    out.issued.push(sum.issued)
    out.spent.push(sum.spent)
    out.expired.push(sum.expired)
  }
  return out
}
