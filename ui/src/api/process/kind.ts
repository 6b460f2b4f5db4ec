// 流程类型: the process kinds the server runs (GET /api/v1/process-kinds, any signed-in user), each with
// its code, its name in both languages and its machine's diagram. The UI names process types and states
// from this answer (stores/process-kind.ts) instead of keeping a list of its own.
import type { Client } from 'openapi-fetch'
import { client, unwrap } from '../client'
import type { Diagram } from '../types'

/**
 * One process kind as the server answers it. Written by hand until the route is in the committed
 * OpenAPI document; then it becomes `ResponseJson<'/api/v1/process-kinds', 'get', 200>[number]` in
 * `../types.ts`, and `kindPaths` below goes.
 */
export interface ProcessKind {
  /** The type string of tasks and processes (`process_type`): `campaign`, `stock-change`, … */
  code: string
  label_zh: string
  label_en: string
  /** Its machine: states (id, names, terminal) and transitions, as on a process page. */
  diagram: Diagram
}

export const PROCESS_KINDS_PATH = '/api/v1/process-kinds'

/** The route as `schema.d.ts` will describe it, so the call goes through the client (CSRF, language, session). */
interface KindPaths {
  [PROCESS_KINDS_PATH]: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never }
    get: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never }
      requestBody?: never
      responses: { 200: { headers: Record<string, unknown>; content: { 'application/json': ProcessKind[] } } }
    }
  }
}
const kindPaths = client as unknown as Client<KindPaths>

export function listProcessKinds(): Promise<ProcessKind[]> {
  return unwrap(kindPaths.GET(PROCESS_KINDS_PATH))
}
