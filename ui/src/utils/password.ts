// The password rules of SEC-1, checked in the browser for comfort (the server decides, QY-PWD-0001…0006):
// at least 8 characters, 3 of the 4 classes upper case / lower case / digit / symbol, not containing the
// username. "Not one of the last 5" and "not changed within a day" only the server can check.
export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MIN_CLASSES = 3
export const PASSWORD_HISTORY = 5

export const CHAR_CLASSES = ['upper', 'lower', 'digit', 'symbol'] as const
export type CharClass = (typeof CHAR_CLASSES)[number]

/** Which classes occur. A symbol is any character that is not an ASCII letter or digit. */
export function charClasses(password: string): Record<CharClass, boolean> {
  return {
    upper: /[A-Z]/.test(password),
    lower: /[a-z]/.test(password),
    digit: /[0-9]/.test(password),
    symbol: /[^A-Za-z0-9]/.test(password),
  }
}

/** Length in characters (code points), so one CJK or emoji character counts once. */
export function passwordLength(password: string): number {
  return [...password].length
}

export interface PasswordCheck {
  length: boolean
  classes: Record<CharClass, boolean>
  classCount: number
  /** At least PASSWORD_MIN_CLASSES classes. */
  variety: boolean
  /** Does not contain the username (ignoring case). */
  noUsername: boolean
  /** Every rule the browser can check. */
  ok: boolean
}

export function checkPassword(password: string, username = ''): PasswordCheck {
  const classes = charClasses(password)
  const classCount = CHAR_CLASSES.filter((c) => classes[c]).length
  const length = passwordLength(password) >= PASSWORD_MIN_LENGTH
  const variety = classCount >= PASSWORD_MIN_CLASSES
  const name = username.trim().toLowerCase()
  const noUsername = name === '' || !password.toLowerCase().includes(name)
  return { length, classes, classCount, variety, noUsername, ok: length && variety && noUsername }
}

/** A checklist line's state: nothing typed yet, satisfied, or not. */
export type RuleState = 'pending' | 'met' | 'unmet'

export type RuleKey = 'length' | 'variety' | 'noUsername' | 'confirm'

/** The live checklist for the new password and its confirmation, in display order. */
export function passwordChecklist(password: string, confirm: string, username = ''): { key: RuleKey; state: RuleState }[] {
  const c = checkPassword(password, username)
  const state = (typed: boolean, met: boolean): RuleState => (!typed ? 'pending' : met ? 'met' : 'unmet')
  const typed = password.length > 0
  return [
    { key: 'length', state: state(typed, c.length) },
    { key: 'variety', state: state(typed, c.variety) },
    { key: 'noUsername', state: state(typed, c.noUsername) },
    { key: 'confirm', state: state(confirm.length > 0, confirm === password) },
  ]
}

/** The server's password errors: which field of the form each belongs under. */
export const PASSWORD_ERROR_FIELDS: Record<string, 'oldPassword' | 'newPassword'> = {
  'QY-PWD-0001': 'newPassword',
  'QY-PWD-0002': 'newPassword',
  'QY-PWD-0003': 'newPassword',
  'QY-PWD-0004': 'newPassword',
  'QY-PWD-0005': 'newPassword',
  'QY-PWD-0006': 'oldPassword',
}
