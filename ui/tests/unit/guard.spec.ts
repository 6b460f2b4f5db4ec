import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { RouteLocationNormalized } from 'vue-router'
import { me } from '@/api/identity/session'
import { authGuard, router, safeRedirect } from '@/router'
import { PERMISSIONS } from '@/router/menu'
import { useUserStore } from '@/stores/user'
import { makeUser } from './fixtures'

vi.mock('@/api/identity/session', () => ({ me: vi.fn(), login: vi.fn(), logout: vi.fn(), changePassword: vi.fn() }))
const meMock = vi.mocked(me)

const to = (path: string): RouteLocationNormalized => router.resolve(path) as RouteLocationNormalized

describe('route guard', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    meMock.mockReset()
  })

  it('probes the session once, then sends a visitor without one to login keeping the target', async () => {
    meMock.mockResolvedValue(null)
    expect(await authGuard(to('/system/status'))).toEqual({ name: 'login', query: { redirect: '/system/status' } })
    expect(await authGuard(to('/home'))).toEqual({ name: 'login', query: { redirect: '/home' } })
    expect(meMock).toHaveBeenCalledTimes(1)
  })

  it('lets anyone open the login page', async () => {
    meMock.mockResolvedValue(null)
    expect(await authGuard(to('/login'))).toBe(true)
  })

  it('forwards a logged-in user away from login to the redirect target', async () => {
    meMock.mockResolvedValue({ user: makeUser(), must_change_password: false, second_factor: 'done' })
    expect(await authGuard(to('/login?redirect=/system/status'))).toBe('/system/status')
  })

  it('keeps a session that owes the second-factor code on the login page (its code step)', async () => {
    meMock.mockResolvedValue({ user: makeUser([PERMISSIONS.systemStatus]), must_change_password: true, second_factor: 'verify' })
    expect(await authGuard(to('/login'))).toBe(true)
    expect(await authGuard(to('/login?redirect=/system/status'))).toBe(true)
    expect(await authGuard(to('/system/status'))).toEqual({ name: 'login', query: { redirect: '/system/status' } })
    expect(await authGuard(to('/password'))).toEqual({ name: 'login', query: { redirect: '/password' } })
    expect(await authGuard(to('/home'))).toEqual({ name: 'login' })
  })

  it('opens only the enrolment page while a role requires a second factor not set up', async () => {
    meMock.mockResolvedValue({ user: makeUser([PERMISSIONS.systemStatus]), must_change_password: false, second_factor: 'enrol' })
    expect(await authGuard(to('/system/status'))).toEqual({ name: 'totp-enrol', query: { redirect: '/system/status' } })
    expect(await authGuard(to('/home'))).toEqual({ name: 'totp-enrol' })
    expect(await authGuard(to('/account/profile'))).toEqual({ name: 'totp-enrol', query: { redirect: '/account/profile' } })
    expect(await authGuard(to('/password'))).toEqual({ name: 'totp-enrol', query: { redirect: '/password' } })
    expect(await authGuard(to('/account/totp-enrol'))).toBe(true)
    expect(await authGuard(to('/login?redirect=/system/status'))).toEqual({ name: 'totp-enrol', query: { redirect: '/system/status' } })
  })

  it('asks for the password change before the enrolment', async () => {
    meMock.mockResolvedValue({ user: makeUser(), must_change_password: true, second_factor: 'enrol' })
    expect(await authGuard(to('/account/totp-enrol'))).toEqual({ name: 'password', query: { redirect: '/account/totp-enrol' } })
    expect(await authGuard(to('/password'))).toBe(true)
  })

  it('sends a user who owes nothing from the enrolment page to 个人中心', async () => {
    meMock.mockResolvedValue({ user: makeUser([], { totp_enabled: true }), must_change_password: false, second_factor: 'done' })
    expect(await authGuard(to('/account/totp-enrol'))).toEqual({ name: 'profile' })
    expect(await authGuard(to('/account/profile'))).toBe(true)
  })

  it('opens only /password while the session probe says the password must be changed', async () => {
    meMock.mockResolvedValue({ user: makeUser([PERMISSIONS.systemStatus]), must_change_password: true, second_factor: 'done' })
    expect(await authGuard(to('/system/status'))).toEqual({ name: 'password', query: { redirect: '/system/status' } })
    expect(await authGuard(to('/home'))).toEqual({ name: 'password' })
    expect(await authGuard(to('/no/such/page'))).toEqual({ name: 'password', query: { redirect: '/no/such/page' } })
    expect(await authGuard(to('/password'))).toBe(true)
    expect(meMock).toHaveBeenCalledTimes(1)
  })

  it('sends a signed-in user who must change the password from login to /password, keeping the target', async () => {
    useUserStore().setUser(makeUser(), true)
    expect(await authGuard(to('/login?redirect=/system/status'))).toEqual({
      name: 'password',
      query: { redirect: '/system/status' },
    })
    expect(await authGuard(to('/login'))).toEqual({ name: 'password' })
  })

  it('opens everything again once the password has been changed', async () => {
    const store = useUserStore()
    store.setUser(makeUser([PERMISSIONS.systemStatus]), true)
    expect(await authGuard(to('/system/status'))).toMatchObject({ name: 'password' })
    store.mustChangePassword = false
    expect(await authGuard(to('/system/status'))).toBe(true)
    expect(await authGuard(to('/password'))).toBe(true)
  })

  it('lets a user without a forced change open /password from the user menu', async () => {
    useUserStore().setUser(makeUser([]))
    expect(await authGuard(to('/password'))).toBe(true)
  })

  it('refuses a page whose permission the user lacks', async () => {
    useUserStore().setUser(makeUser([]))
    expect(await authGuard(to('/system/status'))).toEqual({ name: 'forbidden' })
    useUserStore().setUser(makeUser([PERMISSIONS.systemStatus]))
    expect(await authGuard(to('/system/status'))).toBe(true)
    expect(meMock).not.toHaveBeenCalled()
  })

  it('follows only same-site redirects', () => {
    expect(safeRedirect('/system/status')).toBe('/system/status')
    expect(safeRedirect('//evil.example/x')).toBe('/home')
    expect(safeRedirect('https://evil.example')).toBe('/home')
    expect(safeRedirect(undefined)).toBe('/home')
  })
})
