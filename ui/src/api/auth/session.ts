// Session calls: captcha, log in (sets the HttpOnly cookie), log out, who am I, change the password and
// confirm the password after the idle timeout (both rotate the cookie).
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { Captcha, ChangePasswordRequest, LoginRequest, LoginResponse, SessionView } from '../types'

/** A new one-time captcha (valid for 5 minutes); its answer never leaves the server. */
export function getCaptcha(): Promise<Captcha> {
  return unwrap(client.GET('/api/v1/auth/captcha'))
}

export function login(body: LoginRequest): Promise<LoginResponse> {
  return unwrap(client.POST('/api/v1/auth/login', { body }))
}

export async function logout(): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/logout'))
}

/** The session's user and whether the password must be changed first, or null without a valid session (401). */
export async function me(): Promise<SessionView | null> {
  const { data, error, response } = await client.GET('/api/v1/auth/me')
  if (response.status === 401) return null
  if (!response.ok || !data) throw toApiError(response.status, error, response.headers)
  return data
}

export async function changePassword(body: ChangePasswordRequest): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/password', { body }))
}

/** Confirms the password after the idle timeout (QY-AUTH-0004). */
export async function reauth(password: string): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/reauth', { body: { password } }))
}
