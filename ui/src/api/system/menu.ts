// 菜单: the signed-in user's menu, and the full tree of menus and buttons for 菜单管理.
import { client, unwrap } from '../client'
import type { MenuNode, UpdateMenuRequest } from '../types'

/** The entries the signed-in user may see (visible, permission held; groups only with children). */
export function myMenu(): Promise<MenuNode[]> {
  return unwrap(client.GET('/api/v1/auth/menus'))
}

export function listMenus(): Promise<MenuNode[]> {
  return unwrap(client.GET('/api/v1/system/menus'))
}

export async function updateMenu(id: string, request: UpdateMenuRequest): Promise<void> {
  await unwrap(client.PUT('/api/v1/system/menus/{id}', { params: { path: { id } }, body: request }))
}
