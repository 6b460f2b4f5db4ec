// 流程类型: the process kinds the server runs (GET /api/v1/process-kinds, any signed-in user), each with
// its code, its name in both languages and its machine's diagram. The UI names process types and states
// from this answer (stores/process-kind.ts) instead of keeping a list of its own.
import { client, unwrap } from '../client'
import type { ProcessKind } from '../types'

export type { ProcessKind } from '../types'

export const PROCESS_KINDS_PATH = '/api/v1/process-kinds'

export function listProcessKinds(): Promise<ProcessKind[]> {
  return unwrap(client.GET(PROCESS_KINDS_PATH))
}
