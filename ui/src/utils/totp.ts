// What the browser checks of second-factor input before sending it (the server decides): a code is six
// digits (spaces typed or pasted are dropped); a recovery code is ten letters or digits, dashes and case
// free (`abcde fghjk` is `ABCDE-FGHJK`). Also how the secret and the recovery codes are shown and saved.

/** Digits only, at most six: what the code input keeps of whatever was typed or pasted. */
export function cleanCode(value: string): string {
  return value.replace(/\D/g, '').slice(0, 6)
}

export function isTotpCode(value: string): boolean {
  return /^\d{6}$/.test(value)
}

/** `abcde fghjk` / `ABCDEFGHJK` → `ABCDE-FGHJK`; anything else is returned upper-cased and trimmed. */
export function normalizeRecoveryCode(value: string): string {
  const plain = value.replace(/[^0-9a-z]/gi, '').toUpperCase()
  return plain.length === 10 ? `${plain.slice(0, 5)}-${plain.slice(5)}` : value.trim().toUpperCase()
}

export function isRecoveryCode(value: string): boolean {
  return /^[0-9A-Z]{5}-[0-9A-Z]{5}$/.test(normalizeRecoveryCode(value))
}

/** The base32 secret in groups of four, for typing by hand: `JBSW Y3DP EHPK 3PXP`. */
export function groupSecret(secret: string): string {
  return (secret.replace(/\s/g, '').match(/.{1,4}/g) ?? []).join(' ')
}

export interface RecoveryFileText {
  title: string
  account: string
  created: string
  note: string
}

/** The recovery codes as a text file: a header, one code per line (numbered), a closing note. CRLF for Notepad. */
export function recoveryCodesFile(codes: readonly string[], text: RecoveryFileText): string {
  const lines = [text.title, text.account, text.created, '', ...codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`), '', text.note]
  return `${lines.join('\r\n')}\r\n`
}

/** A file name for the recovery codes of `username`. */
export function recoveryCodesFilename(username: string): string {
  return `quanyi-recovery-codes-${username.replace(/[^0-9a-z._-]/gi, '_')}.txt`
}
