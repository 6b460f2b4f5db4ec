// Types shared by the 用户管理 page and its dialogs.
import type { TemporaryPassword } from '@/api/types'

/** Which event produced a temporary password: a new user, or a reset. */
export type TemporaryPasswordKind = 'created' | 'reset'

/** What the new-user dialog hands back: who was created and their temporary password. */
export interface CreatedUser {
  username: string
  displayName: string
  result: TemporaryPassword
}
