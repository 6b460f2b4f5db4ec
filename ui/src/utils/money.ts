// Money is integer fen on the wire and in the database; people type and read yuan with two decimals.
// Typed yuan is converted by reading the digits as text — never through a float multiplication, which
// turns 19.99 into 1998.9999… fen — and shown by integer division of the fen.

/** The largest amount the server takes: 10^12 fen (10^10 yuan). */
export const MAX_FEN = 1_000_000_000_000

const YUAN = /^(\d+)(?:\.(\d{0,2}))?$/

/**
 * Typed yuan (`12`, `12.5`, `12.50`, `1,280.00`, `¥35`) → integer fen, or null when it is not an amount
 * of at most two decimals between 0 and MAX_FEN. Spaces, thousands commas and a leading ¥ are ignored.
 */
export function yuanToFen(input: string): number | null {
  const text = input.trim().replace(/^[¥￥]\s*/, '').replace(/[,\s]/g, '')
  const m = YUAN.exec(text)
  if (!m) return null
  const whole = (m[1] ?? '').replace(/^0+(?=\d)/, '')
  // More digits than 10^10 yuan could have: refuse before Number() loses precision.
  if (whole.length > 11) return null
  const fen = Number(whole) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
  return fen <= MAX_FEN ? fen : null
}

/** Integer fen → `1,234.56` (thousands grouped, always two decimals, `-` for a negative amount). */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(fen))
  const whole = Math.floor(abs / 100)
  const cents = String(abs % 100).padStart(2, '0')
  return `${sign}${whole.toLocaleString('en-US')}.${cents}`
}

/** Integer fen → `¥1,234.56`. */
export function formatFen(fen: number): string {
  return fen < 0 ? `-¥${fenToYuan(-fen)}` : `¥${fenToYuan(fen)}`
}

/** Integer fen → the plain yuan a form input starts with (`12.5` → `12.50`, no grouping). */
export function fenToInput(fen: number): string {
  return fenToYuan(fen).replace(/,/g, '')
}

const ZHE = /^(\d)(?:\.(\d{1,2}))?$/

/**
 * A discount typed as 折 (`8.5` → pay 85 %) → per mille paid (850), or null unless it is between 0.01 and
 * 9.99 折 with at most two decimals. Read as text, like yuan.
 */
export function zheToPermille(input: string): number | null {
  const m = ZHE.exec(input.trim())
  if (!m) return null
  const permille = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
  return permille >= 1 && permille <= 999 ? permille : null
}

/** Per mille paid → 折 as people write it: 850 → `8.5`, 800 → `8`, 885 → `8.85`, 5 → `0.05`. */
export function permilleToZhe(permille: number): string {
  const whole = Math.floor(permille / 100)
  const rest = String(permille % 100).padStart(2, '0').replace(/0+$/, '')
  return rest ? `${whole}.${rest}` : String(whole)
}

/** Per mille paid → the share taken off in percent: 850 → `15`, 885 → `11.5`. */
export function permilleToPercentOff(permille: number): string {
  const off = 1000 - permille
  const whole = Math.floor(off / 10)
  const tenth = off % 10
  return tenth ? `${whole}.${tenth}` : String(whole)
}

/** The discount as shown: `8.5 折` in Chinese, `15% off` in English. */
export function discountText(permille: number, locale: string): string {
  return locale.startsWith('zh') ? `${permilleToZhe(permille)} 折` : `${permilleToPercentOff(permille)}% off`
}
