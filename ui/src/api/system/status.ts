// Readiness of the server's dependencies (`/readyz`). A 503 still carries the per-check payload.
import { client } from '../client'
import { toApiError } from '../error'
import type { Readiness } from '../types'

export async function getReadiness(): Promise<Readiness> {
  const { data, error, response } = await client.GET('/readyz')
  if (data) return data
  if (response.status === 503 && error && typeof error === 'object' && 'checks' in error) return error
  throw toApiError(response.status, error, response.headers)
}
