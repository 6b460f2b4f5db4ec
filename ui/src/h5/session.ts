// The customer's session: opened once from the assertion mobile banking put in the address
// (`/h5/?assertion=…`), which is then taken out of the address bar and history.
import { ref } from 'vue'
import type { ApiError } from '@/api/error'
import { asApiError } from '@/api/error'
import { h5, ok } from './api'

/** Why the last exchange was refused, shown on the 我的 page. */
export const exchangeError = ref<ApiError | null>(null)

/** Exchanges the address's assertion, if any, for a session; the assertion leaves the address either way. */
export async function openFromAddress(): Promise<void> {
  const url = new URL(window.location.href)
  const assertion = url.searchParams.get('assertion')
  if (!assertion) return
  url.searchParams.delete('assertion')
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
  try {
    await ok(h5.POST('/api/h5/v1/sessions', { body: { assertion } }))
    exchangeError.value = null
  } catch (e) {
    exchangeError.value = asApiError(e)
  }
}
