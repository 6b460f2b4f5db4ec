// Shows an API error as a toast: the (server-localized) message, with the code and request id in small
// type beside it, selectable, because staff quote the request id to support.
import { ElMessage } from 'element-plus'
import { h } from 'vue'
import { asApiError, describeError } from '@/api/error'
import { i18n } from '@/locales'

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
