// The logged-in user and their permissions. Loaded once by the route guard from /api/v1/auth/me.
// Also holds whether the password must be changed before anything else (SEC-1), and the server's message
// to show once on the login page when a session ended under the user (signed in elsewhere, time limit).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as session from '@/api/auth/session'
import type { LoginRequest, LoginResponse, User } from '@/api/types'

export const useUserStore = defineStore('user', () => {
  const user = ref<User | null>(null)
  /** True once the session probe has answered, whatever the answer. */
  const loaded = ref(false)
  /** Initial or temporary password: only the change-password page is open until it is changed. */
  const mustChangePassword = ref(false)
  /** Why the last session ended, from the server, for the login page to show once. */
  const notice = ref<string | null>(null)
  const permissions = computed(() => new Set(user.value?.permissions ?? []))
  const isLoggedIn = computed(() => user.value !== null)

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
      return user.value
    } finally {
      loaded.value = true
    }
  }

  async function login(request: LoginRequest): Promise<LoginResponse> {
    const answer = await session.login(request)
    user.value = answer.user
    mustChangePassword.value = answer.must_change_password
    loaded.value = true
    notice.value = null
    return answer
  }

  async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await session.changePassword({ old_password: oldPassword, new_password: newPassword })
    mustChangePassword.value = false
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
  function setUser(next: User | null, mustChange = false): void {
    user.value = next
    mustChangePassword.value = next !== null && mustChange
    loaded.value = true
  }

  return {
    user,
    loaded,
    mustChangePassword,
    notice,
    permissions,
    isLoggedIn,
    hasPermission,
    hasAnyPermission,
    fetchMe,
    login,
    changePassword,
    logout,
    clear,
    setNotice,
    takeNotice,
    setUser,
  }
})

export type UserStore = ReturnType<typeof useUserStore>
