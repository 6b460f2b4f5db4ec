import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { toApiError } from '@/api/error'
import { updateParameter } from '@/api/system/parameter'
import type { Parameter } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import type * as Notify from '@/utils/notify'
import { showError } from '@/utils/notify'
import { parameterValueProblem } from '@/utils/parameter-rules'
import ParameterDialog from '@/views/system/parameter/components/ParameterDialog.vue'
import { errorBody } from './helpers'

vi.mock('@/api/system/parameter', () => ({ updateParameter: vi.fn(), listParameters: vi.fn() }))
vi.mock('@/utils/notify', async (importOriginal) => ({ ...(await importOriginal<typeof Notify>()), showError: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => ({ ...(await importOriginal<typeof ElementPlus>()), ElMessage: vi.fn() }))
const updateMock = vi.mocked(updateParameter)

const maxFailures: Parameter = { key: 'security.login.max_failures', name: '连续登录失败锁定次数', unit: '次', value: 5, default: 5, min: 3, max: 10 }

const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)
const input = () => q('parameter-dialog-value')!.querySelector('input') as HTMLInputElement
const debounce = () => new Promise((resolve) => setTimeout(resolve, 120))

async function type(value: string) {
  input().value = value
  input().dispatchEvent(new Event('input'))
  input().dispatchEvent(new Event('change'))
  await flushPromises()
}

async function submit() {
  q('parameter-dialog-submit')?.click()
  await flushPromises()
  await flushPromises()
  await debounce()
}

const fieldError = () => q('parameter-dialog-field')?.querySelector('.el-form-item__error')?.textContent?.trim()

function mountDialog(parameter: Parameter = maxFailures) {
  return mount(ParameterDialog, { props: { modelValue: true, parameter }, global: { plugins: [i18n], stubs: { transition: false } }, attachTo: document.body })
}

describe('parameterValueProblem', () => {
  const p = { min: 3, max: 10, unit: '次' }
  it('accepts whole numbers from min to max, both included', () => {
    for (const v of [3, 4, 10]) expect(parameterValueProblem(v, p), String(v)).toBeNull()
  })
  it('refuses a missing, fractional or out-of-range value', () => {
    expect(parameterValueProblem(undefined, p)?.key).toBe('parameter.required')
    expect(parameterValueProblem(null, p)?.key).toBe('parameter.required')
    expect(parameterValueProblem(Number.NaN, p)?.key).toBe('parameter.required')
    expect(parameterValueProblem(4.5, p)?.key).toBe('parameter.notInteger')
    expect(parameterValueProblem(2, p)).toEqual({ key: 'parameter.outOfRange', named: { min: 3, max: 10, unit: '次' } })
    expect(parameterValueProblem(11, p)?.key).toBe('parameter.outOfRange')
  })
})

describe('parameter dialog', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    updateMock.mockReset()
    vi.mocked(showError).mockReset()
  })

  it('bounds the input by the parameter range and starts from the current value', async () => {
    mountDialog()
    await flushPromises()
    expect(input().getAttribute('aria-valuemin')).toBe('3')
    expect(input().getAttribute('aria-valuemax')).toBe('10')
    expect(input().value).toBe('5')
    expect(q('parameter-dialog-hint')?.textContent).toContain('允许范围 3 – 10 次，默认 5 次')
    // Unchanged: nothing to save.
    expect(q('parameter-dialog-submit')?.hasAttribute('disabled')).toBe(true)
  })

  it('pulls a typed value back into the range', async () => {
    mountDialog()
    await flushPromises()
    await type('99')
    expect(input().value).toBe('10')
    await type('1')
    expect(input().value).toBe('3')
  })

  it('saves a value within the range and reports it', async () => {
    updateMock.mockResolvedValue()
    const w = mountDialog()
    await flushPromises()
    await type('8')
    await submit()
    expect(updateMock).toHaveBeenCalledWith('security.login.max_failures', 8)
    expect(w.emitted('updated')).toEqual([['security.login.max_failures', 8]])
    expect(w.emitted('update:modelValue')).toEqual([[false]])
  })

  it('shows QY-SYS-1009 under the field and keeps the dialog open; other errors as messages', async () => {
    updateMock.mockRejectedValueOnce(toApiError(422, errorBody('QY-SYS-1009', '参数值超出允许范围')))
    const w = mountDialog()
    await flushPromises()
    await type('9')
    await submit()
    expect(fieldError()).toBe('参数值超出允许范围')
    expect(showError).not.toHaveBeenCalled()
    expect(w.emitted('update:modelValue')).toBeUndefined()
    // Changing the value clears the server's message.
    await type('7')
    await debounce()
    expect(fieldError()).toBeFalsy()

    updateMock.mockRejectedValueOnce(toApiError(403, errorBody('QY-AUTH-0003', '没有执行此操作的权限')))
    await submit()
    expect(showError).toHaveBeenCalledTimes(1)
    expect(fieldError()).toBeFalsy()
  })
})
