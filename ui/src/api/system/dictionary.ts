// 码值 (SYS-2): every code list with its items (any signed-in user), and adding or changing one item of a
// dynamic list (system:dictionary:update; QY-SYS-1011 for a static list, QY-SYS-1012 for the field rules).
import { client, unwrap } from '../client'
import type { Dictionary, PutDictionaryItemRequest } from '../types'

export function listDictionaries(): Promise<Dictionary[]> {
  return unwrap(client.GET('/api/v1/system/dictionaries'))
}

/** Adds item `code` to list `type`, or replaces it when it exists (204). */
export async function putDictionaryItem(type: string, code: string, body: PutDictionaryItemRequest): Promise<void> {
  await unwrap(client.PUT('/api/v1/system/dictionaries/{type}/{code}', { params: { path: { type, code } }, body }))
}
