// v-permission="'campaign:approve'" (or an array, any of which suffices) removes the element when the
// user lacks the permission. It hides what the server would refuse anyway; the server stays the judge.
import type { Directive } from 'vue'
import { useUserStore } from '@/stores/user'

export type PermissionValue = string | readonly string[]

function allowed(value: PermissionValue): boolean {
  const store = useUserStore()
  const list = typeof value === 'string' ? [value] : value
  if (list.length === 0) return true
  return store.hasAnyPermission(list)
}

export const permission: Directive<HTMLElement, PermissionValue> = {
  mounted(el, binding) {
    if (!allowed(binding.value)) el.parentNode?.removeChild(el)
  },
}

declare module 'vue' {
  interface GlobalDirectives {
    vPermission: typeof permission
  }
}
