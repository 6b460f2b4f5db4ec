// 机构: the orgs within the caller's data scope, as a flat list (parents before children).
import { client, unwrap } from '../client'
import type { Org } from '../types'

export function listOrgs(): Promise<Org[]> {
  return unwrap(client.GET('/api/v1/system/orgs'))
}
