// 接口服务管理 helpers: the consumer form's rules as the server checks them (code pattern, source
// addresses or networks without host bits, rate limit range), the source-address text ↔ list, the 报文日志
// search → the API's query, and the colour of a retCode (000000 success, -C- the consumer must change
// its request, -P- we failed and it may retry with the same serial number).
import type { EsbMessageQuery } from '@/api/types'
import { addSecondsBeijing, beijingToRfc3339 } from './date'

export const CONSUMER_CODE = /^[a-z][a-z0-9_-]{2,31}$/
export const NAME_MAX = 100
export const RATE_MAX = 100_000
export const NETWORKS_MAX = 50
export const SERVICES_MAX = 20

export function validConsumerCode(code: string): boolean {
  return CONSUMER_CODE.test(code)
}

export function validRate(n: number | null | undefined): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= RATE_MAX
}

function ipv4(text: string): number | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  let value = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null
    value = value * 256 + Number(p)
  }
  return value
}

/** 128 bits as a bigint, from the usual IPv6 text (`::` once, hex groups); null when it is not one. */
function ipv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return null
  const [head = '', tail] = text.split('::')
  const groups = (s: string) => (s === '' ? [] : s.split(':'))
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  const missing = 8 - left.length - right.length
  if (tail === undefined ? missing !== 0 : missing < 1) return null
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right]
  let value = 0n
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
    value = (value << 16n) | BigInt(parseInt(g, 16))
  }
  return value
}

/**
 * An address (`10.1.2.3`) or a network (`10.1.2.0/24`) as the server takes it: IPv4 or IPv6, a prefix
 * within the address's width and no host bits set (`10.1.2.3/24` is refused).
 */
export function validNetwork(text: string): boolean {
  const [addr = '', prefix, extra] = text.split('/')
  if (extra !== undefined) return false
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return false
  const v4 = ipv4(addr)
  if (v4 !== null) {
    if (prefix === undefined) return true
    const bits = Number(prefix)
    if (bits > 32) return false
    const host = bits === 32 ? 0 : 2 ** (32 - bits) - 1
    return v4 % (host + 1) === 0
  }
  const v6 = ipv6(addr)
  if (v6 === null) return false
  if (prefix === undefined) return true
  const bits = BigInt(prefix)
  if (bits > 128n) return false
  const host = (1n << (128n - bits)) - 1n
  return (v6 & host) === 0n
}

/** The source-address box (one per line, or separated by commas or spaces) as a list, blanks dropped. */
export function parseNetworks(text: string): string[] {
  return text
    .split(/[\s,，;；]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** The entries of `text` the server would refuse. */
export function badNetworks(text: string): string[] {
  return parseNetworks(text).filter((n) => !validNetwork(n))
}

export type RetCodeTag = 'success' | 'warning' | 'danger' | 'info'

export function retCodeTag(code: string): RetCodeTag {
  if (code === '000000') return 'success'
  if (code.includes('-C-')) return 'warning'
  if (code.includes('-P-')) return 'danger'
  return 'info'
}

/** 结果: all, 成功 (000000), 失败 (anything else). */
export type MessageResult = '' | 'success' | 'failure'

export interface MessageSearch {
  consumer: string
  service: string
  result: MessageResult
  /** One retCode exactly (wins over `result`). */
  retCode: string
  /** The consumer's serial number or ours. */
  seqNo: string
  /** `[from, to]` as `YYYY-MM-DD HH:mm:ss`, Beijing time, or null. */
  range: [string, string] | null
}

export function emptyMessageSearch(): MessageSearch {
  return { consumer: '', service: '', result: '', retCode: '', seqNo: '', range: null }
}

export const SUCCESS_CODE = '000000'

/** The API's query for `search` (no paging), leaving out what is not set. The range's end is inclusive. */
export function messageFilters(search: MessageSearch): EsbMessageQuery {
  const query: EsbMessageQuery = {}
  const consumer = search.consumer.trim()
  const service = search.service.trim()
  const retCode = search.retCode.trim()
  const seqNo = search.seqNo.trim()
  if (consumer) query.consumer = consumer
  if (service) query.service = service
  if (retCode) query.ret_code = retCode
  else if (search.result === 'success') query.ret_code = SUCCESS_CODE
  else if (search.result === 'failure') query.failed = true
  if (seqNo) query.seq_no = seqNo
  if (search.range) {
    query.from = beijingToRfc3339(search.range[0])
    query.to = beijingToRfc3339(addSecondsBeijing(search.range[1], 1))
  }
  return query
}
