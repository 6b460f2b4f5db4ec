// 投放查询 against mocked calls: the customer-number check, the channel's order, the empty state and errors.
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { queryDelivery } from '@/api/campaign/delivery'
import { ApiError } from '@/api/error'
import { listDictionaries } from '@/api/system/dictionary'
import type { DeliveryEntry } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import DeliveryView from '@/views/campaign/delivery/index.vue'
import { settle } from './helpers'

vi.mock('@/api/campaign/delivery', () => ({ queryDelivery: vi.fn() }))
vi.mock('@/api/system/dictionary', () => ({ listDictionaries: vi.fn(), putDictionaryItem: vi.fn() }))

function entry(n: number, priority: number): DeliveryEntry {
  return {
    campaign_id: `00000000-0000-0000-0000-00000000000${n}`,
    campaign_code: `HD2026112600000${n}`,
    title: `活动${n}（点击领取）`,
    image_url: '',
    link: `/mobile/campaigns/${n}`,
    benefit_summary: n === 2 ? '' : '满 100 减 20 元',
    priority,
    end_at: '2026-12-26T12:48:00Z',
  }
}

async function mountPage() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const w = mount(DeliveryView, { global: { plugins: [pinia, i18n], stubs: { transition: false, RouterLink: RouterLinkStub } }, attachTo: document.body })
  await flushPromises()
  return w
}

async function ask(w: Awaited<ReturnType<typeof mountPage>>, customer: string) {
  await w.find('[data-testid="delivery-customer"] input, input[data-testid="delivery-customer"]').setValue(customer)
  await w.find('[data-testid="delivery-form"]').trigger('submit')
  await settle()
}

beforeEach(() => {
  setLocale('zh-CN')
  document.body.innerHTML = ''
  vi.mocked(queryDelivery).mockReset()
  vi.mocked(listDictionaries)
    .mockReset()
    .mockResolvedValue([
      {
        code: 'channel',
        name: '营销渠道',
        builtin: false,
        items: [{ code: 'mobile_banking', label_zh: '手机银行', label_en: 'Mobile banking', sort: 1, enabled: true }],
      },
    ])
})

describe('投放查询', () => {
  it('says what it lists and asks for a query first', async () => {
    const w = await mountPage()
    expect(w.find('[data-testid="delivery-note"]').text()).toBe('按渠道实际展示的顺序列出；此查询不计入客户的展示次数，查询记录计入操作日志')
    expect(w.find('[data-testid="delivery-before"]').exists()).toBe(true)
  })

  it('refuses a customer number that is not 6–32 letters or digits without asking the server', async () => {
    const w = await mountPage()
    await ask(w, 'C01!')
    // The form item shows its message after a short debounce.
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(queryDelivery).not.toHaveBeenCalled()
    expect(w.find('.el-form-item__error').text()).toBe('客户号为 6–32 位字母或数字')
  })

  it('lists the entries in the order returned, each linking to its campaign', async () => {
    vi.mocked(queryDelivery).mockResolvedValue({ channel_code: 'mobile_banking', items: [entry(1, 110), entry(2, 50)] })
    const w = await mountPage()
    await ask(w, ' C000100004 ')
    expect(queryDelivery).toHaveBeenCalledWith('mobile_banking', 'C000100004')
    expect(w.find('[data-testid="delivery-summary"]').text()).toContain('手机银行 · 客户 C000100004：2 个活动')
    const rows = w.findAll('[data-testid="delivery-table"] .el-table__body tr.el-table__row')
    expect(rows).toHaveLength(2)
    expect(rows[0]?.text()).toContain('活动1（点击领取）')
    expect(rows[0]?.text()).toContain('2026-12-26 20:48')
    expect(rows[1]?.findAll('[data-testid="delivery-priority"]')[0]?.text()).toBe('50')
    expect(w.findAllComponents(RouterLinkStub).map((l) => l.props('to'))).toEqual(['/campaign/00000000-0000-0000-0000-000000000001', '/campaign/00000000-0000-0000-0000-000000000002'])
  })

  it('says so when the channel shows the customer nothing', async () => {
    vi.mocked(queryDelivery).mockResolvedValue({ channel_code: 'mobile_banking', items: [] })
    const w = await mountPage()
    await ask(w, 'C999999999')
    expect(w.find('[data-testid="delivery-empty"]').text()).toContain('该客户在此渠道当前没有可展示的活动')
  })

  it('shows the server’s refusal with its message and code', async () => {
    vi.mocked(queryDelivery).mockRejectedValue(new ApiError({ code: 'QY-CAMP-0009', message: '没有这个渠道', requestId: 'rid-1', status: 404, fromServer: true }))
    const w = await mountPage()
    await ask(w, 'C000100004')
    const alert = w.find('[data-testid="delivery-error"]')
    expect(alert.text()).toContain('没有这个渠道')
    expect(alert.text()).toContain('QY-CAMP-0009')
    expect(w.find('[data-testid="delivery-table"]').exists()).toBe(false)
  })
})
