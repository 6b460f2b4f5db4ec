// The signed-in user's side menu as the server sends it (/api/v1/auth/menus), loaded by the layout once
// the user may use the system, and again after 菜单管理 changes an entry.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { myMenu } from '@/api/system/menu'
import type { MenuNode } from '@/api/types'
import type { AppLocale } from '@/locales'
import { toMenuItems } from '@/router/menu'

export const useMenuStore = defineStore('menu', () => {
  const nodes = ref<MenuNode[]>([])

  async function load(): Promise<void> {
    nodes.value = await myMenu()
  }

  function clear(): void {
    nodes.value = []
  }

  return { nodes, load, clear }
})

/** The menu entries in the current language (for components: uses the i18n of the caller's setup). */
export function useMenuItems() {
  const store = useMenuStore()
  const { locale } = useI18n()
  return computed(() => toMenuItems(store.nodes, locale.value as AppLocale))
}
