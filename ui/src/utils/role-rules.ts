// What the browser checks on the role form, mirroring the server (which decides), and where a server
// error belongs on the form.

/** 2–32 characters: a lower-case letter, then lower-case letters, digits or `_`. */
export const ROLE_CODE_PATTERN = /^[a-z][a-z0-9_]{1,31}$/
export const ROLE_NAME_MAX = 50

export type RoleField = 'code' | 'name' | 'permissions'

export function validRoleName(value: string): boolean {
  const length = [...value.trim()].length
  return length >= 1 && length <= ROLE_NAME_MAX
}

export const ROLE_ERROR_FIELDS: Readonly<Record<string, RoleField>> = {
  'QY-SYS-1022': 'code',
  'QY-SYS-1024': 'code',
  'QY-SYS-1023': 'name',
  'QY-SYS-1017': 'permissions',
  'QY-SYS-1018': 'permissions',
  'QY-SYS-1019': 'permissions',
  'QY-SYS-1020': 'permissions',
}
