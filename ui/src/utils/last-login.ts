// The notice after a successful sign-in about the previous one (SEC-3): when, from where, whether it
// succeeded, and how many failed attempts followed. A warning when anything failed.
import type { LastLogin } from '@/api/types'
import { formatDateTime } from './date'

type Translate = (key: string, named?: Record<string, unknown>, plural?: number) => string

export interface LastLoginNotice {
  title: string
  /** `上次登录：2025-01-31 18:05:09 来自 10.0.0.8（成功）；此后失败 0 次` */
  message: string
  /** Pieces of `message` worth setting apart when it is shown: the time, the address, the failures. */
  highlights: { time: string; ip: string; failures: string }
  /** Only on a warning: what to do if it was not you. */
  hint: string | null
  type: 'info' | 'warning'
}

export function lastLoginNotice(last: LastLogin, t: Translate): LastLoginNotice {
  const failures = Math.max(0, last.failures_since)
  const warning = failures > 0 || !last.success
  const time = formatDateTime(last.at)
  const failuresText = t('lastLogin.failuresSince', { n: failures }, failures)
  const message = t('lastLogin.message', {
    time,
    ip: last.ip,
    result: last.success ? t('lastLogin.success') : t('lastLogin.failure'),
    failures: failuresText,
  })
  return {
    title: t('lastLogin.title'),
    message,
    highlights: { time, ip: last.ip, failures: failuresText },
    hint: warning ? t('lastLogin.hint') : null,
    type: warning ? 'warning' : 'info',
  }
}

/** `message` cut into plain text and highlighted pieces, in order; joined they give `message` back. */
export function noticeSegments(notice: LastLoginNotice): { text: string; mark: keyof LastLoginNotice['highlights'] | null }[] {
  const out: { text: string; mark: keyof LastLoginNotice['highlights'] | null }[] = []
  let rest = notice.message
  for (const mark of ['time', 'ip', 'failures'] as const) {
    const piece = notice.highlights[mark]
    const at = piece ? rest.indexOf(piece) : -1
    if (at < 0) continue
    if (at > 0) out.push({ text: rest.slice(0, at), mark: null })
    out.push({ text: piece, mark })
    rest = rest.slice(at + piece.length)
  }
  if (rest) out.push({ text: rest, mark: null })
  return out
}
