// 用户: the users within the caller's data scope (paged, contact details masked), creating a staff user and
// resetting a password (both answer with a temporary password, shown once), clearing a sign-in lock, the
// contact details in full (audited) and turning another user's second factor off.
import { client, unwrap } from '../client'
import type { CreateUserRequest, PersonalData, TemporaryPassword, UserPage, UserQuery } from '../types'

export function listUsers(query: UserQuery = {}): Promise<UserPage> {
  return unwrap(client.GET('/api/v1/system/users', { params: { query } }))
}

export function createUser(body: CreateUserRequest): Promise<TemporaryPassword> {
  return unwrap(client.POST('/api/v1/system/users', { body }))
}

/** A new temporary password for the user; their sessions end and they must change it at sign-in. */
export function resetPassword(userId: string): Promise<TemporaryPassword> {
  return unwrap(client.POST('/api/v1/system/users/{id}/password-reset', { params: { path: { id: userId } } }))
}

/** Clears the sign-in lock of `username` (204 whether or not it was locked). */
export async function unlockUser(username: string): Promise<void> {
  await unwrap(client.POST('/api/v1/system/locks/{username}/unlock', { params: { path: { username } } }))
}

/** The user's phone and email in full (pii:user:unmask); the server records each call in the audit log. */
export function personalData(userId: string): Promise<PersonalData> {
  return unwrap(client.GET('/api/v1/system/users/{id}/personal-data', { params: { path: { id: userId } } }))
}

/** Turns the user's second factor off (lost device): their sessions end; they enrol again if a role requires it. */
export async function resetTotp(userId: string): Promise<void> {
  await unwrap(client.POST('/api/v1/system/users/{id}/totp-reset', { params: { path: { id: userId } } }))
}
