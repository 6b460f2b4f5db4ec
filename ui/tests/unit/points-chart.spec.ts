import { describe, expect, it } from 'vitest'
import { pointsSeries } from '@/utils/points-chart'

const rows = [
  { day: '2026-12-01', org_id: 'a', issued: 100, spent: 10, expired: 0 },
  { day: '2026-12-01', org_id: 'b', issued: 50, spent: 0, expired: 5 },
  { day: '2026-12-03', org_id: 'a', issued: 7, spent: 1, expired: 0 },
]

describe('pointsSeries', () => {
  it('sums every org by day and fills the days without movements with zeros', () => {
    expect(pointsSeries(rows, null, '2026-12-01', '2026-12-03')).toEqual({
      days: ['2026-12-01', '2026-12-02', '2026-12-03'],
      issued: [150, 0, 7],
      spent: [10, 0, 1],
      expired: [5, 0, 0],
    })
  })

  it('keeps to one org when asked', () => {
    expect(pointsSeries(rows, 'b', '2026-12-01', '2026-12-02').issued).toEqual([50, 0])
  })
})
