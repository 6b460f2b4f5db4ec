// 权益发放明细查询 against mocked calls: unused codes come masked; 查看 (benefit:coupon:unmask only, on masked
// rows only) reads one whole through its audited call and 隐藏 masks it again; the export hint says codes
// are masked there too.
import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { couponCode, listCoupons } from '@/api/benefits/coupon'
import { listTemplates } from '@/api/benefits/template'
import { ApiError } from '@/api/error'
import type { CouponRow } from '@/api/types'
import { permission } from '@/directives/permission'
import { i18n, setLocale } from '@/locales'
import { PERMISSIONS } from '@/router/menu'
import { useUserStore } from '@/stores/user'
import { showError } from '@/utils/notify'
import CouponsView from '@/views/benefits/coupon/index.vue'
import { makeUser } from './fixtures'

vi.mock('@/api/benefits/coupon', () => ({ listCoupons: vi.fn(), exportCoupons: vi.fn(), couponCode: vi.fn() }))
vi.mock('@/api/benefits/template', () => ({ listTemplates: vi.fn() }))
vi.mock('@/utils/notify', () => ({ showError: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => ({ ...(await importOriginal<typeof ElementPlus>()), ElMessage: vi.fn() }))

function coupon(id: string, code: string, status: string, masked: boolean): CouponRow {
  return {
    id,
    code,
    code_masked: masked,
    template_code: 'DEMO-MJ20',
    template_name: '满100减20',
    customer_no: 'C1***0001',
    client_code: 'demo-mobile',
    campaign_id: null,
    campaign_code: null,
    campaign_name: null,
    status,
    claimed_at: '2026-11-26T05:30:00Z',
    valid_to: '2026-12-26T05:30:00Z',
  }
}

const rows: CouponRow[] = [coupon('c-1', 'ABCD********6789', 'unused', true), coupon('c-2', 'WXYZ2345EFGH6789', 'used', false)]

async function mountPage(permissions: string[]) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useUserStore().setUser(makeUser(permissions))
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/benefit/coupons', component: CouponsView }] })
  await router.push('/benefit/coupons')
  const w = mount(
    { template: '<router-view />' },
    { global: { plugins: [pinia, i18n, router], directives: { permission }, stubs: { transition: false } }, attachTo: document.body },
  )
  await flushPromises()
  return w
}

const rowOf = (w: Awaited<ReturnType<typeof mountPage>>, n: number) => w.findAll('[data-testid="coupons-table"] .el-table__body tr.el-table__row')[n]!

beforeEach(() => {
  setLocale('zh-CN')
  document.body.innerHTML = ''
  vi.mocked(listCoupons).mockReset().mockResolvedValue({ items: rows, total: 2, total_capped: false })
  vi.mocked(listTemplates).mockReset().mockResolvedValue({ items: [], total: 0 })
  vi.mocked(couponCode).mockReset()
  vi.mocked(showError).mockReset()
})

describe('权益发放明细查询', () => {
  it('shows an unused code masked and a used one whole, and no 查看 without benefit:coupon:unmask', async () => {
    const w = await mountPage([PERMISSIONS.benefitCouponView, PERMISSIONS.benefitCouponExport])
    const first = rowOf(w, 0).get('[data-testid="coupon-code"]')
    expect(first.text()).toBe('ABCD **** **** 6789')
    expect(first.attributes('data-masked')).toBe('true')
    expect(rowOf(w, 1).get('[data-testid="coupon-code"]').text()).toBe('WXYZ 2345 EFGH 6789')
    expect(w.find('[data-testid="coupon-unmask"]').exists()).toBe(false)
    expect(w.find('[data-testid="coupon-export"]').exists()).toBe(true)
  })

  it('with benefit:coupon:unmask, 查看 on masked rows reads the code whole and 隐藏 masks it again', async () => {
    vi.mocked(couponCode).mockResolvedValue({ code: 'ABCD2345EFGH6789' })
    const w = await mountPage([PERMISSIONS.benefitCouponView, PERMISSIONS.benefitCouponUnmask])
    expect(rowOf(w, 1).find('[data-testid="coupon-unmask"]').exists()).toBe(false)
    const reveal = rowOf(w, 0).get('[data-testid="coupon-unmask"]')
    expect(reveal.text()).toBe('查看')
    await reveal.trigger('click')
    await flushPromises()
    expect(couponCode).toHaveBeenCalledWith('c-1')
    const code = rowOf(w, 0).get('[data-testid="coupon-code"]')
    expect(code.text()).toBe('ABCD 2345 EFGH 6789')
    expect(code.attributes('data-masked')).toBe('false')
    const hide = rowOf(w, 0).get('[data-testid="coupon-unmask"]')
    expect(hide.text()).toBe('隐藏')
    await hide.trigger('click')
    await flushPromises()
    expect(rowOf(w, 0).get('[data-testid="coupon-code"]').text()).toBe('ABCD **** **** 6789')
    expect(couponCode).toHaveBeenCalledTimes(1)
  })

  it('a refused read leaves the code masked and says why', async () => {
    const refused = new ApiError({ code: 'QY-AUTH-0003', message: '没有执行此操作的权限', requestId: 'r-1', status: 403, fromServer: true })
    vi.mocked(couponCode).mockRejectedValue(refused)
    const w = await mountPage([PERMISSIONS.benefitCouponView, PERMISSIONS.benefitCouponUnmask])
    await rowOf(w, 0).get('[data-testid="coupon-unmask"]').trigger('click')
    await flushPromises()
    expect(showError).toHaveBeenCalledWith(refused)
    expect(rowOf(w, 0).get('[data-testid="coupon-code"]').text()).toBe('ABCD **** **** 6789')
  })

  it('a count the server capped says "more than 10,000" instead of a total, and an exact one says its total', async () => {
    vi.mocked(listCoupons).mockResolvedValue({ items: rows, total: 10000, total_capped: true })
    const capped = await mountPage([PERMISSIONS.benefitCouponView])
    expect(capped.get('[data-testid="list-total-capped"]').text()).toBe('超过 10,000 条，请缩小查询条件')
    expect(capped.find('.el-pagination__total').exists()).toBe(false)
    capped.unmount()

    vi.mocked(listCoupons).mockResolvedValue({ items: rows, total: 2, total_capped: false })
    const exact = await mountPage([PERMISSIONS.benefitCouponView])
    expect(exact.find('[data-testid="list-total-capped"]').exists()).toBe(false)
    expect(exact.get('.el-pagination__total').text()).toContain('2')
  })
})
