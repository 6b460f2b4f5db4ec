import { describe, expect, it } from 'vitest'
import { formatDateTime, formatLongDate, formatTime } from '@/utils/date'

describe('dates in Asia/Shanghai', () => {
  it('shows a UTC instant in Beijing time whatever the machine zone', () => {
    expect(formatDateTime('2025-01-31T16:30:05Z')).toBe('2025-02-01 00:30:05')
    expect(formatTime(Date.UTC(2025, 0, 1, 0, 0, 9))).toBe('08:00:09')
  })

  it('writes a long date in the UI language', () => {
    expect(formatLongDate('2025-01-31T16:30:05Z', 'zh-CN')).toContain('2025年2月1日')
    expect(formatLongDate('2025-01-31T16:30:05Z', 'en')).toContain('February 1, 2025')
  })
})
