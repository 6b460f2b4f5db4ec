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
