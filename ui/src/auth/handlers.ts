// What the API client's session hooks do in the app (wired in main.ts): a session that ended goes to the
// login page with the server's message (shown there once), a forced password change to /password, a
// second-factor code still owed to the login page's code step, an enrolment a role requires to its page.
import type { Router } from 'vue-router'
import { SESSION_PATH, type ClientHooks } from '@/api/client'
import type { ApiError } from '@/api/error'
import { i18n } from '@/locales'
import { codeDetour, enrolDetour, passwordDetour } from '@/router'
import type { UserStore } from '@/stores/user'

export function createSessionHandlers(
  router: Router,
  store: () => UserStore,
): Pick<ClientHooks, 'onSignedOut' | 'onPasswordChangeRequired' | 'onSecondFactorRequired' | 'onEnrolmentRequired'> {
  return {
    onSignedOut(error: ApiError, path: string) {
      const s = store()
      s.clear()
      s.setNotice(error.fromServer && error.message ? error.message : i18n.global.t('layout.sessionExpired'))
      // The session probe runs inside the route guard, which is already on its way to the login page.
      if (path === SESSION_PATH) return
      const current = router.currentRoute.value
      if (current.name === 'login') return
      void router.replace({ name: 'login', query: { redirect: current.fullPath } })
    },
    onPasswordChangeRequired() {
      const s = store()
      s.mustChangePassword = true
      const current = router.currentRoute.value
      if (current.name === 'password') return
      void router.replace(passwordDetour(current.fullPath))
    },
    onSecondFactorRequired() {
      const s = store()
      s.secondFactor = 'verify'
      const current = router.currentRoute.value
      if (current.name === 'login') return
      void router.replace(codeDetour(current.fullPath))
    },
    onEnrolmentRequired() {
      const s = store()
      s.secondFactor = 'enrol'
      const current = router.currentRoute.value
      if (current.name === 'totp-enrol') return
      void router.replace(enrolDetour(current.fullPath))
    },
  }
}
