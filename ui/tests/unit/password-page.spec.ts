import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { changePassword, logout } from '@/api/identity/session'
import { toApiError } from '@/api/error'
import { i18n, setLocale } from '@/locales'
import { authGuard } from '@/router'
import { useUserStore } from '@/stores/user'
import type * as Notify from '@/utils/notify'
import { showError } from '@/utils/notify'
import PasswordView from '@/views/identity/password/index.vue'
import { makeUser } from './fixtures'
import { errorBody } from './helpers'

vi.mock('@/api/identity/session', () => ({ changePassword: vi.fn(), logout: vi.fn(), me: vi.fn(), login: vi.fn() }))
vi.mock('@/utils/notify', async (importOriginal) => ({
  ...(await importOriginal<typeof Notify>()),
  showError: vi.fn(),
}))
const changeMock = vi.mocked(changePassword)

type Q = (id: string) => HTMLElement | null

async function mountPage(opts: { forced?: boolean; path?: string } = {}): Promise<{ router: Router; q: Q }> {
  const pinia = createPinia()
  setActivePinia(pinia)
  useUserStore().setUser(makeUser([], { username: 'zhangsan', display_name: '张三' }), opts.forced ?? false)
  const page = { render: () => null }
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: page, meta: { public: true } },
      { path: '/home', name: 'home', component: page },
      { path: '/system/status', name: 'system-status', component: page },
      { path: '/password', name: 'password', component: PasswordView },
    ],
  })
  router.beforeEach(authGuard)
  await router.push(opts.path ?? '/password')
  mount({ template: '<router-view />' }, {
    global: { plugins: [pinia, i18n, router], stubs: { transition: false, 'transition-group': false } },
    attachTo: document.body,
  })
  await flushPromises()
  return { router, q: (id) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`) }
}

function inputOf(q: Q, id: string): HTMLInputElement {
  const el = q(id)
  const input = el?.tagName === 'INPUT' ? el : el?.querySelector('input')
  if (!input) throw new Error(`no input ${id}`)
  return input as HTMLInputElement
}

async function fill(q: Q, id: string, value: string, wait = false) {
  const input = inputOf(q, id)
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
  if (wait) await debounce()
}

/** Element Plus shows a field's error 100 ms after its state changes (debounced). */
const debounce = () => new Promise((resolve) => setTimeout(resolve, 120))

async function submit(q: Q) {
  q('password-submit')?.click()
  await flushPromises()
  await flushPromises()
  await debounce()
}

const state = (q: Q, id: string) => q(id)?.getAttribute('data-state')
const fieldError = (q: Q, id: string) => q(id)?.closest('.el-form-item')?.querySelector('.el-form-item__error')?.textContent?.trim()

describe('change-password page', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    changeMock.mockReset()
    vi.mocked(showError).mockReset()
    vi.mocked(logout).mockReset()
  })

  it('shows the rule checklist, all pending, and updates it as the new password is typed', async () => {
    const { q } = await mountPage()
    expect(q('password-rules')?.textContent).toContain('密码规则')
    for (const id of ['rule-length', 'rule-variety', 'rule-noUsername', 'rule-confirm']) expect(state(q, id)).toBe('pending')
    expect(q('rule-history')?.textContent).toContain('最近 5 次')
    expect(q('rule-interval')).not.toBeNull()
    expect(q('password-forced')).toBeNull()

    await fill(q, 'password-new', 'zhangsan1')
    expect(state(q, 'rule-length')).toBe('met')
    expect(state(q, 'rule-variety')).toBe('unmet')
    expect(state(q, 'rule-noUsername')).toBe('unmet')
    expect(state(q, 'rule-class-lower')).toBe('met')
    expect(state(q, 'rule-class-digit')).toBe('met')
    expect(state(q, 'rule-class-upper')).toBe('unmet')

    await fill(q, 'password-new', 'Quanyi#2026')
    await fill(q, 'password-confirm', 'Quanyi#202')
    expect(state(q, 'rule-variety')).toBe('met')
    expect(state(q, 'rule-noUsername')).toBe('met')
    expect(state(q, 'rule-confirm')).toBe('unmet')
    await fill(q, 'password-confirm', 'Quanyi#2026')
    expect(state(q, 'rule-confirm')).toBe('met')
  })

  it('does not send a password that breaks a rule the browser can check', async () => {
    const { q } = await mountPage()
    await fill(q, 'password-old', 'Old#2025a')
    await fill(q, 'password-new', 'abcdefgh')
    await fill(q, 'password-confirm', 'abcdefgh')
    await submit(q)
    expect(changeMock).not.toHaveBeenCalled()
    expect(fieldError(q, 'password-new')).toBe('须包含大写字母、小写字母、数字、符号中的至少 3 类')

    await fill(q, 'password-new', 'Quanyi#2026')
    await fill(q, 'password-confirm', 'Quanyi#2027')
    await submit(q)
    expect(changeMock).not.toHaveBeenCalled()
    expect(fieldError(q, 'password-confirm')).toBe('两次输入的新密码不一致')
  })

  it('shows the server\'s QY-PWD-0006 under the old password and the other rule errors under the new one', async () => {
    const { q } = await mountPage()
    await fill(q, 'password-old', 'Wrong#2025')
    await fill(q, 'password-new', 'Quanyi#2026')
    await fill(q, 'password-confirm', 'Quanyi#2026')
    changeMock.mockRejectedValueOnce(toApiError(422, errorBody('QY-PWD-0006', '原密码不正确')))
    await submit(q)
    expect(changeMock).toHaveBeenCalledWith({ old_password: 'Wrong#2025', new_password: 'Quanyi#2026' })
    expect(fieldError(q, 'password-old')).toBe('原密码不正确')
    expect(fieldError(q, 'password-new')).toBeUndefined()
    expect(inputOf(q, 'password-old').value).toBe('')

    await fill(q, 'password-old', 'Right#2025', true)
    expect(fieldError(q, 'password-old')).toBeUndefined()
    changeMock.mockRejectedValueOnce(toApiError(422, errorBody('QY-PWD-0004', '不能与最近 5 次使用过的密码相同')))
    await submit(q)
    expect(fieldError(q, 'password-new')).toBe('不能与最近 5 次使用过的密码相同')
    expect(fieldError(q, 'password-old')).toBeUndefined()
    expect(showError).not.toHaveBeenCalled()

    changeMock.mockRejectedValueOnce(toApiError(500, errorBody('QY-SYS-0001', '内部错误')))
    await fill(q, 'password-new', 'Quanyi#2028')
    await fill(q, 'password-confirm', 'Quanyi#2028')
    await submit(q)
    expect(showError).toHaveBeenCalledTimes(1)
  })

  it('forced: explains why, hides the one-day rule, offers sign-out, and opens the system once changed', async () => {
    const { q, router } = await mountPage({ forced: true, path: '/system/status' })
    expect(router.currentRoute.value.fullPath).toBe('/password?redirect=/system/status')
    expect(q('password-forced')?.textContent).toContain('初始密码或临时密码，须修改后才能使用系统')
    expect(q('password-page')?.getAttribute('data-forced')).toBe('true')
    expect(q('rule-interval')).toBeNull()
    expect(q('password-logout')).not.toBeNull()
    expect(q('password-cancel')).toBeNull()

    await fill(q, 'password-old', 'Initial#2025')
    await fill(q, 'password-new', 'Quanyi#2026')
    await fill(q, 'password-confirm', 'Quanyi#2026')
    changeMock.mockResolvedValueOnce(undefined)
    await submit(q)
    await flushPromises()
    expect(useUserStore().mustChangePassword).toBe(false)
    expect(router.currentRoute.value.fullPath).toBe('/system/status')
  })

  it('in English too', async () => {
    setLocale('en')
    const { q } = await mountPage({ forced: true })
    expect(q('password-forced')?.textContent).toContain('initial or temporary password')
    expect(q('password-rules')?.textContent).toContain('At least 8 characters')
  })
})
