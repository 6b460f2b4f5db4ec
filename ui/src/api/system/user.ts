// 用户: the users within the caller's data scope (paged), creating a staff user and resetting a password
// (both answer with a temporary password, shown once), and clearing a sign-in lock.
import { client, unwrap } from '../client'
import type { CreateUserRequest, TemporaryPassword, UserPage, UserQuery } from '../types'

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
