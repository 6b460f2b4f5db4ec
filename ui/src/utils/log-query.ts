// The log pages' search form → the API's query: exact username, result (true/false), an action (audit log
// only; the server matches it as a prefix), and a time range picked as Beijing wall-clock times. The
// range's end is inclusive to the second on screen and exclusive for the server, hence one second more.
import type { LogQuery } from '@/api/types'
import type { MessageKey } from '@/locales'
import { addSecondsBeijing, beijingToRfc3339, toBeijingWallClock } from './date'

export type ResultFilter = '' | 'success' | 'failure'

export interface LogSearch {
  username: string
  result: ResultFilter
  /** `[from, to]` as `YYYY-MM-DD HH:mm:ss`, Beijing time, or null. */
  range: [string, string] | null
  action?: string
  /** Audit log only: the object, by its business number, part of it, or as stored. */
  target?: string
}

export function emptySearch(): LogSearch {
  return { username: '', result: '', range: null, action: '', target: '' }
}

/** The filters of `search` (no paging), leaving out what is not set. */
export function logFilters(search: LogSearch): LogQuery {
  const query: LogQuery = {}
  const username = search.username.trim()
  if (username) query.username = username
  if (search.result) query.success = search.result === 'success'
  const action = search.action?.trim()
  if (action) query.action = action
  const target = search.target?.trim()
  if (target) query.target = target
  if (search.range) {
    query.from = beijingToRfc3339(search.range[0])
    query.to = beijingToRfc3339(addSecondsBeijing(search.range[1], 1))
  }
  return query
}

/** True when any filter is set (the empty table then says "no match" rather than "no data"). */
export function hasFilters(search: LogSearch): boolean {
  return Object.keys(logFilters(search)).length > 0
}

/** Today 00:00:00 in Beijing, `days` − 1 days back, to the end of today: the pickers' shortcuts. */
export function lastDays(days: number, now: Date = new Date()): [string, string] {
  const today = toBeijingWallClock(now).slice(0, 10)
  const start = toBeijingWallClock(new Date(beijingToRfc3339(`${today} 00:00:00`)).getTime() - (days - 1) * 86_400_000)
  return [start, `${today} 23:59:59`]
}

// The pickers' shortcuts (今天, 最近 7 天, 最近 30 天). The pickers work in the browser's zone, so each Beijing
// wall-clock time becomes the local Date showing the same digits; `value-format` then gives those digits
// back, which logFilters reads as Beijing time.

type Translate = (key: MessageKey) => string

/** The local Date whose wall clock reads `value` (`YYYY-MM-DD HH:mm:ss`). */
export function wallClockDate(value: string): Date {
  const [d = '', t = ''] = value.split(' ')
  const [y, mo, day] = d.split('-').map(Number)
  const [h, mi, s] = t.split(':').map(Number)
  return new Date(y ?? 0, (mo ?? 1) - 1, day ?? 1, h ?? 0, mi ?? 0, s ?? 0)
}

export function rangeShortcuts(t: Translate, days: (n: number) => [string, string] = lastDays) {
  const entry = (text: MessageKey, n: number) => ({ text: t(text), value: () => days(n).map(wallClockDate) })
  return [entry('log.today', 1), entry('log.last7Days', 7), entry('log.last30Days', 30)]
}
