// What the browser checks on the new-user form, mirroring the server's rules (the server decides:
// QY-SYS-1006 username, QY-SYS-1007 name), and which form field a server error belongs under.

/** 3–32 characters: a lower-case letter, then lower-case letters, digits, `.`, `_` or `-`. */
export const USERNAME_PATTERN = /^[a-z][a-z0-9_.-]{2,31}$/
export const DISPLAY_NAME_MAX = 50

export type UserField = 'username' | 'displayName' | 'orgId' | 'roles'

export function validUsername(value: string): boolean {
  return USERNAME_PATTERN.test(value)
}

/** 1–50 characters once trimmed (the server trims too), counted as characters, not UTF-16 units. */
export function validDisplayName(value: string): boolean {
  const length = [...value.trim()].length
  return length >= 1 && length <= DISPLAY_NAME_MAX
}

/** Server error codes shown under a field of the user form; the others are shown as a message. */
export const USER_ERROR_FIELDS: Readonly<Record<string, UserField>> = {
  'QY-SYS-1002': 'username',
  'QY-SYS-1006': 'username',
  'QY-SYS-1007': 'displayName',
  'QY-SYS-1003': 'roles',
}

/** The error codes of 系统管理 the pages refer to (catalogue: the server's error.rs). */
export const SYSTEM_CODES = {
  outOfScope: 'QY-SYS-1001',
  usernameTaken: 'QY-SYS-1002',
  unknownRole: 'QY-SYS-1003',
  ownAccount: 'QY-SYS-1004',
  dutiesConflict: 'QY-SYS-1005',
  invalidUsername: 'QY-SYS-1006',
  invalidDisplayName: 'QY-SYS-1007',
} as const
