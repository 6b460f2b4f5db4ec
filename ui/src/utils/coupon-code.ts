// How 权益发放明细查询 shows a coupon's code. The server masks the code of a coupon that can still be
// redeemed (`ABCD********WXYZ`, `code_masked`): it is a bearer secret. A holder of benefit:coupon:unmask
// reads one whole, audited; the page keeps it by coupon id until it is hidden again.

/** Groups of four, the way the customer's app prints it; a masked code too (`ABCD **** **** WXYZ`). */
export function groupShownCode(code: string): string {
  return /^[0-9A-Z*]{16}$/.test(code) ? code.replace(/(.{4})(?=.)/g, '$1 ') : code
}

export interface ShownCode {
  /** What the cell shows, grouped. */
  text: string
  /** The server's mask is still on (no whole code read for this row). */
  masked: boolean
}

/** The code a row shows: the whole code read for it, else the server's (masked or not). */
export function shownCode(row: { id: string; code: string; code_masked: boolean }, revealed: Readonly<Record<string, string>>): ShownCode {
  const whole = revealed[row.id]
  if (whole !== undefined) return { text: groupShownCode(whole), masked: false }
  return { text: groupShownCode(row.code), masked: row.code_masked }
}
