// 角色: every role with its data scope, separation-of-duties side and permissions; granting a role.
import { client, unwrap } from '../client'
import type { Role } from '../types'

export function listRoles(): Promise<Role[]> {
  return unwrap(client.GET('/api/v1/system/roles'))
}

/** Grants role `role` (a code) to user `userId`: never to oneself, never administration and audit together. */
export async function grantRole(userId: string, role: string): Promise<void> {
  await unwrap(client.POST('/api/v1/system/users/{id}/roles', { params: { path: { id: userId } }, body: { role } }))
}
