import { describe, expect, it } from 'vitest'
import { MAX_FILLED_DAYS, stockSeries } from '@/utils/stock-chart'

const day = (d: string, increased: number, claimed: number, withdrawn: number, remaining: number) => ({ day: d, increased, claimed, withdrawn, remaining })

describe('stockSeries', () => {
  it('is empty for no days', () => {
    expect(stockSeries([])).toEqual({ days: [], increased: [], claimed: [], withdrawn: [], remaining: [] })
  })

  it('maps each day to the bars and the line, in day order', () => {
    const s = stockSeries([day('2026-11-27', 0, 5, 10, 975), day('2026-11-26', 1000, 10, 0, 990)])
    expect(s.days).toEqual(['2026-11-26', '2026-11-27'])
    expect(s.increased).toEqual([1000, 0])
    expect(s.claimed).toEqual([10, 5])
    expect(s.withdrawn).toEqual([0, 10])
    expect(s.remaining).toEqual([990, 975])
  })

  it('fills days without movements with zeros and the stock of the day before', () => {
    const s = stockSeries([day('2026-12-30', 100, 0, 0, 100), day('2027-01-02', 50, 20, 0, 130)])
    expect(s.days).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02'])
    expect(s.increased).toEqual([100, 0, 0, 50])
    expect(s.claimed).toEqual([0, 0, 0, 20])
    expect(s.remaining).toEqual([100, 100, 100, 130])
  })

  it('crosses month ends and leap days as calendar days', () => {
    const s = stockSeries([day('2028-02-28', 1, 0, 0, 1), day('2028-03-01', 0, 1, 0, 0)])
    expect(s.days).toEqual(['2028-02-28', '2028-02-29', '2028-03-01'])
  })

  it('does not fill a span longer than the limit', () => {
    const s = stockSeries([day('2020-01-01', 1, 0, 0, 1), day('2026-01-01', 0, 1, 0, 0)])
    expect(s.days).toHaveLength(2)
    expect(MAX_FILLED_DAYS).toBeGreaterThan(366)
  })
})
