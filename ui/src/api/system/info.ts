// Server version and links to operator tools (needs a session).
import { client, unwrap } from '../client'
import type { SystemInfo } from '../types'

export function getSystemInfo(): Promise<SystemInfo> {
  return unwrap(client.GET('/api/v1/system/info'))
}
