import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useListPage, type Paging } from '@/composables/useListPage'
import { useLoad } from '@/composables/useLoad'
import { showError } from '@/utils/notify'

vi.mock('@/utils/notify', () => ({ showError: vi.fn() }))

interface Query {
  q: string
}

function pageOf(n: number, total: number) {
  return { items: Array.from({ length: n }, (_, i) => i), total }
}

beforeEach(() => {
  vi.mocked(showError).mockReset()
})

describe('useListPage', () => {
  it('loads the page with the query and keeps rows and total', async () => {
    const fetch = vi.fn((_paging: Paging, _query: Query) => Promise.resolve(pageOf(3, 43)))
    const list = useListPage<Query, number>({ emptyQuery: () => ({ q: '' }), fetch })
    list.query.q = 'ad'
    list.page.value = 3
    await list.load()
    expect(fetch).toHaveBeenCalledWith({ page: 3, page_size: 20 }, { q: 'ad' })
    expect(list.rows.value).toEqual([0, 1, 2])
    expect(list.total.value).toBe(43)
    expect(list.loading.value).toBe(false)
    expect(list.loadFailed.value).toBe(false)
  })

  it('goes back to the first page when the page is past the end', async () => {
    const fetch = vi.fn((paging: Paging) => Promise.resolve(paging.page === 1 ? pageOf(2, 2) : pageOf(0, 0)))
    const list = useListPage<Query, number>({ emptyQuery: () => ({ q: '' }), fetch })
    list.page.value = 4
    await list.load()
    expect(fetch.mock.calls.map(([p]) => p.page)).toEqual([4, 1])
    expect(list.page.value).toBe(1)
    expect(list.rows.value).toEqual([0, 1])
    expect(list.total.value).toBe(2)
  })

  it('does not leave an empty first page', async () => {
    const fetch = vi.fn(() => Promise.resolve(pageOf(0, 0)))
    const list = useListPage<Query, number>({ emptyQuery: () => ({ q: '' }), fetch })
    await list.load()
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(list.rows.value).toEqual([])
  })

  it('searches and resets from the first page, telling onSearch the query', async () => {
    const fetch = vi.fn(() => Promise.resolve(pageOf(1, 1)))
    const onSearch = vi.fn()
    const list = useListPage<Query, number>({ emptyQuery: () => ({ q: '' }), fetch, onSearch })
    list.page.value = 5
    list.query.q = 'x'
    list.search()
    await flushPromises()
    expect(onSearch).toHaveBeenLastCalledWith({ q: 'x' })
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 20 }, { q: 'x' })
    list.page.value = 2
    list.resetSearch()
    await flushPromises()
    expect(list.query.q).toBe('')
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 20 }, { q: '' })
  })

  it('a new page size starts from the first page', async () => {
    const fetch = vi.fn(() => Promise.resolve(pageOf(1, 1)))
    const list = useListPage<Query, number>({ emptyQuery: () => ({ q: '' }), fetch })
    list.page.value = 3
    list.onPageSize(50)
    await flushPromises()
    expect(list.pageSize.value).toBe(50)
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 50 }, { q: '' })
  })

  it('a failed load is shown, marked, and keeps the rows', async () => {
    const fetch = vi.fn().mockResolvedValueOnce(pageOf(2, 2)).mockRejectedValueOnce(new Error('down'))
    const list = useListPage<Query, number>({ emptyQuery: () => ({ q: '' }), fetch })
    await list.load()
    await list.load()
    expect(list.loadFailed.value).toBe(true)
    expect(list.loading.value).toBe(false)
    expect(list.rows.value).toEqual([0, 1])
    expect(showError).toHaveBeenCalledWith(new Error('down'))
  })
})

describe('useLoad', () => {
  it('sets loading while running and clears loadFailed after a success', async () => {
    let finish: () => void = () => {}
    const { loading, loadFailed, load } = useLoad(() => new Promise<void>((r) => (finish = r)))
    loadFailed.value = true
    const running = load()
    expect(loading.value).toBe(true)
    finish()
    await running
    expect(loading.value).toBe(false)
    expect(loadFailed.value).toBe(false)
    expect(showError).not.toHaveBeenCalled()
  })

  it('passes its arguments on', async () => {
    const task = vi.fn((_force?: boolean) => Promise.resolve())
    const { load } = useLoad(task)
    await load(false)
    expect(task).toHaveBeenCalledWith(false)
  })
})
