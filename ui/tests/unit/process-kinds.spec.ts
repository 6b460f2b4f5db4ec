// The process kinds come from the server (GET /api/v1/process-kinds): the call, the store that loads them
// once, and 流程监控 and 待办任务 naming types and states and offering their filters from the answer, against
// a fake server that answers like the real one.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type * as Client from '@/api/client'
import { configureClient, resetClientHooks } from '@/api/client'
import { listProcessKinds, PROCESS_KINDS_PATH } from '@/api/process/kind'
import type { ProcessRow, Task } from '@/api/types'
import ProcessStateTag from '@/components/ProcessStateTag.vue'
import { permission } from '@/directives/permission'
import { i18n, setLocale } from '@/locales'
import { useProcessKindStore } from '@/stores/process-kind'
import MonitorView from '@/views/process/monitor/index.vue'
import TaskView from '@/views/process/task/index.vue'
import { PROCESS_KINDS } from './fixtures/process-kinds'
import { errorBody, json, settle } from './helpers'

// The typed calls use the app's one client: route it to a fake server whose answers each test sets.
const fake = vi.hoisted(() => ({
  answer: null as null | ((req: Request, n: number) => Response),
  seen: [] as Request[],
  counts: new Map<string, number>(),
}))
vi.mock('@/api/client', async (importOriginal) => {
  const actual = await importOriginal<typeof Client>()
  const fetch = async (input: RequestInfo | URL) => {
    const req = input as Request
    fake.seen.push(req)
    const path = new URL(req.url).pathname
    const n = (fake.counts.get(path) ?? 0) + 1
    fake.counts.set(path, n)
    if (!fake.answer) throw new Error('no fake answer set')
    return fake.answer(req, n)
  }
  return { ...actual, client: actual.createApiClient({ baseUrl: 'http://quanyi.test', fetch: fetch as typeof globalThis.fetch }) }
})

const calls = (path: string) => fake.seen.filter((r) => new URL(r.url).pathname === path)

const AT = '2026-11-26T02:00:00Z'
const processRow = (over: Partial<ProcessRow>): ProcessRow => ({
  workflow_id: 'campaign-c-1',
  business_key: 'c-1',
  business_no: 'HD20261126000001',
  process_type: 'campaign',
  state: 'FirstReview',
  title: '开门红存款有礼',
  org_name: '城东分行',
  started_by: 'planner',
  started_at: AT,
  updated_at: AT,
  ended_at: null,
  overdue: false,
  ...over,
})
const PROCESSES: ProcessRow[] = [
  processRow({}),
  processRow({ workflow_id: 'stock-change-r-7', business_key: 'r-7', process_type: 'stock-change', state: 'UnderReview', title: 'DEMO-MJ 库存 +5000' }),
  // A kind this UI has never heard of, in a state nobody named: shown as they are.
  processRow({ workflow_id: 'refund-o-9', business_key: 'o-9', process_type: 'refund', state: 'AwaitingMerchant', title: '退款 o-9' }),
]
const task = (over: Partial<Task>): Task => ({
  id: '7d1c3c1e-7a43-4b59-9d0e-1f0a4c1b2d3e',
  workflow_id: 'campaign-c-1',
  business_key: 'c-1',
  business_no: 'HD20261126000001',
  kind: 'approval',
  process_type: 'campaign',
  state: 'FirstReview',
  title: '开门红存款有礼',
  step: 'approval',
  level: 1,
  level_name: '初审',
  status: 'open',
  overdue: false,
  created_at: AT,
  ...over,
})

/** Serves the kinds (or `kinds`), the processes and the tasks; records the query strings. */
function serve(kinds: (n: number) => Response = () => json(200, PROCESS_KINDS)) {
  fake.answer = (req, n) => {
    const path = new URL(req.url).pathname
    if (path === PROCESS_KINDS_PATH) return kinds(n)
    if (path === '/api/v1/processes') return json(200, { items: PROCESSES, total: PROCESSES.length })
    if (path === '/api/v1/tasks') return json(200, { items: [task({}), task({ id: 'a2', workflow_id: 'stock-change-r-7', process_type: 'stock-change', state: 'UnderReview' })], total: 2 })
    return json(404, errorBody('QY-REQ-0404'))
  }
}

function router() {
  return createRouter({ history: createMemoryHistory(), routes: [{ path: '/:any(.*)*', component: { template: '<div />' } }] })
}

async function mountPage(view: typeof MonitorView | typeof TaskView) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const r = router()
  await r.push('/')
  const w = mount(view, { global: { plugins: [pinia, i18n, r], directives: { permission }, stubs: { transition: false } }, attachTo: document.body })
  await settle()
  await flushPromises()
  return w
}

/** The texts of the options of the select `testid`, opened as a user would. */
async function optionsOf(testid: string): Promise<string[]> {
  document.body.querySelector<HTMLElement>(`.el-select[data-testid="${testid}"] .el-select__wrapper`)?.click()
  await flushPromises()
  const popper = [...document.body.querySelectorAll<HTMLElement>('.el-select-dropdown')].filter((p) => p.closest('.el-popper')?.getAttribute('aria-hidden') !== 'true').at(-1)
  return [...(popper?.querySelectorAll<HTMLElement>('.el-select-dropdown__item') ?? [])].map((o) => o.textContent?.trim() ?? '')
}

async function pick(testid: string, text: string): Promise<void> {
  await optionsOf(testid)
  const option = [...document.body.querySelectorAll<HTMLElement>('.el-select-dropdown__item')].filter((o) => o.textContent?.trim() === text).at(-1)
  if (!option) throw new Error(`no option ${text} in ${testid}`)
  option.click()
  await flushPromises()
}

const columnTexts = (w: ReturnType<typeof mount>, column: number) =>
  w.findAll('[data-testid="processes-table"] .el-table__body tr').map((tr) => tr.findAll('td')[column]?.text() ?? '')

beforeEach(() => {
  setLocale('zh-CN')
  document.body.innerHTML = ''
  fake.answer = null
  fake.seen.length = 0
  fake.counts.clear()
})

describe('GET /api/v1/process-kinds', () => {
  it('is one GET through the app client (CSRF header, language) answering the kinds', async () => {
    serve()
    configureClient({ language: () => 'en' })
    await expect(listProcessKinds()).resolves.toEqual(PROCESS_KINDS)
    resetClientHooks()
    const [req] = calls(PROCESS_KINDS_PATH)
    expect(req?.method).toBe('GET')
    expect(req?.headers.get('X-Requested-With')).toBe('quanyi')
    expect(req?.headers.get('Accept-Language')).toBe('en')
  })
})

describe('the process-kind store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('asks once, however many ask at the same time or later', async () => {
    serve()
    const store = useProcessKindStore()
    store.ensure()
    const [a, b] = await Promise.all([store.load(), store.load()])
    store.ensure()
    await store.load()
    expect(a).toEqual(PROCESS_KINDS)
    expect(b).toBe(a)
    expect(store.kinds.map((k) => k.code)).toEqual(['campaign', 'stock-change'])
    expect(calls(PROCESS_KINDS_PATH)).toHaveLength(1)
  })

  it('leaves codes as they are when the server fails, and asks again on the next use', async () => {
    serve((n) => (n === 1 ? json(500, errorBody('QY-SYS-0001')) : json(200, PROCESS_KINDS)))
    const store = useProcessKindStore()
    await expect(store.load()).rejects.toMatchObject({ status: 500 })
    expect(store.kinds).toEqual([])
    store.ensure()
    await settle()
    expect(store.kinds).toHaveLength(2)
    expect(calls(PROCESS_KINDS_PATH)).toHaveLength(2)
  })

  it('forgets them at sign-out, also an answer still on its way', async () => {
    let release: (r: Response) => void = () => {}
    fake.answer = () => new Promise<Response>((resolve) => (release = resolve)) as unknown as Response
    const store = useProcessKindStore()
    const late = store.load()
    await settle()
    expect(calls(PROCESS_KINDS_PATH)).toHaveLength(1)
    store.clear()
    release(json(200, PROCESS_KINDS))
    await late
    expect(store.kinds).toEqual([])
    serve()
    await store.load()
    expect(store.kinds).toHaveLength(2)
  })

  it('names a state tag from the kinds once they are there, in the UI language', async () => {
    serve()
    const pinia = createPinia()
    setActivePinia(pinia)
    const w = mount(ProcessStateTag, { props: { state: 'UnderReview', kind: 'stock-change' }, global: { plugins: [pinia, i18n] } })
    expect(w.text()).toBe('UnderReview')
    await settle()
    expect(w.text()).toBe('审批中')
    expect(w.classes()).toContain('el-tag--warning')
    setLocale('en')
    await flushPromises()
    expect(w.text()).toBe('Under review')
    expect(calls(PROCESS_KINDS_PATH)).toHaveLength(1)
  })
})

describe('流程监控 with the kinds from the server', () => {
  it('names each type and state from the kinds, and an unknown one as it is', async () => {
    serve()
    const w = await mountPage(MonitorView)
    expect(columnTexts(w, 1)).toEqual(['营销活动', '库存变动审批', 'refund'])
    expect(w.findAll('[data-testid="state-tag"]').map((tag) => tag.text())).toEqual(['待初审', '审批中', 'AwaitingMerchant'])
    const unknown = w.findAll('[data-testid="state-tag"]')[2]!
    expect(unknown.classes()).toEqual(expect.arrayContaining(['el-tag--info', 'el-tag--plain']))
    w.unmount()
  })

  it("offers the server's kinds as types, and the chosen type's states", async () => {
    serve()
    const w = await mountPage(MonitorView)
    expect(await optionsOf('process-search-type')).toEqual(['营销活动', '库存变动审批'])
    // No type chosen: every kind's states, each once.
    expect(await optionsOf('process-search-state')).toEqual(['草稿', '待初审', '待复核', '待发布', '进行中', '已暂停', '已结束', '已评估', '已驳回', '已取消', '已申请', '审批中', '已入库', '已撤回'])
    await pick('process-search-type', '库存变动审批')
    expect(await optionsOf('process-search-state')).toEqual(['已申请', '审批中', '已入库', '已驳回', '已撤回'])
    await pick('process-search-state', '审批中')
    await w.find('[data-testid="process-search"]').trigger('submit')
    await settle()
    const query = new URL(calls('/api/v1/processes').at(-1)!.url).searchParams
    expect([query.get('process_type'), query.get('state')]).toEqual(['stock-change', 'UnderReview'])
    // A campaign has no UnderReview: choosing it drops the state, a shared one (已驳回) would stay.
    await pick('process-search-type', '营销活动')
    await w.find('[data-testid="process-search"]').trigger('submit')
    await settle()
    const next = new URL(calls('/api/v1/processes').at(-1)!.url).searchParams
    expect([next.get('process_type'), next.get('state')]).toEqual(['campaign', null])
    w.unmount()
  })

  it('still lists the processes, by code, when the kinds cannot be had', async () => {
    serve(() => json(404, errorBody('QY-REQ-0404')))
    const w = await mountPage(MonitorView)
    expect(columnTexts(w, 1)).toEqual(['campaign', 'stock-change', 'refund'])
    expect(w.findAll('[data-testid="state-tag"]').map((tag) => tag.text())).toEqual(['FirstReview', 'UnderReview', 'AwaitingMerchant'])
    expect(await optionsOf('process-search-type')).toEqual([])
    w.unmount()
  })
})

describe('待办任务 with the kinds from the server', () => {
  it("offers the server's kinds as types and names each row's type and state", async () => {
    serve()
    setLocale('en')
    const w = await mountPage(TaskView)
    expect(await optionsOf('task-search-type')).toEqual(['Campaign', 'Stock change'])
    expect(w.findAll('[data-testid="state-tag"]').map((tag) => tag.text())).toEqual(['First review', 'Under review'])
    await pick('task-search-type', 'Stock change')
    await w.find('[data-testid="task-search"]').trigger('submit')
    await settle()
    expect(new URL(calls('/api/v1/tasks').at(-1)!.url).searchParams.get('process_type')).toBe('stock-change')
    w.unmount()
  })
})

describe('代办任务: numbers, returned work, search', () => {
  it('shows the business number, a returned submission with its reason and 去修改, and sends the search', async () => {
    fake.answer = (req) => {
      const path = new URL(req.url).pathname
      if (path === PROCESS_KINDS_PATH) return json(200, PROCESS_KINDS)
      if (path === '/api/v1/tasks')
        return json(200, {
          items: [
            task({ id: 'r1', kind: 'rework', step: 'rework', level_name: '退回修改', submitted_by: 'reviewer1', comment: '预算过高', due_at: null }),
            task({ id: 'a1', business_no: 'HD20261126000002' }),
          ],
          total: 2,
        })
      return json(404, errorBody('QY-REQ-0404'))
    }
    const w = await mountPage(TaskView)
    expect(w.findAll('[data-testid="task-business-no"]').map((n) => n.text())).toEqual(['HD20261126000001', 'HD20261126000002'])
    expect(w.text()).not.toContain('c-1')
    const rows = w.findAll('[data-testid="tasks-table"] .el-table__body tr.el-table__row')
    expect(rows[0]!.get('[data-testid="task-level"]').text()).toBe('退回修改')
    expect(rows[0]!.get('[data-testid="task-return-reason"]').text()).toBe('reviewer1 退回：预算过高')
    expect(rows[0]!.find('[data-testid="task-mend"]').exists()).toBe(true)
    expect(rows[0]!.find('[data-testid="task-handle"]').exists()).toBe(false)
    expect(rows[1]!.find('[data-testid="task-mend"]').exists()).toBe(false)
    await w.get('input[data-testid="task-search-text"]').setValue(' 000002 ')
    await w.find('[data-testid="task-search"]').trigger('submit')
    await settle()
    expect(new URL(calls('/api/v1/tasks').at(-1)!.url).searchParams.get('search')).toBe('000002')
    w.unmount()
  })
})
