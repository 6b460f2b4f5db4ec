// 上传名单 against a mocked upload: a file the server refuses as a whole (QY-CAMP-0012, nothing imported)
// shows the server's message, that the list is unchanged and the lines it named, and keeps the choice
// open; a file taken shows its report.
import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { uploadCustomers } from '@/api/campaign/campaign'
import { ApiError } from '@/api/error'
import { i18n, setLocale } from '@/locales'
import { showError } from '@/utils/notify'
import CustomerUploadDialog from '@/views/campaign/detail/components/CustomerUploadDialog.vue'

vi.mock('@/api/campaign/campaign', () => ({ uploadCustomers: vi.fn() }))
vi.mock('@/utils/notify', () => ({ showError: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => ({ ...(await importOriginal<typeof ElementPlus>()), ElMessage: vi.fn() }))

async function mountDialog() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const w = mount(CustomerUploadDialog, {
    props: { modelValue: false, campaignId: 'camp-1' },
    global: { plugins: [pinia, i18n], stubs: { transition: false } },
    attachTo: document.body,
  })
  await w.setProps({ modelValue: true })
  await flushPromises()
  return w
}

/** Chooses `file` in the dialog's file input, as a click on 点击选择 would. */
async function choose(file: File) {
  const input = document.querySelector<HTMLInputElement>('[data-testid="customer-upload-input"] input[type="file"]')!
  Object.defineProperty(input, 'files', { value: [file], configurable: true })
  input.dispatchEvent(new Event('change'))
  await flushPromises()
}

const byTestId = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)

beforeEach(() => {
  setLocale('zh-CN')
  document.body.innerHTML = ''
  vi.mocked(uploadCustomers).mockReset()
  vi.mocked(showError).mockReset()
})

describe('上传名单', () => {
  it('says a refused file left the list unchanged, with the lines the server named', async () => {
    vi.mocked(uploadCustomers).mockRejectedValue(
      new ApiError({
        code: 'QY-CAMP-0012',
        message: '名单文件中没有有效的客户号，未导入；原名单保持不变',
        requestId: 'r-1',
        status: 422,
        fromServer: true,
        fields: [
          { field: 'line 1', code: 'QY-CAMP-0010', message: '客户号须为 6–32 位字母或数字' },
          { field: 'line 2', code: 'QY-CAMP-0010', message: '客户号须为 6–32 位字母或数字' },
        ],
      }),
    )
    const w = await mountDialog()
    await choose(new File(['序号,客户姓名\n1,张三\n'], 'list.csv', { type: 'text/csv' }))
    byTestId('customer-upload-submit')!.click()
    await flushPromises()
    expect(uploadCustomers).toHaveBeenCalledTimes(1)
    const refused = byTestId('customer-upload-refused')!
    expect(refused.textContent).toContain('名单文件中没有有效的客户号')
    expect(refused.textContent).toContain('原名单保持不变。')
    const lines = [...document.querySelectorAll('[data-testid="customer-upload-refused-line"]')].map((l) => l.textContent?.trim())
    expect(lines).toEqual(['第 1 行：客户号须为 6–32 位字母或数字', '第 2 行：客户号须为 6–32 位字母或数字'])
    expect(showError).not.toHaveBeenCalled()
    expect(w.emitted('uploaded')).toBeUndefined()
    // the choice stays open: no report, the file still chosen for another try
    expect(byTestId('customer-report')).toBeNull()
    expect(byTestId('customer-upload-file')!.textContent).toContain('list.csv')
  })

  it('any other failure is a notice; a taken file shows its report', async () => {
    const other = new ApiError({ code: 'QY-CAMP-0007', message: '名单文件须为 UTF-8 文本', requestId: 'r-2', status: 422, fromServer: true })
    vi.mocked(uploadCustomers).mockRejectedValueOnce(other)
    const w = await mountDialog()
    await choose(new File(['x'], 'list.csv', { type: 'text/csv' }))
    byTestId('customer-upload-submit')!.click()
    await flushPromises()
    expect(showError).toHaveBeenCalledWith(other)
    expect(byTestId('customer-upload-refused')).toBeNull()
    vi.mocked(uploadCustomers).mockResolvedValueOnce({ total_rows: 3, accepted: 2, duplicates: 0, invalid: 1, errors: [] })
    byTestId('customer-upload-submit')!.click()
    await flushPromises()
    expect(byTestId('customer-report')).not.toBeNull()
    expect(w.emitted('uploaded')).toHaveLength(1)
  })
})
