// The state and logic every paged list page shares: a query model, page / page size / total, the loaded
// rows, loading and load-failed flags, and search / reset / reload. The server answers a page past the
// last one with an empty page, so such an answer sends the list back to the first page. Inside a routed
// page the last search, the page and the page size are kept in the URL's query (utils/list-url.ts): a
// reload, 返回 or a shared link shows the same list.
import { getCurrentInstance, inject, reactive, ref, type Ref } from 'vue'
import { routeLocationKey, routerKey } from 'vue-router'
import { filtersFromUrl, listUrl, numberFromUrl, PAGE_KEY, sameUrlQuery, SIZE_KEY } from '@/utils/list-url'
import { useLoad } from './useLoad'

export const PAGE_SIZES = [10, 20, 50, 100]
export const DEFAULT_PAGE_SIZE = 20

export interface Paging {
  page: number
  page_size: number
}

export interface PageAnswer<Row> {
  items: Row[]
  total: number
  /** The server stopped counting at `total`: there are more matches than that. */
  total_capped?: boolean
}

export interface ListPageOptions<Query extends object, Row> {
  /** The empty query: the model's first value and what 重置 goes back to. */
  emptyQuery: () => Query
  /** One page of rows for the query model as it is now (or for filters kept elsewhere). */
  fetch: (paging: Paging, query: Query) => Promise<PageAnswer<Row>>
  /** Called with the query model by `search()` (and so by `resetSearch()`) before the first page loads. */
  onSearch?: (query: Query) => void
}

export function useListPage<Query extends object, Row>(options: ListPageOptions<Query, Row>) {
  const query = reactive(options.emptyQuery()) as Query
  const page = ref(1)
  const pageSize = ref(DEFAULT_PAGE_SIZE)
  const rows = ref([]) as Ref<Row[]>
  const total = ref(0)
  const totalCapped = ref(false)
  const showSearch = ref(true)

  // The URL: read once (the filters as the last search), written after each load.
  const router = getCurrentInstance() ? inject(routerKey, null) : null
  const route = getCurrentInstance() ? inject(routeLocationKey, null) : null
  /** The filters of the last search (what the URL keeps), not what is typed but not yet searched. */
  let searched = clone(options.emptyQuery())
  if (route) {
    const { query: fromUrl, found } = filtersFromUrl(options.emptyQuery(), route.query)
    if (found) {
      Object.assign(query, fromUrl)
      searched = clone(query)
      options.onSearch?.(query)
    }
    page.value = numberFromUrl(route.query, PAGE_KEY, 1)
    pageSize.value = numberFromUrl(route.query, SIZE_KEY, DEFAULT_PAGE_SIZE, PAGE_SIZES)
  }

  function keepInUrl(): void {
    if (!router || !route) return
    const next = listUrl(route.query, options.emptyQuery(), searched, page.value, pageSize.value, DEFAULT_PAGE_SIZE)
    if (!sameUrlQuery(next, route.query)) void router.replace({ query: next }).catch(() => {})
  }

  /** Loads the current page; an error is shown and leaves the rows as they were. */
  async function fetchPage(): Promise<void> {
    const answer = await options.fetch({ page: page.value, page_size: pageSize.value }, query)
    // Past the last page the server answers an empty page (and total 0): go back to the first.
    if (answer.items.length === 0 && page.value > 1) {
      page.value = 1
      return await fetchPage()
    }
    rows.value = answer.items
    total.value = answer.total
    totalCapped.value = answer.total_capped ?? false
    keepInUrl()
  }
  const { loading, loadFailed, load } = useLoad(fetchPage)

  /** Searches from the first page. */
  function search(): void {
    searched = clone(query)
    options.onSearch?.(query)
    page.value = 1
    void load()
  }

  /** Empties the query and searches. */
  function resetSearch(): void {
    Object.assign(query, options.emptyQuery())
    search()
  }

  /** The pagination's size change: back to the first page. */
  function onPageSize(size: number): void {
    pageSize.value = size
    page.value = 1
    void load()
  }

  return { query, page, pageSize, rows, total, totalCapped, loading, loadFailed, showSearch, load, search, resetSearch, onPageSize }
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
