// The router and its guard: every page but /login needs a session, probed once from /api/v1/auth/me.
// What a session still owes comes first, in the server's order: the second-factor code (the login page's
// second step), then a password change (initial or temporary password: only /password opens), then an
// enrolment a role requires (only /account/totp-enrol opens).
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

function isPlain(target: string, own: string): boolean {
  return target === '/' || target === '/home' || target === own || target.startsWith(`${own}?`)
}

/** The forced detour to /password, remembering the page asked for (unless it is just home) for afterwards. */
export function passwordDetour(target: string): RouteLocationRaw {
  return isPlain(target, '/password') ? { name: 'password' } : { name: 'password', query: { redirect: target } }
}

export const ENROL_PATH = '/account/totp-enrol'

/** The forced detour to the enrolment page, remembering the page asked for (unless it is just home). */
export function enrolDetour(target: string): RouteLocationRaw {
  return isPlain(target, ENROL_PATH) ? { name: 'totp-enrol' } : { name: 'totp-enrol', query: { redirect: target } }
}

/** Back to the login page's code step, remembering the page asked for. */
export function codeDetour(target: string): RouteLocationRaw {
  return isPlain(target, '/login') ? { name: 'login' } : { name: 'login', query: { redirect: target } }
}

/** The page a signed-in session must see first, given what it owes, or null when it owes nothing. */
function owedDetour(store: ReturnType<typeof useUserStore>, target: string, to?: RouteLocationNormalized): RouteLocationRaw | null {
  if (store.mustChangePassword) return to?.name === 'password' ? null : passwordDetour(target)
  if (store.secondFactor === 'enrol') return to?.name === 'totp-enrol' ? null : enrolDetour(target)
  return null
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
    // The login page also asks for the second-factor code while the session owes it.
    if (to.name === 'login' && store.isLoggedIn && !store.awaitingCode) {
      const target = safeRedirect(to.query.redirect)
      return owedDetour(store, target) ?? target
    }
    return true
  }
  if (!store.isLoggedIn) {
    return { name: 'login', query: { redirect: to.fullPath } }
  }
  if (store.awaitingCode) return codeDetour(to.fullPath)
  const detour = owedDetour(store, to.fullPath, to)
  if (detour) return detour
  // Enrolling by choice is the profile page's; the page itself is for an enrolment that is owed.
  if (to.name === 'totp-enrol' && store.secondFactor !== 'enrol' && !store.mustChangePassword) return { name: 'profile' }
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
