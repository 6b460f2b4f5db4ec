// The process kinds the server runs (GET /api/v1/process-kinds): loaded once the user may use the system
// (the layout asks, and so does any component naming a type or a state, sharing one request), cleared
// at sign-out. Process type names, state names and the type and state filters of 待办任务 and 流程监控
// come from here, in the UI language. A failed load leaves codes shown as they are; the next use retries.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { listProcessKinds, type ProcessKind } from '@/api/process/kind'
import { processTypeLabel, processTypeOptions, stateLabel, stateOptions, type CodeOption, type StateLabel } from '@/utils/process-labels'

export const useProcessKindStore = defineStore('processKind', () => {
  const kinds = ref<ProcessKind[]>([])
  let loading: Promise<ProcessKind[]> | null = null
  let loaded = false
  /** Bumped by `clear`, so that an answer arriving after sign-out is dropped. */
  let generation = 0

  /** The kinds from the server, fetched once; concurrent callers share one request. */
  async function load(): Promise<ProcessKind[]> {
    if (loaded) return kinds.value
    if (!loading) {
      const mine = generation
      loading = listProcessKinds()
        .then((answer) => {
          if (mine === generation) {
            kinds.value = answer
            loaded = true
          }
          return answer
        })
        .finally(() => {
          if (mine === generation) loading = null
        })
    }
    return loading
  }

  /** Loads them unless loaded or on the way; a failure is silent (codes stay as they are). */
  function ensure(): void {
    if (!loaded && !loading) load().catch(() => {})
  }

  function clear(): void {
    generation++
    kinds.value = []
    loading = null
    loaded = false
  }

  return { kinds, load, ensure, clear }
})

/** Names and filter options in the current language, for components (uses the caller's i18n). */
export function useProcessKinds() {
  const store = useProcessKindStore()
  const { locale } = useI18n()
  store.ensure()
  return {
    /** 营销活动, 库存变动审批 …; an unknown code as it is. */
    typeLabel: (code: string): string => processTypeLabel(code, store.kinds, locale.value),
    /** A state's name and colour, from the diagram of `kind` when given. */
    stateLabel: (state: string, kind?: string): StateLabel => stateLabel(state, store.kinds, locale.value, kind),
    /** Every kind, for a type filter. */
    typeOptions: computed<CodeOption[]>(() => processTypeOptions(store.kinds, locale.value)),
    /** The states of `kind`, or of every kind, for a state filter. */
    stateOptions: (kind?: string): CodeOption[] => stateOptions(store.kinds, locale.value, kind),
  }
}
