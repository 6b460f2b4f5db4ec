// Shows an API error as a toast: the (server-localized) message, with the code and request id in small
// type beside it, selectable, because staff quote the request id to support. Also the last-login notice.
import { ElMessage, ElNotification } from 'element-plus'
import { h } from 'vue'
import { asApiError, describeError } from '@/api/error'
import type { LastLogin } from '@/api/types'
import { i18n } from '@/locales'
import { lastLoginNotice, noticeSegments } from './last-login'

export function showError(err: unknown): void {
  const e = asApiError(err)
  // A 401 has already sent the user to the login page (see main.ts); one notice is enough.
  if (e.status === 401) return
  const t = i18n.global.t as (key: string, named?: Record<string, unknown>) => string
  const d = describeError(e, t)
  const meta = d.requestId ? `${d.code} · ${t('error.requestId')} ${d.requestId}` : d.code
  ElMessage({
    type: 'error',
    showClose: true,
    duration: 8000,
    grouping: true,
    customClass: 'qy-error-message',
    message: h('div', { class: 'qy-error' }, [
      h('span', { class: 'qy-error__text' }, d.message),
      h('small', { class: 'qy-error__meta', 'data-testid': 'error-request-id' }, meta),
    ]),
  })
}

/** How long the last-login notice stays, so it can be read (it has a close button). */
export const LAST_LOGIN_NOTICE_MS = 10_000

/** After sign-in: the previous sign-in, below the top bar on the right, as a warning if anything failed. */
export function showLastLoginNotice(last: LastLogin | null | undefined): void {
  if (!last) return
  const notice = lastLoginNotice(last, i18n.global.t as Parameters<typeof lastLoginNotice>[1])
  ElNotification({
    type: notice.type,
    title: notice.title,
    duration: LAST_LOGIN_NOTICE_MS,
    position: 'top-right',
    // Below the 60 px top bar, so the user menu stays usable.
    offset: 68,
    showClose: true,
    customClass: `qy-last-login qy-last-login--${notice.type}`,
    message: h('div', { class: 'qy-last-login__body', 'data-testid': 'last-login-notice', 'data-type': notice.type }, [
      h(
        'p',
        { class: 'qy-last-login__text' },
        noticeSegments(notice).map((s) => (s.mark ? h('span', { class: `qy-last-login__${s.mark}` }, s.text) : s.text)),
      ),
      notice.hint ? h('p', { class: 'qy-last-login__hint' }, notice.hint) : null,
    ]),
  })
}
