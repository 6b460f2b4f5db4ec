// What the browser checks on the new-user form, mirroring the server's rules (the server decides:
// QY-SYS-1006 username, QY-SYS-1007 name, QY-SYS-1013 phone, QY-SYS-1014 email), and which form field a
// server error belongs under — by the body's field name (`fields` of a 422) or, failing that, by code.

/** 3–32 characters: a lower-case letter, then lower-case letters, digits, `.`, `_` or `-`. */
export const USERNAME_PATTERN = /^[a-z][a-z0-9_.-]{2,31}$/
export const DISPLAY_NAME_MAX = 50
/** A mainland mobile number: 11 digits, `1` then `3`–`9`. */
export const PHONE_PATTERN = /^1[3-9]\d{9}$/
export const EMAIL_MAX = 100
/** Something@somewhere.tld, no spaces: what the database accepts too (the server's check is stricter). */
export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

export type UserField = 'username' | 'displayName' | 'orgId' | 'roles' | 'phone' | 'email'

/** The create-user body's field names → the form's. */
export const USER_FIELD_NAMES: Readonly<Record<string, UserField>> = {
  username: 'username',
  display_name: 'displayName',
  org_id: 'orgId',
  roles: 'roles',
  phone: 'phone',
  email: 'email',
}

/** Empty is fine (optional); otherwise a mainland mobile number. */
export function validPhone(value: string): boolean {
  return value === '' || PHONE_PATTERN.test(value)
}

/** Empty is fine (optional); otherwise an address of at most 100 characters. */
export function validEmail(value: string): boolean {
  return value === '' || ([...value].length <= EMAIL_MAX && EMAIL_PATTERN.test(value))
}

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
  'QY-SYS-1013': 'phone',
  'QY-SYS-1014': 'email',
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
  invalidPhone: 'QY-SYS-1013',
  invalidEmail: 'QY-SYS-1014',
} as const
