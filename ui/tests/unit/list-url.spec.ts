import { describe, expect, it } from 'vitest'
import { filtersFromUrl, listUrl, numberFromUrl, sameUrlQuery } from '@/utils/list-url'
import { rangeInOrder } from '@/utils/range-order'

interface Q {
  name: string
  state: string
  range: [string, string] | null
}
const empty = (): Q => ({ name: '', state: '', range: null })

describe('a list search in the URL', () => {
  it('writes the searched filters, page and size, leaving out empty ones and keeping what is not the list’s', () => {
    const url = listUrl({ tab: 'todo', page: '3' }, empty(), { name: '开门红', state: '', range: ['2026-12-01', '2026-12-07'] }, 2, 50, 20)
    expect(url).toEqual({ tab: 'todo', name: '开门红', range: '["2026-12-01","2026-12-07"]', page: '2', size: '50' })
    expect(listUrl({ name: 'x', page: '2' }, empty(), empty(), 1, 20, 20)).toEqual({})
  })

  it('reads them back as they were written, and nothing of the wrong shape', () => {
    const written = listUrl({}, empty(), { name: 'a b', state: 'Running', range: ['2026-12-01', '2026-12-07'] }, 4, 10, 20)
    const query = Object.fromEntries(Object.entries(written).map(([k, v]) => [k, String(v)]))
    expect(filtersFromUrl(empty(), query)).toEqual({ query: { name: 'a b', state: 'Running', range: ['2026-12-01', '2026-12-07'] }, found: true })
    expect(numberFromUrl(query, 'page', 1)).toBe(4)
    expect(numberFromUrl(query, 'size', 20, [10, 20, 50, 100])).toBe(10)
    expect(filtersFromUrl(empty(), { range: '{"not":"a range"}', other: 'x' })).toEqual({ query: empty(), found: false })
    expect(filtersFromUrl(empty(), { range: 'not json' }).found).toBe(false)
    expect(numberFromUrl({ page: '-2' }, 'page', 1)).toBe(1)
    expect(numberFromUrl({ size: '7' }, 'size', 20, [10, 20])).toBe(20)
  })

  it('compares URL queries whatever their key order', () => {
    expect(sameUrlQuery({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true)
    expect(sameUrlQuery({ a: '1' }, { a: '2' })).toBe(false)
  })
})

describe('a range typed in the wrong order', () => {
  it('is told apart from one in order, with or without times', () => {
    expect(rangeInOrder('2026-12-01', '2026-12-07')).toBe(true)
    expect(rangeInOrder('2026-12-07', '2026-12-01')).toBe(false)
    expect(rangeInOrder('2026-12-07 10:00:00', '2026-12-07 09:59:59')).toBe(false)
    expect(rangeInOrder('2026-12-07 10:00', '2026-12-07 10:00')).toBe(true)
    expect(rangeInOrder('', '2026-12-01')).toBe(true)
    expect(rangeInOrder('nonsense', '2026-12-01')).toBe(true)
  })
})
