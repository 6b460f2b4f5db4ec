// 角色: every role with its data scope, separation-of-duties side and permissions; granting a role;
// the permission catalogue; creating and editing roles (the server asks for a recent password entry).
import { client, unwrap } from '../client'
import type { CreateRoleRequest, PermissionNode, Role, UpdateRoleRequest } from '../types'

export function listRoles(): Promise<Role[]> {
  return unwrap(client.GET('/api/v1/system/roles'))
}

/** Grants role `role` (a code) to user `userId`: never to oneself, never administration and audit together. */
export async function grantRole(userId: string, role: string): Promise<void> {
  await unwrap(client.POST('/api/v1/system/users/{id}/roles', { params: { path: { id: userId } }, body: { role } }))
}

/** Every permission the server knows, as area → entity → action. */
export function listPermissions(): Promise<PermissionNode[]> {
  return unwrap(client.GET('/api/v1/system/permissions'))
}

export async function createRole(request: CreateRoleRequest): Promise<string> {
  return (await unwrap(client.POST('/api/v1/system/roles', { body: request }))).id
}

export async function updateRole(id: string, request: UpdateRoleRequest): Promise<void> {
  await unwrap(client.PUT('/api/v1/system/roles/{id}', { params: { path: { id } }, body: request }))
}
