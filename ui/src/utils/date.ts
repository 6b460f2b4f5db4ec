// Dates are shown in Asia/Shanghai whatever the browser's zone, as the bank's business day is Beijing time.
export const TIME_ZONE = 'Asia/Shanghai'

function parts(date: Date, options: Intl.DateTimeFormatOptions): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, hourCycle: 'h23', ...options })
  return Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]))
}

/** `2025-01-31 18:05:09` in Beijing time. */
export function formatDateTime(value: Date | string | number): string {
  const p = parts(new Date(value), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** `18:05:09` in Beijing time. */
export function formatTime(value: Date | string | number): string {
  const p = parts(new Date(value), { hour: '2-digit', minute: '2-digit', second: '2-digit' })
  return `${p.hour}:${p.minute}:${p.second}`
}

/** A long date in the UI language, e.g. `2025年1月31日 星期五` or `Friday, January 31, 2025`. */
export function formatLongDate(value: Date | string | number, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'long',
  }).format(new Date(value))
}

/** Beijing is UTC+8 all year (no daylight saving since 1991). */
const BEIJING_OFFSET = '+08:00'
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/

/**
 * A wall-clock time as the date pickers give it (`2025-01-31 18:05:09`), read as Beijing time whatever
 * the browser's zone, in RFC 3339 (`2025-01-31T18:05:09+08:00`) for the API. Throws on anything else.
 */
export function beijingToRfc3339(value: string): string {
  const m = WALL_CLOCK.exec(value.trim())
  if (!m) throw new Error(`not a "YYYY-MM-DD HH:mm:ss" time: ${JSON.stringify(value)}`)
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${BEIJING_OFFSET}`
}

/** `value` (a Date, ms or ISO string) as the pickers' `YYYY-MM-DD HH:mm:ss` in Beijing time. */
export function toBeijingWallClock(value: Date | string | number): string {
  return formatDateTime(value)
}

/** The wall-clock time `seconds` later, still in Beijing time. */
export function addSecondsBeijing(value: string, seconds: number): string {
  return toBeijingWallClock(new Date(beijingToRfc3339(value)).getTime() + seconds * 1000)
}
