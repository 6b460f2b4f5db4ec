import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { toApiError } from '@/api/error'
import { putDictionaryItem } from '@/api/system/dictionary'
import type { Dictionary } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import { dictionaryLabel, itemBody, itemFieldProblem, itemForm, itemProblems, type ItemForm } from '@/utils/dictionary-rules'
import type * as Notify from '@/utils/notify'
import { showError } from '@/utils/notify'
import DictionaryItemDialog from '@/views/system/dictionary/components/DictionaryItemDialog.vue'
import { errorBody } from './helpers'

vi.mock('@/api/system/dictionary', () => ({ putDictionaryItem: vi.fn(), listDictionaries: vi.fn() }))
vi.mock('@/utils/notify', async (importOriginal) => ({ ...(await importOriginal<typeof Notify>()), showError: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => ({ ...(await importOriginal<typeof ElementPlus>()), ElMessage: vi.fn() }))
const putMock = vi.mocked(putDictionaryItem)

const channel: Dictionary = {
  code: 'channel',
  name: '营销渠道',
  builtin: false,
  items: [
    { code: 'mobile_banking', label_zh: '手机银行', label_en: 'Mobile banking', sort: 1, enabled: true },
    { code: 'wechat', label_zh: '微信银行', label_en: 'WeChat banking', sort: 2, enabled: true },
  ],
}
const loginResult: Dictionary = {
  code: 'login_result',
  name: '登录结果',
  builtin: true,
  items: [{ code: 'captcha', label_zh: '验证码错误', label_en: 'Wrong captcha', sort: 4, enabled: true }],
}

const form = (over: Partial<ItemForm> = {}): ItemForm => ({ code: 'h5', labelZh: 'H5 活动页', labelEn: 'H5 pages', sort: 3, enabled: true, ...over })

describe('dictionary item rules', () => {
  it('accepts codes of 1–32 lower-case letters, digits and underscores not starting with one', () => {
    for (const code of ['a', '1', 'h5', 'mobile_banking', 'a_', 'x'.repeat(32)]) expect(itemFieldProblem('code', form({ code })), code).toBeNull()
  })

  it('refuses other codes, an empty one and one the list already has', () => {
    for (const code of ['_a', 'A', 'mobile-banking', 'a b', 'x'.repeat(33), '手机']) {
      expect(itemFieldProblem('code', form({ code }))?.key, code).toBe('dictionary.codeInvalid')
    }
    expect(itemFieldProblem('code', form({ code: '  ' }))?.key).toBe('dictionary.codeRequired')
    expect(itemFieldProblem('code', form({ code: 'wechat' }), ['mobile_banking', 'wechat'])).toEqual({ key: 'dictionary.codeTaken', named: { code: 'wechat' } })
    // Editing keeps its code: not checked (nor sent as a change).
    expect(itemFieldProblem('code', form({ code: 'wechat' }), ['wechat'], false)).toBeNull()
  })

  it('wants labels of 1–50 (zh) and 1–100 (en) characters once trimmed, counted as characters', () => {
    expect(itemFieldProblem('labelZh', form({ labelZh: '  ' }))?.key).toBe('dictionary.labelZhRequired')
    expect(itemFieldProblem('labelZh', form({ labelZh: '码'.repeat(50) }))).toBeNull()
    expect(itemFieldProblem('labelZh', form({ labelZh: '码'.repeat(51) }))?.key).toBe('dictionary.labelZhTooLong')
    // 50 astral characters are 100 UTF-16 units but 50 characters to the server.
    expect(itemFieldProblem('labelZh', form({ labelZh: '𠀀'.repeat(50) }))).toBeNull()
    expect(itemFieldProblem('labelEn', form({ labelEn: '' }))?.key).toBe('dictionary.labelEnRequired')
    expect(itemFieldProblem('labelEn', form({ labelEn: ` ${'e'.repeat(100)} ` }))).toBeNull()
    expect(itemFieldProblem('labelEn', form({ labelEn: 'e'.repeat(101) }))?.key).toBe('dictionary.labelEnTooLong')
  })

  it('wants a whole 32-bit order', () => {
    expect(itemFieldProblem('sort', form({ sort: -5 }))).toBeNull()
    for (const sort of [undefined, null, 1.5, 2 ** 31]) expect(itemFieldProblem('sort', form({ sort }))?.key, String(sort)).toBe('dictionary.sortInvalid')
  })

  it('collects every problem by field, none for a good form', () => {
    expect(itemProblems(form())).toEqual({})
    expect(Object.keys(itemProblems(form({ code: '', labelZh: '', labelEn: '', sort: null })))).toEqual(['code', 'labelZh', 'labelEn', 'sort'])
  })

  it('starts a new item after the last one, an edit from the item; sends trimmed labels', () => {
    expect(itemForm(null, channel.items)).toEqual({ code: '', labelZh: '', labelEn: '', sort: 3, enabled: true })
    expect(itemForm(channel.items[1]!)).toEqual({ code: 'wechat', labelZh: '微信银行', labelEn: 'WeChat banking', sort: 2, enabled: true })
    expect(itemBody(form({ labelZh: ' H5 ', labelEn: ' H5 ', enabled: false }))).toEqual({ label_zh: 'H5', label_en: 'H5', sort: 3, enabled: false })
  })

  it('labels a code from its list in the UI language, or shows the code', () => {
    expect(dictionaryLabel([loginResult], 'login_result', 'captcha', 'zh-CN')).toBe('验证码错误')
    expect(dictionaryLabel([loginResult], 'login_result', 'captcha', 'en')).toBe('Wrong captcha')
    expect(dictionaryLabel([loginResult], 'login_result', 'new_reason', 'zh-CN')).toBe('new_reason')
    expect(dictionaryLabel([], 'login_result', 'captcha', 'zh-CN')).toBe('captcha')
  })
})

const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)
const inputOf = (id: string) => (q(id)?.tagName === 'INPUT' ? q(id) : q(id)?.querySelector('input')) as HTMLInputElement
const debounce = () => new Promise((resolve) => setTimeout(resolve, 120))

async function fill(id: string, value: string) {
  inputOf(id).value = value
  inputOf(id).dispatchEvent(new Event('input'))
  await flushPromises()
}

async function submit() {
  q('dictionary-item-submit')?.click()
  await flushPromises()
  await flushPromises()
  await debounce()
}

const fieldError = (id: string) => q(id)?.closest('.el-form-item')?.querySelector('.el-form-item__error')?.textContent?.trim()

function mountDialog(item: Dictionary['items'][number] | null = null) {
  return mount(DictionaryItemDialog, {
    props: { modelValue: true, list: channel, item },
    global: { plugins: [i18n], stubs: { transition: false } },
    attachTo: document.body,
  })
}

describe('dictionary item dialog', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    putMock.mockReset()
    vi.mocked(showError).mockReset()
  })

  it('refuses a code the list already has and bad labels before sending anything', async () => {
    mountDialog()
    await flushPromises()
    await fill('dictionary-item-code', 'wechat')
    await fill('dictionary-item-label-zh', '  ')
    await submit()
    expect(putMock).not.toHaveBeenCalled()
    expect(fieldError('dictionary-item-code')).toBe('该类型下已有编码 wechat')
    expect(fieldError('dictionary-item-label-zh')).toBe('请输入中文名称')
    expect(fieldError('dictionary-item-label-en')).toBe('请输入英文名称')
    await fill('dictionary-item-code', 'Bad-Code')
    await debounce()
    expect(fieldError('dictionary-item-code')).toBe('编码须为 1–32 位小写字母、数字或下划线，不以下划线开头')
  })

  it('puts a new item under its code with trimmed labels', async () => {
    putMock.mockResolvedValue()
    const w = mountDialog()
    await flushPromises()
    expect(inputOf('dictionary-item-sort').value).toBe('3')
    await fill('dictionary-item-code', 'h5')
    await fill('dictionary-item-label-zh', ' H5 活动页 ')
    await fill('dictionary-item-label-en', 'H5 pages')
    await submit()
    expect(putMock).toHaveBeenCalledWith('channel', 'h5', { label_zh: 'H5 活动页', label_en: 'H5 pages', sort: 3, enabled: true })
    expect(w.emitted('saved')).toEqual([['h5']])
  })

  it('edits an item without letting its code change', async () => {
    putMock.mockResolvedValue()
    mountDialog(channel.items[1]!)
    await flushPromises()
    expect(inputOf('dictionary-item-code').disabled).toBe(true)
    expect(inputOf('dictionary-item-label-zh').value).toBe('微信银行')
    await fill('dictionary-item-label-zh', '微信银行（新）')
    await submit()
    expect(putMock).toHaveBeenCalledWith('channel', 'wechat', { label_zh: '微信银行（新）', label_en: 'WeChat banking', sort: 2, enabled: true })
  })

  it('shows QY-SYS-1011 and QY-SYS-1012 in the dialog, other errors as messages', async () => {
    mountDialog(channel.items[0]!)
    await flushPromises()
    putMock.mockRejectedValueOnce(toApiError(409, errorBody('QY-SYS-1011', '静态码值由系统维护，不能修改')))
    await submit()
    expect(q('dictionary-item-error')?.textContent).toContain('静态码值由系统维护，不能修改')
    expect(q('dictionary-item-error')?.textContent).toContain('QY-SYS-1011')
    putMock.mockRejectedValueOnce(toApiError(422, errorBody('QY-SYS-1012', '码值编码须为 1–32 位小写字母')))
    await submit()
    expect(q('dictionary-item-error')?.textContent).toContain('QY-SYS-1012')
    expect(showError).not.toHaveBeenCalled()
    putMock.mockRejectedValueOnce(toApiError(500, errorBody('QY-SYS-0001', '系统内部错误')))
    await submit()
    expect(showError).toHaveBeenCalledTimes(1)
    expect(q('dictionary-item-error')).toBeNull()
  })
})
