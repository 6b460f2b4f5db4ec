// The logged-in user and their permissions. Loaded once by the route guard from /api/v1/auth/me.
// Also holds what the session still owes before anything else: the second-factor code (`verify`, asked on
// the login page), a password change (SEC-1), an enrolment a role requires (`enrol`) — in that order —
// and the server's message to show once on the login page when a session ended under the user.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as session from '@/api/identity/session'
import type { LastLogin, LoginRequest, LoginResponse, SecondFactor, User } from '@/api/types'

export const useUserStore = defineStore('user', () => {
  const user = ref<User | null>(null)
  /** True once the session probe has answered, whatever the answer. */
  const loaded = ref(false)
  /** Initial or temporary password: only the change-password page is open until it is changed. */
  const mustChangePassword = ref(false)
  /** `verify`: the password was right, the code is owed; `enrol`: a role requires a second factor not yet set up. */
  const secondFactor = ref<SecondFactor>('done')
  /** The previous sign-in as the login answered it (for the profile page), if this tab signed in. */
  const lastLogin = ref<LastLogin | null>(null)
  /** Why the last session ended, from the server, for the login page to show once. */
  const notice = ref<string | null>(null)
  const permissions = computed(() => new Set(user.value?.permissions ?? []))
  /** A session exists, even one that still owes the second-factor code. */
  const isLoggedIn = computed(() => user.value !== null)
  /** The password was right but the code is still owed: only the login page's code step is open. */
  const awaitingCode = computed(() => user.value !== null && secondFactor.value === 'verify')
  /** Something must be settled first (password change, enrolment): the frame shows no side menu. */
  const restricted = computed(() => mustChangePassword.value || secondFactor.value === 'enrol')

  /** A missing permission (null/undefined/'') means "any logged-in user". */
  function hasPermission(permission?: string | null): boolean {
    return !permission || permissions.value.has(permission)
  }

  /** True when the user holds at least one of the permissions. */
  function hasAnyPermission(list: readonly string[]): boolean {
    return list.some((p) => permissions.value.has(p))
  }

  async function fetchMe(): Promise<User | null> {
    try {
      const current = await session.me()
      user.value = current?.user ?? null
      mustChangePassword.value = current?.must_change_password ?? false
      secondFactor.value = current?.second_factor ?? 'done'
      return user.value
    } finally {
      loaded.value = true
    }
  }

  async function login(request: LoginRequest): Promise<LoginResponse> {
    const answer = await session.login(request)
    user.value = answer.user
    mustChangePassword.value = answer.must_change_password
    secondFactor.value = answer.second_factor
    lastLogin.value = answer.last_login ?? null
    loaded.value = true
    notice.value = null
    return answer
  }

  /** The second step of signing in; then what the session owes next (password change, enrolment) is read afresh. */
  async function verifyCode(code: string): Promise<void> {
    await session.verifyTotp(code)
    secondFactor.value = 'done'
    await fetchMe()
  }

  /**
   * The enrolment was confirmed: the second factor is on. A forced enrolment stays owed (no side menu,
   * nowhere else to go) until the recovery codes are acknowledged: `enrolmentSettled` then.
   */
  function enrolled(): void {
    if (user.value) user.value = { ...user.value, totp_enabled: true }
  }

  /** The recovery codes were acknowledged: a forced enrolment is over. */
  function enrolmentSettled(): void {
    if (secondFactor.value === 'enrol' && user.value?.totp_enabled) secondFactor.value = 'done'
  }

  /** The second factor was turned off (one's own, after a step-up). */
  function totpDisabled(): void {
    if (user.value) user.value = { ...user.value, totp_enabled: false }
  }

  async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await session.changePassword({ old_password: oldPassword, new_password: newPassword })
    mustChangePassword.value = false
    // A role may require an enrolment, owed once the password is settled.
    if (user.value?.totp_required && !user.value.totp_enabled) secondFactor.value = 'enrol'
  }

  async function logout(): Promise<void> {
    try {
      await session.logout()
    } finally {
      clear()
    }
  }

  function clear(): void {
    user.value = null
    mustChangePassword.value = false
    secondFactor.value = 'done'
    lastLogin.value = null
    loaded.value = true
  }

  /** Keeps the first message when several calls fail together, so it is shown once. */
  function setNotice(message: string): void {
    if (!notice.value) notice.value = message
  }

  /** The pending notice, which is then gone. */
  function takeNotice(): string | null {
    const message = notice.value
    notice.value = null
    return message
  }

  /** Test and login helper: take a user object as is. */
  function setUser(next: User | null, mustChange = false, factor: SecondFactor = 'done'): void {
    user.value = next
    mustChangePassword.value = next !== null && mustChange
    secondFactor.value = next !== null ? factor : 'done'
    loaded.value = true
  }

  return {
    user,
    loaded,
    mustChangePassword,
    secondFactor,
    lastLogin,
    notice,
    permissions,
    isLoggedIn,
    awaitingCode,
    restricted,
    hasPermission,
    hasAnyPermission,
    fetchMe,
    login,
    verifyCode,
    enrolled,
    enrolmentSettled,
    totpDisabled,
    changePassword,
    logout,
    clear,
    setNotice,
    takeNotice,
    setUser,
  }
})

export type UserStore = ReturnType<typeof useUserStore>
