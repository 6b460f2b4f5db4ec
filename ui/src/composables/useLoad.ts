// A page's load: `loading` while it runs, `loadFailed` after it failed (the table then offers 重试), and
// the error shown. `load` never rejects.
import { ref } from 'vue'
import { showError } from '@/utils/notify'

export function useLoad<Args extends unknown[]>(task: (...args: Args) => Promise<void>) {
  const loading = ref(false)
  const loadFailed = ref(false)

  async function load(...args: Args): Promise<void> {
    loading.value = true
    try {
      await task(...args)
      loadFailed.value = false
    } catch (err) {
      loadFailed.value = true
      showError(err)
    } finally {
      loading.value = false
    }
  }

  return { loading, loadFailed, load }
}
