import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { toApiError } from '@/api/error'
import { createUser } from '@/api/system/user'
import { i18n, setLocale } from '@/locales'
import type * as Notify from '@/utils/notify'
import { showError } from '@/utils/notify'
import { buildOrgTree } from '@/utils/org-tree'
import UserFormDialog from '@/views/system/user/components/UserFormDialog.vue'
import { SB0102, orgList, roleList } from './fixtures'
import { errorBody } from './helpers'

vi.mock('@/api/system/user', () => ({ createUser: vi.fn(), listUsers: vi.fn(), resetPassword: vi.fn(), unlockUser: vi.fn() }))
vi.mock('@/utils/notify', async (importOriginal) => ({
  ...(await importOriginal<typeof Notify>()),
  showError: vi.fn(),
}))
const createMock = vi.mocked(createUser)

const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

function inputOf(id: string): HTMLInputElement {
  const el = q(id)
  const input = el?.tagName === 'INPUT' ? el : el?.querySelector('input')
  if (!input) throw new Error(`no input ${id}`)
  return input as HTMLInputElement
}

async function fill(id: string, value: string) {
  const input = inputOf(id)
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}

/** Element Plus shows a field's error 100 ms after its state changes (debounced). */
const debounce = () => new Promise((resolve) => setTimeout(resolve, 120))

async function submit() {
  q('user-form-submit')?.click()
  await flushPromises()
  await flushPromises()
  await debounce()
}

/** The error under the form item that holds `id`, if any. */
function fieldError(id: string): string | undefined {
  const item = document.body.querySelector(`.el-select[data-testid="${id}"], [data-testid="${id}"]`)?.closest('.el-form-item')
  return item?.querySelector('.el-form-item__error')?.textContent?.trim()
}

/** Picks role options by name in the multi-select's dropdown. */
async function pickRoles(...names: string[]) {
  document.body.querySelector<HTMLElement>('.el-select[data-testid="user-form-roles"] .el-select__wrapper')?.click()
  await flushPromises()
  const options = [...document.body.querySelectorAll<HTMLElement>('.user-form__roles-popper .el-select-dropdown__item')]
  for (const name of names) {
    const option = options.find((o) => o.textContent?.includes(name))
    if (!option) throw new Error(`no role option ${name} among ${options.map((o) => o.textContent).join(' | ')}`)
    option.click()
    await flushPromises()
  }
}

function mountForm(defaultOrgId: string | null = SB0102) {
  return mount(UserFormDialog, {
    props: { modelValue: true, orgTree: buildOrgTree(orgList), roles: roleList, defaultOrgId },
    global: { plugins: [i18n], stubs: { transition: false } },
    attachTo: document.body,
  })
}

describe('new-user dialog', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    createMock.mockReset()
    vi.mocked(showError).mockReset()
  })

  it('refuses an empty form with a message under each required field', async () => {
    mountForm(null)
    await flushPromises()
    await submit()
    expect(createMock).not.toHaveBeenCalled()
    expect(fieldError('user-form-username')).toBe('请输入用户名')
    expect(fieldError('user-form-name')).toBe('请输入姓名')
    expect(fieldError('user-form-org')).toBe('请选择所属机构')
  })

  it.each([
    ['Zhangsan', false],
    ['1zhang', false],
    ['zh', false],
    ['zhang san', false],
    ['zhang@bank', false],
    [`z${'a'.repeat(32)}`, false],
    ['zhangsan', true],
    ['zhang.san_01-x', true],
    [`z${'a'.repeat(31)}`, true],
  ])('checks the username pattern: %s → %s', async (username, ok) => {
    mountForm()
    await flushPromises()
    await fill('user-form-username', username)
    await fill('user-form-name', '张三')
    createMock.mockResolvedValue({ user_id: 'u1', temporary_password: 'Tmp#12345' })
    await submit()
    if (ok) {
      expect(createMock).toHaveBeenCalledOnce()
      expect(fieldError('user-form-username')).toBeUndefined()
    } else {
      expect(createMock).not.toHaveBeenCalled()
      expect(fieldError('user-form-username')).toBe('用户名须为 3–32 位小写字母、数字、点、下划线或连字符，以小写字母开头')
      // The rule's hint gives way to the error rather than crowding it.
      expect(q('user-form-username-hint')).toBeNull()
    }
  })

  it('refuses a blank name and one over 50 characters', async () => {
    mountForm()
    await flushPromises()
    await fill('user-form-username', 'zhangsan')
    await fill('user-form-name', '   ')
    await submit()
    expect(fieldError('user-form-name')).toBe('请输入姓名')
    // The input stops at 50; a pasted longer name is still refused.
    const input = inputOf('user-form-name')
    input.removeAttribute('maxlength')
    await fill('user-form-name', '张'.repeat(51))
    await submit()
    expect(fieldError('user-form-name')).toBe('姓名不能超过 50 个字符')
    expect(createMock).not.toHaveBeenCalled()
  })

  it('refuses an administration role together with the audit role', async () => {
    mountForm()
    await flushPromises()
    await fill('user-form-username', 'zhangsan')
    await fill('user-form-name', '张三')
    await pickRoles('系统管理员', '审计员')
    await submit()
    expect(createMock).not.toHaveBeenCalled()
    expect(fieldError('user-form-roles')).toBe('职责分离：同一账号不能同时拥有“管理”与“审计”职责的角色（系统管理员、审计员）')
  })

  it('sends a valid form (name trimmed) and hands back the temporary password', async () => {
    const w = mountForm()
    await flushPromises()
    await fill('user-form-username', 'zhang.san')
    await fill('user-form-name', '  张三  ')
    await pickRoles('营销策划')
    createMock.mockResolvedValueOnce({ user_id: 'u1', temporary_password: 'Tmp#12345' })
    await submit()
    expect(createMock).toHaveBeenCalledExactlyOnceWith({ username: 'zhang.san', display_name: '张三', org_id: SB0102, roles: ['planner'] })
    expect(w.emitted('created')).toEqual([[{ username: 'zhang.san', displayName: '张三', result: { user_id: 'u1', temporary_password: 'Tmp#12345' } }]])
    expect(w.emitted('update:modelValue')).toEqual([[false]])
  })

  it('shows the server\'s field errors under their fields, and the rest as a message', async () => {
    const w = mountForm()
    await flushPromises()
    await fill('user-form-username', 'planner')
    await fill('user-form-name', '张三')
    createMock.mockRejectedValueOnce(toApiError(409, errorBody('QY-SYS-1002', '用户名已存在')))
    await submit()
    expect(fieldError('user-form-username')).toBe('用户名已存在')
    expect(showError).not.toHaveBeenCalled()

    await fill('user-form-username', 'planner2')
    await debounce()
    expect(fieldError('user-form-username')).toBeUndefined()
    createMock.mockRejectedValueOnce(toApiError(422, errorBody('QY-SYS-1007', '姓名须为 1–50 个字符')))
    await submit()
    expect(fieldError('user-form-name')).toBe('姓名须为 1–50 个字符')

    createMock.mockRejectedValueOnce(toApiError(409, errorBody('QY-SYS-1005', '职责分离')))
    await fill('user-form-name', '张三丰')
    await submit()
    expect(showError).toHaveBeenCalledOnce()
    expect(w.emitted('created')).toBeUndefined()
    expect(w.emitted('update:modelValue')).toBeUndefined()
  })

  it('checks the optional phone and email, and sends them only when given', async () => {
    mountForm()
    await flushPromises()
    await fill('user-form-username', 'zhang.san')
    await fill('user-form-name', '张三')
    await fill('user-form-phone', '12345678901')
    await fill('user-form-email', 'not-an-address')
    await submit()
    expect(createMock).not.toHaveBeenCalled()
    expect(fieldError('user-form-phone')).toBe('请输入 11 位中国大陆手机号')
    expect(fieldError('user-form-email')).toBe('邮箱格式不正确')

    await fill('user-form-phone', '13812345678')
    await fill('user-form-email', 'zhangsan@bank.example')
    createMock.mockResolvedValueOnce({ user_id: 'u1', temporary_password: 'Tmp#12345' })
    await submit()
    expect(createMock).toHaveBeenCalledExactlyOnceWith({
      username: 'zhang.san',
      display_name: '张三',
      org_id: SB0102,
      roles: [],
      phone: '13812345678',
      email: 'zhangsan@bank.example',
    })
  })

  it('shows every field a 422 lists under its own item', async () => {
    mountForm()
    await flushPromises()
    await fill('user-form-username', 'zhang.san')
    await fill('user-form-name', '张三')
    await fill('user-form-phone', '13812345678')
    const body = {
      ...errorBody('QY-SYS-1013', '手机号格式不正确'),
      fields: [
        { field: 'phone', code: 'QY-SYS-1013', message: '手机号须为 11 位中国大陆手机号' },
        { field: 'username', code: 'QY-SYS-1006', message: '用户名格式不正确' },
      ],
    }
    createMock.mockRejectedValueOnce(toApiError(422, body))
    await submit()
    expect(fieldError('user-form-phone')).toBe('手机号须为 11 位中国大陆手机号')
    expect(fieldError('user-form-username')).toBe('用户名格式不正确')
    expect(fieldError('user-form-name')).toBeUndefined()
    expect(showError).not.toHaveBeenCalled()
  })

  it('starts empty again each time it opens', async () => {
    const w = mountForm()
    await flushPromises()
    await fill('user-form-username', 'zhangsan')
    await w.setProps({ modelValue: false })
    await w.setProps({ modelValue: true })
    await flushPromises()
    expect(inputOf('user-form-username').value).toBe('')
  })
})
