// The code lists (码值), loaded once per session for labels anywhere in the UI (e.g. the login log's
// reasons) and reloaded by the 码值管理 page after a change. A failed load leaves the codes unlabelled.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { listDictionaries } from '@/api/system/dictionary'
import type { Dictionary } from '@/api/types'
import { currentLocale } from '@/locales'
import { dictionaryLabel } from '@/utils/dictionary-rules'

export const useDictionaryStore = defineStore('dictionary', () => {
  const lists = ref<Dictionary[]>([])
  let loading: Promise<Dictionary[]> | null = null
  let loaded = false

  /** The lists from the server; `force` reloads them. Concurrent callers share one request. */
  async function load(force = false): Promise<Dictionary[]> {
    if (loaded && !force) return lists.value
    if (!loading) {
      loading = listDictionaries()
        .then((answer) => {
          lists.value = answer
          loaded = true
          return answer
        })
        .finally(() => {
          loading = null
        })
    }
    return loading
  }

  /** The label of `code` in list `type` in the UI language, or the code. */
  function label(type: string, code: string): string {
    return dictionaryLabel(lists.value, type, code, currentLocale())
  }

  function $reset(): void {
    lists.value = []
    loaded = false
  }

  return { lists, load, label, $reset }
})
