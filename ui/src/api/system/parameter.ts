// 参数设置 (SYS-2): the security parameters in force (the read is audited) and changing one within its
// range (a recent password entry first: QY-AUTH-0011 → the re-auth dialog, then the client retries).
import { client, unwrap } from '../client'
import type { Parameter } from '../types'

export function listParameters(): Promise<Parameter[]> {
  return unwrap(client.GET('/api/v1/system/parameters'))
}

/** 204; QY-SYS-1009 when `value` is outside [min, max], QY-SYS-1008 for an unknown key. */
export async function updateParameter(key: string, value: number): Promise<void> {
  await unwrap(client.PUT('/api/v1/system/parameters/{key}', { params: { path: { key } }, body: { value } }))
}
