// Login session calls: log in (sets the HttpOnly cookie), log out, and who am I.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { LoginRequest, User } from '../types'

export async function login(body: LoginRequest): Promise<User> {
  const { user } = await unwrap(client.POST('/api/v1/auth/login', { body }))
  return user
}

export async function logout(): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/logout'))
}

/** The session's user, or null when there is no valid session (401). */
export async function me(): Promise<User | null> {
  const { data, error, response } = await client.GET('/api/v1/auth/me')
  if (response.status === 401) return null
  if (!response.ok || !data) throw toApiError(response.status, error, response.headers)
  return data.user
}
