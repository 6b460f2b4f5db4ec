// The log pages (登录日志, 操作日志): a paged list searched by username, result, time range (and action),
// where paging and 导出 use the filters of the last search — not what is typed but not yet searched.
// 导出 downloads the current search as CSV through the API client (step-up → re-auth dialog → retried).
import { ElMessage } from 'element-plus'
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import type { LogQuery } from '@/api/types'
import type { DownloadedFile } from '@/utils/download'
import { saveFile } from '@/utils/download'
import { emptySearch, hasFilters, logFilters, rangeShortcuts, type LogSearch } from '@/utils/log-query'
import { showError } from '@/utils/notify'
import { useListPage, type PageAnswer, type Paging } from './useListPage'

export interface LogListOptions<Row> {
  list: (query: LogQuery & Paging) => Promise<PageAnswer<Row>>
  export: (query: LogQuery) => Promise<DownloadedFile>
}

export function useLogList<Row>(options: LogListOptions<Row>) {
  const { t } = useI18n()
  /** The filters of the last search, for paging and export (not what is typed but not yet searched). */
  const applied = ref<LogSearch>(emptySearch())
  const list = useListPage<LogSearch, Row>({
    emptyQuery: emptySearch,
    fetch: (paging) => options.list({ ...logFilters(applied.value), ...paging }),
    onSearch: (typed) => {
      applied.value = { ...typed, range: typed.range ? [...typed.range] : null }
    },
  })
  const exporting = ref(false)
  const shortcuts = computed(() => rangeShortcuts(t))
  const filtered = computed(() => hasFilters(applied.value))

  async function onExport(): Promise<void> {
    if (exporting.value) return
    exporting.value = true
    try {
      const file = await options.export(logFilters(applied.value))
      saveFile(file)
      ElMessage({ type: 'success', message: t('log.exported', { file: file.filename }), grouping: true })
    } catch (err) {
      showError(err)
    } finally {
      exporting.value = false
    }
  }

  return { ...list, applied, exporting, shortcuts, filtered, onExport }
}
