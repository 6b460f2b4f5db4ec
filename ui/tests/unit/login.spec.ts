import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { getCaptcha, login, me } from '@/api/identity/session'
import { toApiError } from '@/api/error'
import type { LoginResponse } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import { authGuard } from '@/router'
import { useUserStore } from '@/stores/user'
import type * as Notify from '@/utils/notify'
import { showLastLoginNotice } from '@/utils/notify'
import LoginView from '@/views/login/index.vue'
import { makeUser } from './fixtures'
import { errorBody } from './helpers'

vi.mock('@/api/identity/session', () => ({
  getCaptcha: vi.fn(),
  login: vi.fn(),
  me: vi.fn(),
  logout: vi.fn(),
  changePassword: vi.fn(),
}))
vi.mock('@/utils/notify', async (importOriginal) => ({
  ...(await importOriginal<typeof Notify>()),
  showLastLoginNotice: vi.fn(),
}))

const captchaMock = vi.mocked(getCaptcha)
const loginMock = vi.mocked(login)
const noticeMock = vi.mocked(showLastLoginNotice)

let captchaCount = 0
function nextCaptcha() {
  captchaCount += 1
  return { captcha_id: `00000000-0000-4000-8000-00000000000${captchaCount}`, image: `data:image/svg+xml;base64,PHN2Zy8+${captchaCount}` }
}

async function mountLogin(path = '/login'): Promise<{ router: Router; q: (id: string) => HTMLElement | null; wrapper: ReturnType<typeof mount> }> {
  const page = { render: () => null }
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
      { path: '/home', name: 'home', component: page },
      { path: '/password', name: 'password', component: page },
      { path: '/system/status', name: 'system-status', component: page },
    ],
  })
  router.beforeEach(authGuard)
  await router.push(path)
  const wrapper = mount({ template: '<router-view />' }, { global: { plugins: [i18n, router] }, attachTo: document.body })
  await flushPromises()
  const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)
  return { router, q, wrapper }
}

/** Element Plus puts the test id on the <input> itself or on its wrapper. */
function inputOf(q: (id: string) => HTMLElement | null, id: string): HTMLInputElement {
  const el = q(id)
  const input = el?.tagName === 'INPUT' ? el : el?.querySelector('input')
  if (!input) throw new Error(`no input ${id}`)
  return input as HTMLInputElement
}

async function fill(q: (id: string) => HTMLElement | null, id: string, value: string) {
  const input = inputOf(q, id)
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}

async function submit(q: (id: string) => HTMLElement | null) {
  q('login-submit')?.click()
  await flushPromises()
  await flushPromises()
}

function success(overrides: Partial<LoginResponse> = {}): LoginResponse {
  return { user: makeUser(), last_login: null, must_change_password: false, second_factor: 'done', ...overrides }
}

const captchaId = (q: (id: string) => HTMLElement | null) => q('captcha-image')?.getAttribute('data-captcha-id')

describe('login page', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    setActivePinia(createPinia())
    document.body.innerHTML = ''
    captchaCount = 0
    captchaMock.mockReset().mockImplementation(async () => nextCaptcha())
    loginMock.mockReset()
    noticeMock.mockReset()
    vi.mocked(me).mockReset().mockResolvedValue(null)
  })

  it('shows the captcha image with its id and sends the id and answer with the credentials', async () => {
    const { q, router } = await mountLogin('/login?redirect=/system/status')
    const img = q('captcha-image') as HTMLImageElement
    expect(img.getAttribute('src')).toBe('data:image/svg+xml;base64,PHN2Zy8+1')
    expect(captchaId(q)).toBe('00000000-0000-4000-8000-000000000001')

    const last = { at: '2026-03-02T01:04:05Z', ip: '10.8.1.23', success: true, failures_since: 0 }
    loginMock.mockResolvedValue(success({ last_login: last }))
    await fill(q, 'login-username', ' zhangsan ')
    await fill(q, 'login-password', 'Secret#2026')
    await fill(q, 'login-captcha', ' 7k3p ')
    await submit(q)
    expect(loginMock).toHaveBeenCalledWith({
      username: 'zhangsan',
      password: 'Secret#2026',
      captcha_id: '00000000-0000-4000-8000-000000000001',
      captcha_answer: '7k3p',
    })
    expect(noticeMock).toHaveBeenCalledWith(last)
    expect(router.currentRoute.value.fullPath).toBe('/system/status')
  })

  it('a wrong captcha: the server\'s message, a new image, the captcha input focused, the password kept', async () => {
    const { q } = await mountLogin()
    loginMock.mockRejectedValue(toApiError(401, errorBody('QY-AUTH-0006', '验证码错误或已过期')))
    await fill(q, 'login-username', 'zhangsan')
    await fill(q, 'login-password', 'Secret#2026')
    await fill(q, 'login-captcha', 'xxxx')
    await submit(q)
    expect(q('login-error')?.textContent).toContain('验证码错误或已过期')
    expect(q('login-error')?.getAttribute('data-code')).toBe('QY-AUTH-0006')
    expect(captchaMock).toHaveBeenCalledTimes(2)
    expect(captchaId(q)).toBe('00000000-0000-4000-8000-000000000002')
    expect(document.activeElement).toBe(inputOf(q, 'login-captcha'))
    expect(inputOf(q, 'login-captcha').value).toBe('')
    expect(inputOf(q, 'login-password').value).toBe('Secret#2026')
  })

  for (const [status, code, message] of [
    [401, 'QY-AUTH-0002', '用户名或密码错误'],
    [401, 'QY-AUTH-0007', '账户已锁定，请 30 分钟后再试'],
    [429, 'QY-AUTH-0008', '尝试次数过多，请稍后再试'],
  ] as const) {
    it(`${code}: the server's message, a new captcha, the password cleared`, async () => {
      const { q } = await mountLogin()
      loginMock.mockRejectedValue(toApiError(status, errorBody(code, message)))
      await fill(q, 'login-username', 'zhangsan')
      await fill(q, 'login-password', 'Secret#2026')
      await fill(q, 'login-captcha', 'abcd')
      await submit(q)
      expect(q('login-error')?.textContent).toContain(message)
      expect(captchaMock).toHaveBeenCalledTimes(2)
      expect(captchaId(q)).toBe('00000000-0000-4000-8000-000000000002')
      expect(inputOf(q, 'login-password').value).toBe('')
      expect(useUserStore().isLoggedIn).toBe(false)
    })
  }

  it('does not submit without a captcha answer', async () => {
    const { q } = await mountLogin()
    await fill(q, 'login-username', 'zhangsan')
    await fill(q, 'login-password', 'Secret#2026')
    await submit(q)
    expect(loginMock).not.toHaveBeenCalled()
    expect(q('login-captcha')?.closest('.el-form-item')?.classList.contains('is-error')).toBe(true)
    expect(q('login-password')?.closest('.el-form-item')?.classList.contains('is-error')).toBe(false)
  })

  it('gets a new captcha when the image or the refresh button is clicked', async () => {
    const { q } = await mountLogin()
    q('captcha-box')?.click()
    await flushPromises()
    expect(captchaId(q)).toBe('00000000-0000-4000-8000-000000000002')
    q('captcha-refresh')?.click()
    await flushPromises()
    expect(captchaId(q)).toBe('00000000-0000-4000-8000-000000000003')
  })

  it('goes to the change-password page when the server says the password must be changed', async () => {
    const { q, router } = await mountLogin('/login?redirect=/system/status')
    loginMock.mockResolvedValue(success({ must_change_password: true }))
    await fill(q, 'login-username', 'zhangsan')
    await fill(q, 'login-password', 'Initial#2026')
    await fill(q, 'login-captcha', 'abcd')
    await submit(q)
    await flushPromises()
    expect(useUserStore().mustChangePassword).toBe(true)
    expect(router.currentRoute.value.name).toBe('password')
    expect(router.currentRoute.value.query.redirect).toBe('/system/status')
    // …and nothing else opens.
    await router.push('/home')
    expect(router.currentRoute.value.name).toBe('password')
  })

  it('shows once why the previous session ended', async () => {
    useUserStore().setNotice('您的账号已在其他地方登录')
    const { q, wrapper } = await mountLogin()
    expect(q('login-notice')?.textContent).toContain('您的账号已在其他地方登录')
    wrapper.unmount()
    document.body.innerHTML = ''
    const again = await mountLogin()
    expect(again.q('login-notice')).toBeNull()
  })

  it('says so in the captcha box when the captcha cannot be loaded', async () => {
    captchaMock.mockReset().mockRejectedValue(toApiError(429, errorBody('QY-AUTH-0008', '请求过于频繁')))
    const { q } = await mountLogin()
    expect(q('captcha-image')).toBeNull()
    expect(q('captcha-box')?.textContent).toContain('加载失败')
    expect(q('login-error')?.textContent).toContain('请求过于频繁')
  })
})
