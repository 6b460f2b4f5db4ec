// The router and its guard: every page but /login needs a session, probed once from /api/v1/auth/me;
// while the password must be changed (initial or temporary password), only /password opens.
import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteLocationRaw } from 'vue-router'
import { i18n } from '@/locales'
import { useUserStore } from '@/stores/user'
import { showError } from '@/utils/notify'
import { routes } from './routes'

/** Only same-site paths are followed after login (no `//evil.example` or absolute URLs). */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/login')
    ? value
    : '/home'
}

/** The forced detour to /password, remembering the page asked for (unless it is just home) for afterwards. */
export function passwordDetour(target: string): RouteLocationRaw {
  const plain = target === '/' || target === '/home' || target === '/password' || target.startsWith('/password?')
  return plain ? { name: 'password' } : { name: 'password', query: { redirect: target } }
}

export async function authGuard(to: RouteLocationNormalized): Promise<true | RouteLocationRaw> {
  const store = useUserStore()
  if (!store.loaded) {
    try {
      await store.fetchMe()
    } catch (err) {
      // Server down or unreachable: say so, and offer the login page rather than a blank screen.
      showError(err)
    }
  }
  if (to.meta.public) {
    if (to.name === 'login' && store.isLoggedIn) {
      const target = safeRedirect(to.query.redirect)
      return store.mustChangePassword ? passwordDetour(target) : target
    }
    return true
  }
  if (!store.isLoggedIn) {
    return { name: 'login', query: { redirect: to.fullPath } }
  }
  if (store.mustChangePassword && to.name !== 'password') return passwordDetour(to.fullPath)
  if (to.meta.permission && !store.hasPermission(to.meta.permission)) return { name: 'forbidden' }
  return true
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach(authGuard)

/** `<page> - 权益 Quanyi`, in the current language (App.vue calls it again when the language changes). */
export function updateDocumentTitle(): void {
  const t = i18n.global.t
  const title = router.currentRoute.value.meta.title
  document.title = title ? `${t(title)} - ${t('app.brand')}` : t('app.title')
}

router.afterEach(() => updateDocumentTitle())
