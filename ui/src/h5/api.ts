// The H5's typed calls (openapi-fetch over the generated schema, as the admin UI's): the customer
// session cookie rides along by itself; every call carries the anti-forgery header the server asks
// of state-changing calls. A failed answer is thrown as the admin UI's ApiError.
import createClient from 'openapi-fetch'
import { CSRF_HEADER, CSRF_VALUE } from '@/api/client'
import { toApiError } from '@/api/error'
import type { components, paths } from '@/api/schema'
import { fenToYuan } from '@/utils/money'

export type Schemas = components['schemas']

/** The code of a call made without a customer session: the mall is opened from mobile banking. */
export const NOT_SIGNED_IN = 'QY-SHOP-0005'

export const h5 = createClient<paths>({
  headers: { [CSRF_HEADER]: CSRF_VALUE, 'Accept-Language': 'zh-CN' },
})

/** The data of an answer, or its error thrown. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) throw toApiError(response.status, error, response.headers)
  return data as T
}

/** A catalogue image's address (empty when there is none). */
export function imageUrl(id: string | null | undefined): string {
  return id ? `/api/v1/catalogue/images/${id}` : ''
}

/** A price in points, fen or both: `12,800 积分`, `¥9.90`, `6,800 积分 + ¥9.90`. */
export function priceText(points: number, fen: number): string {
  const parts: string[] = []
  if (points > 0) parts.push(`${points.toLocaleString('zh-CN')} 积分`)
  if (fen > 0) parts.push(`¥${fenToYuan(fen)}`)
  return parts.join(' + ') || '0 积分'
}

/** A link of a banner or navigation entry as a route of the H5 (`/h5/check-in` → `/check-in`), or null for an outside address. */
export function routeOf(link: string | null | undefined): string | null {
  if (!link) return null
  if (link.startsWith('/h5/')) return link.slice(3)
  if (link === '/h5') return '/'
  return null
}
