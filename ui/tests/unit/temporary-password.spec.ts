import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { ElMessage } from 'element-plus'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n, setLocale } from '@/locales'
import TemporaryPasswordDialog from '@/views/system/user/components/TemporaryPasswordDialog.vue'

vi.mock('element-plus', async (importOriginal) => {
  const actual = await importOriginal<typeof ElementPlus>()
  return { ...actual, ElMessage: vi.fn() }
})

const PASSWORD = 'k&9uY@k%eME9'

function mountDialog(kind: 'created' | 'reset' = 'created') {
  return mount(TemporaryPasswordDialog, {
    props: { modelValue: true, kind, username: 'zhang.san', displayName: '张三', password: PASSWORD },
    global: { plugins: [i18n], stubs: { transition: false } },
    attachTo: document.body,
  })
}

const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

describe('temporary-password dialog', () => {
  let writeText: ReturnType<typeof vi.fn>

  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    vi.mocked(ElMessage).mockReset()
    writeText = vi.fn().mockResolvedValue(undefined)
    vi.stubGlobal('isSecureContext', true)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
  })

  afterEach(() => {
    vi.unstubAllGlobals()
    Reflect.deleteProperty(navigator, 'clipboard')
  })

  it('shows the password once with who it is for, and says it must be changed at first sign-in and is not shown again', async () => {
    mountDialog()
    await flushPromises()
    expect(q('temporary-password')?.textContent?.trim()).toBe(PASSWORD)
    expect(q('temporary-password-username')?.textContent).toBe('zhang.san')
    expect(q('temporary-password-name')?.textContent).toBe('张三')
    const dialog = q('temporary-password-dialog')?.textContent ?? ''
    expect(dialog).toContain('用户已创建')
    expect(dialog).toContain('用户首次登录时须修改此密码')
    expect(dialog).toContain('此密码仅显示这一次，关闭后将无法再次查看')
  })

  it('says "next sign-in" after a reset', async () => {
    mountDialog('reset')
    await flushPromises()
    const dialog = q('temporary-password-dialog')?.textContent ?? ''
    expect(dialog).toContain('密码已重置')
    expect(dialog).toContain('用户下次登录时须修改此密码')
  })

  it('copies the password to the clipboard and says so', async () => {
    mountDialog()
    await flushPromises()
    q('temporary-password-copy')?.click()
    await flushPromises()
    expect(writeText).toHaveBeenCalledExactlyOnceWith(PASSWORD)
    expect(ElMessage).toHaveBeenCalledWith(expect.objectContaining({ type: 'success', message: '临时密码已复制到剪贴板' }))
  })

  it('falls back to execCommand without the Clipboard API, and asks to copy by hand when that fails too', async () => {
    writeText.mockRejectedValue(new DOMException('denied', 'NotAllowedError'))
    const exec = vi.fn().mockReturnValue(true)
    Object.defineProperty(document, 'execCommand', { value: exec, configurable: true })
    let copied = ''
    exec.mockImplementation(() => {
      copied = document.querySelector('textarea')?.value ?? ''
      return true
    })
    mountDialog()
    await flushPromises()
    q('temporary-password-copy')?.click()
    await flushPromises()
    expect(exec).toHaveBeenCalledWith('copy')
    expect(copied).toBe(PASSWORD)
    expect(ElMessage).toHaveBeenLastCalledWith(expect.objectContaining({ type: 'success' }))
    expect(document.querySelector('textarea')).toBeNull()

    exec.mockImplementation(() => false)
    q('temporary-password-copy')?.click()
    await flushPromises()
    expect(ElMessage).toHaveBeenLastCalledWith(expect.objectContaining({ type: 'warning', message: '复制失败，请手动选中密码后复制' }))
    Reflect.deleteProperty(document, 'execCommand')
  })

  it('closes only from its buttons', async () => {
    const w = mountDialog()
    await flushPromises()
    q('temporary-password-close')?.click()
    await flushPromises()
    expect(w.emitted('update:modelValue')).toEqual([[false]])
  })
})
