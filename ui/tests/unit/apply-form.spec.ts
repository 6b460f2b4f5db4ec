// The applicant's form (商户线上入驻): a mistyped credit code or ID number is refused on the spot with the
// server's own message and nothing is sent; a submission needs every field; what the server still refuses
// lands under its field (stores by row).
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createDraft, submitApplication } from '@/api/merchant/onboarding'
import { toApiError } from '@/api/error'
import { i18n, setLocale } from '@/locales'
import ApplicationForm from '@/views/apply/components/ApplicationForm.vue'

vi.mock('@/api/merchant/onboarding', () => ({
  createDraft: vi.fn(),
  saveDraft: vi.fn(),
  submitApplication: vi.fn(),
  resubmitApplication: vi.fn(),
  uploadFile: vi.fn(),
  myFile: vi.fn(),
}))

const createMock = vi.mocked(createDraft)
const submitMock = vi.mocked(submitApplication)

async function mountForm() {
  const wrapper = mount(ApplicationForm, {
    props: { application: null, branches: [{ code: 'BR01', name: '城东分行' }] },
    global: { plugins: [i18n], stubs: { transition: false, 'transition-group': false } },
    attachTo: document.body,
  })
  const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)
  await flushPromises()
  return { wrapper, q }
}

function inputOf(el: HTMLElement | null): HTMLInputElement {
  const input = el?.tagName === 'INPUT' ? el : el?.querySelector('input')
  if (!input) throw new Error('no input')
  return input as HTMLInputElement
}

async function type(q: (id: string) => HTMLElement | null, id: string, value: string): Promise<void> {
  const input = inputOf(q(id))
  input.value = value
  input.dispatchEvent(new Event('input'))
  input.dispatchEvent(new FocusEvent('blur'))
  await flushPromises()
}

/** Element Plus shows a form item's error 100 ms after it is set (a debounce). */
async function shown(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 150))
  await flushPromises()
}

function errors(): string[] {
  // an element on its way out (the zoom transition) has no text left
  return [...document.body.querySelectorAll('.el-form-item__error')].map((e) => e.textContent?.trim() ?? '').filter(Boolean)
}

describe('the application form', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    createMock.mockReset()
    submitMock.mockReset()
  })

  it('refuses a mistyped credit code and ID number with the server\'s messages, sending nothing', async () => {
    const { q } = await mountForm()
    await type(q, 'apply-credit-code', '91310000ma1fl0000x')
    await type(q, 'apply-id-number', '110105194912310021')
    await shown()
    expect(errors()).toEqual(['统一社会信用代码不正确（18 位，含校验码）', '身份证号码不正确（18 位，含校验码）'])
    // upper-cased as typed
    expect(inputOf(q('apply-credit-code')).value).toBe('91310000MA1FL0000X')
    q('apply-save')?.click()
    await flushPromises()
    expect(createMock).not.toHaveBeenCalled()
    await type(q, 'apply-credit-code', '91310000MA1FL0000N')
    await type(q, 'apply-id-number', '11010519491231002X')
    await shown()
    expect(errors()).toEqual([])
  })

  it('saves a partial draft, but a submission needs every field', async () => {
    const { q } = await mountForm()
    await type(q, 'apply-legal-name', '城东鲜果商行有限公司')
    q('apply-submit')?.click()
    await shown()
    expect(errors()).toContain('申请信息不完整，不能提交')
    expect(errors()).not.toContain('申请字段不能为空或超过长度上限')
    expect(submitMock).not.toHaveBeenCalled()
    expect(createMock).not.toHaveBeenCalled()
  })

  it('shows what the server refuses under its field, a store\'s by its row', async () => {
    createMock.mockRejectedValue(
      toApiError(422, {
        code: 'QY-REQ-0002',
        message: '请求字段不正确',
        request_id: 'rid-1',
        fields: [
          { field: 'org_code', code: 'QY-ONB-0012', message: '所属区域须为一家分行' },
          { field: 'stores[0].code', code: 'QY-ONB-0013', message: '门店编码不正确' },
        ],
      }),
    )
    const { q } = await mountForm()
    await type(q, 'apply-legal-name', '城东鲜果商行有限公司')
    q('apply-save')?.click()
    await flushPromises()
    await shown()
    expect(createMock).toHaveBeenCalledTimes(1)
    expect(createMock.mock.calls[0]?.[0]).toMatchObject({ legal_name: '城东鲜果商行有限公司', stores: [] })
    expect(errors()).toContain('所属区域须为一家分行')
    expect(q('apply-store-error')?.textContent).toBe('门店编码不正确')
  })
})
