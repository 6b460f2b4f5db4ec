// 机构: the orgs within the caller's data scope, as a flat list (parents before children); adding an
// org under one in scope, and renaming one.
import { client, unwrap } from '../client'
import type { CreateOrgRequest, Org } from '../types'

export function listOrgs(): Promise<Org[]> {
  return unwrap(client.GET('/api/v1/system/orgs'))
}

/** Adds an org one level below `parent_id`; answers its id. */
export async function createOrg(request: CreateOrgRequest): Promise<string> {
  return (await unwrap(client.POST('/api/v1/system/orgs', { body: request }))).id
}

export async function renameOrg(id: string, name: string): Promise<void> {
  await unwrap(client.PUT('/api/v1/system/orgs/{id}', { params: { path: { id } }, body: { name } }))
}
