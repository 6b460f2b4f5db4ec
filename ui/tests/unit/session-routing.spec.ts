import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { authActionFor, configureClient, resetClientHooks, unwrap } from '@/api/client'
import { createSessionHandlers } from '@/auth/handlers'
import { createReauthGate } from '@/auth/reauth'
import { setLocale } from '@/locales'
import { useUserStore } from '@/stores/user'
import { makeUser } from './fixtures'
import { errorBody, fakeServer, json, settle } from './helpers'

const INFO = '/api/v1/system/info'
const ME = '/api/v1/auth/me'

describe('which failures concern the session', () => {
  const e = (code: string) => errorBody(code)

  it('routes the session codes of ordinary calls', () => {
    expect(authActionFor(INFO, 401, e('QY-AUTH-0004'))).toBe('reauth')
    expect(authActionFor(INFO, 403, e('QY-AUTH-0009'))).toBe('change-password')
    expect(authActionFor(INFO, 401, e('QY-AUTH-0001'))).toBe('signed-out')
    expect(authActionFor(INFO, 401, e('QY-AUTH-0005'))).toBe('signed-out')
    expect(authActionFor(INFO, 401, e('QY-AUTH-0010'))).toBe('signed-out')
    expect(authActionFor(INFO, 401, '<html>proxy</html>')).toBe('signed-out')
  })

  it('signs out a user whose merchant is disabled (QY-MER-0001), on any call, the session probe too', () => {
    expect(authActionFor(INFO, 403, e('QY-MER-0001'))).toBe('signed-out')
    expect(authActionFor(ME, 403, e('QY-MER-0001'))).toBe('signed-out')
    // the sign-in form shows it itself
    expect(authActionFor('/api/v1/auth/login', 403, e('QY-MER-0001'))).toBeNull()
    expect(authActionFor(INFO, 409, e('QY-MER-0002'))).toBeNull()
  })

  it('routes the second-factor codes: code owed → login, enrolment owed → its page, a wrong code stays with the caller', () => {
    expect(authActionFor(INFO, 403, e('QY-AUTH-0012'))).toBe('second-factor')
    expect(authActionFor(INFO, 403, e('QY-AUTH-0013'))).toBe('enrol')
    expect(authActionFor('/api/v1/auth/totp/enrolment/confirm', 401, e('QY-AUTH-0014'))).toBeNull()
    expect(authActionFor('/api/v1/auth/totp/verify', 401, e('QY-AUTH-0014'))).toBeNull()
    expect(authActionFor('/api/v1/auth/totp/verify', 423, e('QY-AUTH-0007'))).toBeNull()
    expect(authActionFor('/api/v1/auth/totp', 409, e('QY-AUTH-0017'))).toBeNull()
  })

  it('leaves everything else to the caller', () => {
    expect(authActionFor(INFO, 200, null)).toBeNull()
    expect(authActionFor(INFO, 403, e('QY-AUTH-0003'))).toBeNull()
    expect(authActionFor(INFO, 500, e('QY-SYS-0001'))).toBeNull()
    expect(authActionFor('/api/v1/auth/password', 401, e('QY-PWD-0006'))).toBeNull()
    expect(authActionFor('/api/v1/auth/password', 422, e('QY-PWD-0002'))).toBeNull()
  })

  it('never acts on the login form, the captcha, sign-out or the re-auth dialog', () => {
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/captcha', '/api/v1/auth/logout', '/api/v1/auth/reauth']) {
      for (const code of ['QY-AUTH-0001', 'QY-AUTH-0004', 'QY-AUTH-0005', 'QY-AUTH-0009']) {
        expect(authActionFor(path, 401, e(code)), `${path} ${code}`).toBeNull()
      }
    }
  })

  it('treats the plain 401 of the session probe as "no session", but acts on an ended or idle one', () => {
    expect(authActionFor(ME, 401, e('QY-AUTH-0001'))).toBeNull()
    expect(authActionFor(ME, 401, e('QY-AUTH-0005'))).toBe('signed-out')
    expect(authActionFor(ME, 401, e('QY-AUTH-0010'))).toBe('signed-out')
    expect(authActionFor(ME, 401, e('QY-AUTH-0004'))).toBe('reauth')
  })
})

describe('error-code routing in the app', () => {
  let router: Router
  const gate = createReauthGate()

  beforeEach(async () => {
    setLocale('zh-CN')
    setActivePinia(createPinia())
    useUserStore().setUser(makeUser())
    const page = { render: () => null }
    router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/login', name: 'login', component: page },
        { path: '/home', name: 'home', component: page },
        { path: '/password', name: 'password', component: page },
        { path: '/account/totp-enrol', name: 'totp-enrol', component: page },
        { path: '/system/status', name: 'system-status', component: page },
      ],
    })
    await router.push('/system/status?tab=1')
    configureClient({ reauthenticate: gate.request, ...createSessionHandlers(router, () => useUserStore()) })
  })
  afterEach(() => {
    gate.abandon()
    resetClientHooks()
  })

  for (const [code, message] of [
    ['QY-AUTH-0005', '您的账号已在其他地方登录，本次会话已结束'],
    ['QY-AUTH-0010', '会话已达 3 小时上限，请重新登录'],
    ['QY-AUTH-0001', '请先登录'],
  ] as const) {
    it(`${code}: back to login keeping the page, with the server's message shown once`, async () => {
      const server = fakeServer(() => json(401, errorBody(code, message)))
      await expect(unwrap(server.client.GET(INFO))).rejects.toMatchObject({ code })
      await settle()
      expect(router.currentRoute.value.name).toBe('login')
      expect(router.currentRoute.value.query.redirect).toBe('/system/status?tab=1')
      const store = useUserStore()
      expect(store.isLoggedIn).toBe(false)
      expect(store.takeNotice()).toBe(message)
      expect(store.takeNotice()).toBeNull()
      expect(gate.state.open).toBe(false)
    })
  }

  it('keeps the first message when several calls end together', async () => {
    let n = 0
    const server = fakeServer(() => json(401, errorBody('QY-AUTH-0005', `会话已结束 ${++n}`)))
    await Promise.allSettled([unwrap(server.client.GET(INFO)), unwrap(server.client.GET(INFO))])
    await settle()
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.redirect).toBe('/system/status?tab=1')
    expect(useUserStore().takeNotice()).toBe('会话已结束 1')
  })

  it('session probe answering QY-AUTH-0005: keeps the message but leaves the navigation to the guard', async () => {
    const server = fakeServer(() => json(401, errorBody('QY-AUTH-0005', '已在其他地方登录')))
    await server.client.GET(ME)
    await settle()
    expect(router.currentRoute.value.name).toBe('system-status')
    expect(useUserStore().notice).toBe('已在其他地方登录')
  })

  it('QY-AUTH-0009: to /password, remembering the page, and the store knows the password must change', async () => {
    const server = fakeServer(() => json(403, errorBody('QY-AUTH-0009', '请先修改密码')))
    await expect(unwrap(server.client.GET(INFO))).rejects.toMatchObject({ code: 'QY-AUTH-0009', status: 403 })
    await settle()
    expect(router.currentRoute.value.name).toBe('password')
    expect(router.currentRoute.value.query.redirect).toBe('/system/status?tab=1')
    expect(useUserStore().mustChangePassword).toBe(true)
    expect(useUserStore().isLoggedIn).toBe(true)
  })

  it('QY-AUTH-0013: to the enrolment page, remembering the page, and the store knows it is owed', async () => {
    const server = fakeServer(() => json(403, errorBody('QY-AUTH-0013', '请先绑定动态验证码')))
    await expect(unwrap(server.client.GET(INFO))).rejects.toMatchObject({ code: 'QY-AUTH-0013', status: 403 })
    await settle()
    expect(router.currentRoute.value.name).toBe('totp-enrol')
    expect(router.currentRoute.value.query.redirect).toBe('/system/status?tab=1')
    expect(useUserStore().secondFactor).toBe('enrol')
    expect(useUserStore().restricted).toBe(true)
  })

  it('QY-AUTH-0012: back to the login page\'s code step, the session kept', async () => {
    const server = fakeServer(() => json(403, errorBody('QY-AUTH-0012', '请输入动态验证码')))
    await expect(unwrap(server.client.GET(INFO))).rejects.toMatchObject({ code: 'QY-AUTH-0012' })
    await settle()
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.redirect).toBe('/system/status?tab=1')
    expect(useUserStore().awaitingCode).toBe(true)
    expect(useUserStore().isLoggedIn).toBe(true)
  })

  it('QY-AUTH-0004: the re-auth dialog, and the page stays where it is', async () => {
    const server = fakeServer((_req, n) => (n === 1 ? json(401, errorBody('QY-AUTH-0004')) : json(200, { version: '1', temporal_ui_url: null })))
    const call = unwrap(server.client.GET(INFO))
    await settle()
    expect(gate.state.open).toBe(true)
    expect(router.currentRoute.value.fullPath).toBe('/system/status?tab=1')
    expect(useUserStore().isLoggedIn).toBe(true)
    gate.confirm()
    await expect(call).resolves.toEqual({ version: '1', temporal_ui_url: null })
  })

  it('a retried call that finds the session ended goes to login like any other', async () => {
    const server = fakeServer((_req, n) =>
      n === 1 ? json(401, errorBody('QY-AUTH-0004')) : json(401, errorBody('QY-AUTH-0010', '会话已达上限')),
    )
    const call = unwrap(server.client.GET(INFO)).catch((e: unknown) => e)
    await settle()
    gate.confirm()
    expect(await call).toMatchObject({ code: 'QY-AUTH-0010' })
    await settle()
    expect(router.currentRoute.value.name).toBe('login')
    expect(useUserStore().takeNotice()).toBe('会话已达上限')
  })
})
