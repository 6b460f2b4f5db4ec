// Session calls: captcha, log in (sets the HttpOnly cookie), log out, who am I, change the password,
// re-authenticate (password or second-factor code) and the TOTP second factor: verify at sign-in, enrol,
// turn off. Log in, re-authentication and verification rotate the cookie.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type {
  Captcha,
  ChangePasswordRequest,
  LoginRequest,
  LoginResponse,
  RecoveryCodes,
  SessionView,
  TotpEnrolment,
} from '../types'

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

/** The session's user and what it still owes (second factor, password change), or null without a valid session (401). */
export async function me(): Promise<SessionView | null> {
  const { data, error, response } = await client.GET('/api/v1/auth/me')
  if (response.status === 401) return null
  if (!response.ok || !data) throw toApiError(response.status, error, response.headers)
  return data
}

export async function changePassword(body: ChangePasswordRequest): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/password', { body }))
}

/** What proves the user again: the password, or a code of their second factor. */
export type ReauthProof = { password: string } | { totp_code: string }

/** Proves the user again after the idle timeout (QY-AUTH-0004) or before a critical operation (QY-AUTH-0011). */
export async function reauth(proof: ReauthProof): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/reauth', { body: proof }))
}

/** The second step of signing in: six digits from the app, or a recovery code. */
export async function verifyTotp(code: string): Promise<void> {
  await unwrap(client.POST('/api/v1/auth/totp/verify', { body: { code } }))
}

/** Starts (or restarts) an enrolment: a new secret, as a QR code and as text. */
export function startTotpEnrolment(): Promise<TotpEnrolment> {
  return unwrap(client.POST('/api/v1/auth/totp/enrolment'))
}

/** Confirms the enrolment with a first code; the ten recovery codes come back once. */
export function confirmTotpEnrolment(code: string): Promise<RecoveryCodes> {
  return unwrap(client.POST('/api/v1/auth/totp/enrolment/confirm', { body: { code } }))
}

/** Turns one's own second factor off (step-up; refused with QY-AUTH-0017 while a role requires it). */
export async function disableTotp(): Promise<void> {
  await unwrap(client.DELETE('/api/v1/auth/totp'))
}
