import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { RouteLocationNormalized } from 'vue-router'
import { me } from '@/api/auth/session'
import { authGuard, router, safeRedirect } from '@/router'
import { PERMISSIONS } from '@/router/menu'
import { useUserStore } from '@/stores/user'
import { makeUser } from './fixtures'

vi.mock('@/api/auth/session', () => ({ me: vi.fn(), login: vi.fn(), logout: vi.fn() }))
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
    meMock.mockResolvedValue(makeUser())
    expect(await authGuard(to('/login?redirect=/system/status'))).toBe('/system/status')
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
