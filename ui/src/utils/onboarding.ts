// 商户线上入驻: the checks the server makes of an application's fields (activities/src/onboarding/check.rs),
// made again in the browser so a mistyped code is caught while the applicant types — the same rules, and the
// messages in the locale files are the server's (docs/errors.md, QY-ONB-… and QY-SYS-1028). The server checks
// again; its answer wins.

/** The 31 characters of a unified social credit code, each worth its index (GB 32100-2015). */
const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** 18 characters of the code's alphabet, the last its check digit. */
export function isCreditCode(code: string): boolean {
  if (code.length !== 18) return false
  const values = [...code].map((c) => CREDIT_CHARS.indexOf(c))
  if (values.some((v) => v < 0)) return false
  const sum = CREDIT_WEIGHTS.reduce((acc, w, i) => acc + (values[i] ?? 0) * w, 0)
  return values[17] === (31 - (sum % 31)) % 31
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECKS = '10X98765432'

/** A resident ID number (GB 11643-1999): 17 digits and the check character (a capital X for ten). */
export function isIdNumber(number: string): boolean {
  if (!/^[0-9]{17}[0-9X]$/.test(number)) return false
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + Number(number[i]) * w, 0)
  return number[17] === ID_CHECKS[sum % 11]
}

/** An 11-digit mainland mobile number. */
export function isMobile(phone: string): boolean {
  return /^1[3-9][0-9]{9}$/.test(phone)
}

/** A settlement account number: 8–32 digits. */
export function isAccountNo(number: string): boolean {
  return /^[0-9]{8,32}$/.test(number)
}

/** A store code: 1–32 letters, digits, `_` or `-`. */
export function isStoreCode(code: string): boolean {
  return /^[0-9A-Za-z_-]{1,32}$/.test(code)
}

/** 1–`max` characters, not only spaces. */
export function isText(value: string, max: number): boolean {
  return value.trim().length > 0 && [...value].length <= max
}

/** Where an application's document belongs; the kind leads its file name, so the page can group them. */
export const DOCUMENT_KINDS = ['licence', 'idCard', 'shop'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]

/** The prefix an upload of `kind` gets (`营业执照-…`), kept in the file's name on the server. */
export const DOCUMENT_PREFIX: Record<DocumentKind, string> = { licence: '营业执照-', idCard: '身份证-', shop: '门店照片-' }

/** The kind a file's name shows, or null for a file without one. */
export function documentKind(name: string): DocumentKind | null {
  return DOCUMENT_KINDS.find((k) => name.startsWith(DOCUMENT_PREFIX[k])) ?? null
}

/** The name an upload of `kind` is sent under: the prefix and the original name, at most 200 characters. */
export function documentName(kind: DocumentKind, original: string): string {
  const base = original.split(/[/\\]/).pop() ?? 'file'
  return [...`${DOCUMENT_PREFIX[kind]}${base}`].slice(0, 200).join('')
}

/** The largest file the page sends (the server's cap, [files] max_bytes, is 10 MiB by default). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024

/** The process states of an application, in the order it goes through them. */
export const APPLICATION_STATES = [
  'FirstReview',
  'SecondReview',
  'Supplement',
  'Provisioning',
  'Exception',
  'Opened',
  'Rejected',
  'Withdrawn',
  'Expired',
] as const

/** The tag colour of a state: done green, ended otherwise grey or red, waiting on the applicant orange. */
export function stateTagType(state: string): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  if (state === 'Opened') return 'success'
  if (state === 'Supplement' || state === 'Exception') return 'warning'
  if (state === 'Rejected') return 'danger'
  if (state === 'Withdrawn' || state === 'Expired' || state === 'draft') return 'info'
  return 'primary'
}
