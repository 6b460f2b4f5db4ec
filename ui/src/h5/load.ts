// Loading a page's data: the value, whether the customer must first open the mall from mobile
// banking, and any other failure's message.
import { ref, type Ref } from 'vue'
import { asApiError } from '@/api/error'
import { NOT_SIGNED_IN } from './api'

export interface Loaded<T> {
  data: Ref<T | null>
  signedOut: Ref<boolean>
  error: Ref<string | null>
  reload: () => Promise<void>
}

export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const data = ref<T | null>(null) as Ref<T | null>
  const signedOut = ref(false)
  const error = ref<string | null>(null)
  async function reload(): Promise<void> {
    try {
      data.value = await load()
      error.value = null
    } catch (e) {
      const err = asApiError(e)
      signedOut.value = err.code === NOT_SIGNED_IN
      error.value = err.message || '加载失败，请稍后再试'
    }
  }
  return { data, signedOut, error, reload }
}
