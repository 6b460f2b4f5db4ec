// The logged-in user and their permissions. Loaded once by the route guard from /api/v1/auth/me.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as session from '@/api/auth/session'
import type { User } from '@/api/types'

export const useUserStore = defineStore('user', () => {
  const user = ref<User | null>(null)
  /** True once the session probe has answered, whatever the answer. */
  const loaded = ref(false)
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
      user.value = await session.me()
      return user.value
    } finally {
      loaded.value = true
    }
  }

  async function login(username: string, password: string): Promise<User> {
    user.value = await session.login({ username, password })
    loaded.value = true
    return user.value
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
    loaded.value = true
  }

  /** Test and login helper: take a user object as is. */
  function setUser(next: User | null): void {
    user.value = next
    loaded.value = true
  }

  return { user, loaded, permissions, isLoggedIn, hasPermission, hasAnyPermission, fetchMe, login, logout, clear, setUser }
})
