// 客户信息's search model and labels: the filters kept in the URL (customer number, status) — never the
// phone number, which goes in a request body — and the status tags.
import type { CustomerQuery } from '@/api/types'

export interface CustomerSearch {
  customerNo: string
  status: string
}

export function emptyCustomerSearch(): CustomerSearch {
  return { customerNo: '', status: '' }
}

/** The query parameters of a search: only the filters set, trimmed. */
export function customerFilters(search: CustomerSearch): CustomerQuery {
  const query: CustomerQuery = {}
  const no = search.customerNo.trim()
  if (no !== '') query.customer_no = no
  if (search.status !== '') query.status = search.status
  return query
}

/** A whole mainland mobile number, as the server's blind index needs it. */
export function isMobile(text: string): boolean {
  return /^1[3-9]\d{9}$/.test(text)
}

export const CUSTOMER_STATUS_TAGS: Readonly<Record<string, 'success' | 'warning' | 'info'>> = {
  active: 'success',
  dormant: 'warning',
  closed: 'info',
}
