// A list page's search in the URL (issue 15): the filters of the last search, the page and the page size as
// query parameters, so that a reload, 返回 or a shared link shows the same list. A filter equal to its empty
// value is left out; text filters are written as they are, others (numbers, ranges, lists) as JSON.
import type { LocationQuery, LocationQueryRaw } from 'vue-router'

/** The URL parameters a list owns besides its filters. */
export const PAGE_KEY = 'page'
export const SIZE_KEY = 'size'

function sameShape(empty: unknown, value: unknown): boolean {
  if (Array.isArray(empty) || empty === null) return value === null || Array.isArray(value)
  return typeof value === typeof empty
}

/** The filters `empty` has, read from `url` where present and of the right shape; the rest stay empty. */
export function filtersFromUrl<Query extends object>(empty: Query, url: LocationQuery): { query: Query; found: boolean } {
  const query = { ...empty } as Record<string, unknown>
  let found = false
  for (const [key, blank] of Object.entries(empty)) {
    const raw = url[key]
    const text = Array.isArray(raw) ? raw[0] : raw
    if (typeof text !== 'string') continue
    if (typeof blank === 'string') {
      query[key] = text
      found = found || text !== blank
      continue
    }
    try {
      const value: unknown = JSON.parse(text)
      if (sameShape(blank, value)) {
        query[key] = value
        found = true
      }
    } catch {
      // not ours: left empty
    }
  }
  return { query: query as Query, found }
}

/** A positive whole number from the URL, or `fallback`. */
export function numberFromUrl(url: LocationQuery, key: string, fallback: number, allowed?: readonly number[]): number {
  const raw = url[key]
  const n = Number(Array.isArray(raw) ? raw[0] : raw)
  if (!Number.isInteger(n) || n < 1 || (allowed && !allowed.includes(n))) return fallback
  return n
}

/** `current` with the list's own parameters replaced by `filters`, `page` and `size` (defaults left out). */
export function listUrl<Query extends object>(
  current: LocationQuery,
  empty: Query,
  filters: Query,
  page: number,
  size: number,
  defaultSize: number,
): LocationQueryRaw {
  const next: LocationQueryRaw = { ...current }
  for (const [key, blank] of Object.entries(empty)) {
    const value = (filters as Record<string, unknown>)[key]
    delete next[key]
    if (JSON.stringify(value) === JSON.stringify(blank) || value === undefined) continue
    next[key] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  delete next[PAGE_KEY]
  delete next[SIZE_KEY]
  if (page > 1) next[PAGE_KEY] = String(page)
  if (size !== defaultSize) next[SIZE_KEY] = String(size)
  return next
}

/** Whether two URL queries say the same. */
export function sameUrlQuery(a: LocationQueryRaw, b: LocationQueryRaw): boolean {
  const norm = (q: LocationQueryRaw) => JSON.stringify(Object.keys(q).sort().map((k) => [k, q[k]]))
  return norm(a) === norm(b)
}
