import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { watch } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { reauth } from '@/api/identity/session'
import { configureClient, resetClientHooks, unwrap } from '@/api/client'
import { toApiError } from '@/api/error'
import { createReauthGate, type ReauthGate } from '@/auth/reauth'
import ReauthDialog from '@/components/ReauthDialog.vue'
import { i18n, setLocale } from '@/locales'
import { useUserStore } from '@/stores/user'
import { makeUser } from './fixtures'
import { errorBody, fakeServer, json, settle } from './helpers'

vi.mock('@/api/identity/session', () => ({ reauth: vi.fn(), logout: vi.fn(), me: vi.fn(), login: vi.fn(), changePassword: vi.fn() }))
const reauthMock = vi.mocked(reauth)

const INFO = '/api/v1/system/info'
const PASSWORD = '/api/v1/auth/password'

/** Counts how often the dialog opens. */
function countOpenings(gate: ReauthGate): () => number {
  let openings = 0
  watch(
    () => gate.state.open,
    (open) => {
      if (open) openings++
    },
    { flush: 'sync' },
  )
  return () => openings
}

/** Every path answers 401 QY-AUTH-0004 the first time and succeeds afterwards. */
function idleOnce() {
  return fakeServer((req, n) => {
    if (n === 1) return json(401, errorBody('QY-AUTH-0004', '请重新验证身份'))
    return new URL(req.url).pathname === INFO ? json(200, { version: '1.2.3', temporal_ui_url: null }) : json(204, undefined)
  })
}

describe('re-authentication queue', () => {
  let gate: ReauthGate
  beforeEach(() => {
    gate = createReauthGate()
    configureClient({ reauthenticate: gate.request })
  })
  afterEach(() => resetClientHooks())

  it('asks once for two calls that fail together and retries each once after the password is confirmed', async () => {
    const server = idleOnce()
    const openings = countOpenings(gate)
    const info = unwrap(server.client.GET(INFO))
    const change = unwrap(server.client.POST(PASSWORD, { body: { old_password: 'Old#2026a', new_password: 'New#2026b' } }))
    let done = 0
    void info.then(() => done++)
    void change.then(() => done++)
    await settle()

    expect(gate.state.open).toBe(true)
    expect(openings()).toBe(1)
    expect(server.fetch).toHaveBeenCalledTimes(2)
    expect(done).toBe(0) // both wait for the dialog

    gate.confirm()
    await expect(info).resolves.toEqual({ version: '1.2.3', temporal_ui_url: null })
    await expect(change).resolves.toBeUndefined()
    expect(gate.state.open).toBe(false)
    expect(openings()).toBe(1)
    expect(server.calls(INFO)).toHaveLength(2)
    expect(server.calls(PASSWORD)).toHaveLength(2)
    // The retry is the same request: body and headers intact.
    const retried = server.calls(PASSWORD)[1]!
    expect(retried.method).toBe('POST')
    expect(retried.headers.get('X-Requested-With')).toBe('quanyi')
    expect(await retried.json()).toEqual({ old_password: 'Old#2026a', new_password: 'New#2026b' })
  })

  it('hands the original 401 to every waiting call, without retrying, when the user gives up', async () => {
    const server = idleOnce()
    const a = unwrap(server.client.GET(INFO)).catch((e: unknown) => e)
    const b = unwrap(server.client.POST(PASSWORD, { body: { old_password: 'a', new_password: 'b' } })).catch((e: unknown) => e)
    await settle()
    gate.abandon()
    expect(await a).toMatchObject({ code: 'QY-AUTH-0004', status: 401 })
    expect(await b).toMatchObject({ code: 'QY-AUTH-0004', status: 401 })
    expect(server.fetch).toHaveBeenCalledTimes(2)
  })

  it('retries only once: a second QY-AUTH-0004 reaches the caller and opens no second dialog', async () => {
    const server = fakeServer(() => json(401, errorBody('QY-AUTH-0004')))
    const openings = countOpenings(gate)
    const call = unwrap(server.client.GET(INFO)).catch((e: unknown) => e)
    await settle()
    gate.confirm()
    expect(await call).toMatchObject({ code: 'QY-AUTH-0004' })
    await settle()
    expect(server.fetch).toHaveBeenCalledTimes(2)
    expect(openings()).toBe(1)
    expect(gate.state.open).toBe(false)
  })

  it('retries without asking a call that was sent before the password was confirmed', async () => {
    let release: (r: Response) => void = () => {}
    const server = fakeServer((req, n) => {
      if (n === 1 && new URL(req.url).pathname === PASSWORD) return new Promise<Response>((resolve) => (release = resolve))
      return n === 1 ? json(401, errorBody('QY-AUTH-0004')) : json(204, undefined)
    })
    const openings = countOpenings(gate)
    const slow = unwrap(server.client.POST(PASSWORD, { body: { old_password: 'a', new_password: 'b' } }))
    await settle()
    const quick = unwrap(server.client.POST('/api/v1/auth/logout')).catch(() => 'self-handled')
    const info = unwrap(server.client.GET(INFO))
    await settle()
    gate.confirm()
    await info
    // The slow call's 0004 arrives after the confirmation: retried at once, no second dialog.
    release(json(401, errorBody('QY-AUTH-0004')))
    await expect(slow).resolves.toBeUndefined()
    expect(openings()).toBe(1)
    expect(await quick).toBe('self-handled') // logout is never held for a dialog
  })

  it('does not hold the login, captcha, logout or re-auth calls for the dialog', async () => {
    const server = fakeServer(() => json(401, errorBody('QY-AUTH-0004')))
    await server.client.GET('/api/v1/auth/captcha')
    await server.client.POST('/api/v1/auth/reauth', { body: { password: 'x' } })
    await server.client.POST('/api/v1/auth/logout')
    expect(gate.state.open).toBe(false)
  })
})

describe('re-auth dialog', () => {
  let gate: ReauthGate
  const onSignedOut = vi.fn()

  async function mountDialog(totp = false) {
    const pinia = createPinia()
    setActivePinia(pinia)
    useUserStore().setUser(makeUser([], { username: 'zhangsan', display_name: '张三', totp_enabled: totp }))
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/home', name: 'home', component: { render: () => null } },
        { path: '/login', name: 'login', component: { render: () => null } },
      ],
    })
    await router.push('/home')
    const wrapper = mount(ReauthDialog, { props: { gate }, global: { plugins: [pinia, i18n, router] }, attachTo: document.body })
    return { wrapper, router }
  }

  const body = () => document.body
  const q = (id: string) => body().querySelector<HTMLElement>(`[data-testid="${id}"]`)

  async function typePassword(value: string) {
    const input = q('reauth-password')?.querySelector('input') ?? (q('reauth-password') as HTMLInputElement | null)
    if (!input) throw new Error('no password input')
    ;(input as HTMLInputElement).value = value
    input.dispatchEvent(new Event('input'))
    await flushPromises()
  }

  beforeEach(() => {
    setLocale('zh-CN')
    gate = createReauthGate()
    reauthMock.mockReset()
    onSignedOut.mockReset()
    configureClient({ onSignedOut })
    document.body.innerHTML = ''
  })
  afterEach(() => resetClientHooks())

  it('opens with the gate, shows the account, and releases the waiting calls once the password is taken', async () => {
    const { wrapper } = await mountDialog()
    expect(q('reauth-dialog')).toBeNull()
    const waiting = gate.request()
    await flushPromises()
    expect(q('reauth-dialog')?.textContent).toContain('张三')
    expect(body().textContent).toContain('重新验证身份')

    reauthMock.mockRejectedValueOnce(toApiError(401, errorBody('QY-AUTH-0002', '密码错误，还可尝试 4 次')))
    await typePassword('wrong')
    q('reauth-submit')?.click()
    await flushPromises()
    expect(reauthMock).toHaveBeenCalledWith({ password: 'wrong' })
    expect(q('reauth-error')?.textContent).toContain('密码错误，还可尝试 4 次')
    expect(gate.state.open).toBe(true)

    reauthMock.mockResolvedValueOnce(undefined)
    await typePassword('Right#2026')
    q('reauth-submit')?.click()
    await flushPromises()
    expect(reauthMock).toHaveBeenLastCalledWith({ password: 'Right#2026' })
    await expect(waiting).resolves.toBe(true)
    expect(gate.state.open).toBe(false)
    expect(onSignedOut).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('gives up and ends the session with the server\'s message when the account is locked', async () => {
    const { wrapper } = await mountDialog()
    const waiting = gate.request()
    await flushPromises()
    reauthMock.mockRejectedValueOnce(toApiError(401, errorBody('QY-AUTH-0007', '账户已锁定，请联系管理员')))
    await typePassword('wrong again')
    q('reauth-submit')?.click()
    await flushPromises()
    await expect(waiting).resolves.toBe(false)
    expect(onSignedOut).toHaveBeenCalledTimes(1)
    expect(onSignedOut.mock.calls[0]?.[0]).toMatchObject({ code: 'QY-AUTH-0007', message: '账户已锁定，请联系管理员' })
    wrapper.unmount()
  })

  it('asks for the password before calling the server', async () => {
    const { wrapper } = await mountDialog()
    void gate.request()
    await flushPromises()
    q('reauth-submit')?.click()
    await flushPromises()
    expect(reauthMock).not.toHaveBeenCalled()
    expect(q('reauth-dialog')?.textContent).toContain('请输入登录密码')
    wrapper.unmount()
  })

  it('lets the user sign out instead, which releases the waiting calls and goes to login', async () => {
    const { wrapper, router } = await mountDialog()
    const waiting = gate.request()
    await flushPromises()
    q('reauth-logout')?.click()
    await flushPromises()
    await expect(waiting).resolves.toBe(false)
    expect(router.currentRoute.value.name).toBe('login')
    expect(useUserStore().isLoggedIn).toBe(false)
    wrapper.unmount()
  })

  it('offers no code without a second factor', async () => {
    const { wrapper } = await mountDialog(false)
    void gate.request()
    await flushPromises()
    expect(q('reauth-mode')).toBeNull()
    expect(q('reauth-desc')?.textContent).not.toContain('动态验证码')
    wrapper.unmount()
  })

  it('takes a code of the second factor instead of the password, and shows a wrong code\'s message', async () => {
    const { wrapper } = await mountDialog(true)
    const waiting = gate.request(undefined, 'step-up')
    await flushPromises()
    expect(q('reauth-desc')?.textContent).toContain('登录密码或动态验证码')
    q('reauth-mode-code')?.click()
    await flushPromises()
    const field = q('reauth-code')
    const input = (field?.tagName === 'INPUT' ? field : field?.querySelector('input')) as HTMLInputElement
    input.value = '12 34 5'
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    q('reauth-submit')?.click()
    await flushPromises()
    expect(reauthMock).not.toHaveBeenCalled()
    expect(input.value).toBe('12345')
    expect(q('reauth-dialog')?.querySelector('.el-form-item.is-error')).not.toBeNull()

    reauthMock.mockRejectedValueOnce(toApiError(401, errorBody('QY-AUTH-0014', '动态验证码错误')))
    input.value = '123456'
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    q('reauth-submit')?.click()
    await flushPromises()
    expect(reauthMock).toHaveBeenCalledWith({ totp_code: '123456' })
    expect(q('reauth-error')?.textContent).toContain('动态验证码错误')
    expect(onSignedOut).not.toHaveBeenCalled()
    expect(gate.state.open).toBe(true)

    reauthMock.mockResolvedValueOnce(undefined)
    input.value = '654321'
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    q('reauth-submit')?.click()
    await flushPromises()
    expect(reauthMock).toHaveBeenLastCalledWith({ totp_code: '654321' })
    await expect(waiting).resolves.toBe(true)
    wrapper.unmount()
  })
})
