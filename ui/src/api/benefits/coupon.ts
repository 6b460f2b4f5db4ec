// 权益发放明细查询 (BEN-4): coupons handed out, customer numbers masked by the server; searched by the full
// customer number. The codes of coupons that can still be redeemed come masked too (`code_masked`): one is
// read whole through its own call (benefit:coupon:unmask), which the server audits. 导出 is CSV (own
// permission, step-up, audited; codes masked there too), fetched through the API client so that
// QY-AUTH-0011 opens the re-auth dialog and the export is retried.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { CouponCode, CouponPage, CouponQuery } from '../types'
import { filenameFromDisposition, type DownloadedFile } from '@/utils/download'

export function listCoupons(query: CouponQuery = {}): Promise<CouponPage> {
  return unwrap(client.GET('/api/v1/benefits/coupons', { params: { query } }))
}

/** One coupon's code in full (benefit:coupon:unmask); the server records each call in the audit log. */
export function couponCode(id: string): Promise<CouponCode> {
  return unwrap(client.GET('/api/v1/benefits/coupons/{id}/code', { params: { path: { id } } }))
}

/** The coupons under `query` (paging ignored) as CSV, with the server's file name. */
export async function exportCoupons(query: CouponQuery = {}): Promise<DownloadedFile> {
  const { data, error, response } = await client.GET('/api/v1/benefits/coupons/export', { params: { query }, parseAs: 'blob' })
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return { blob: data as Blob, filename: filenameFromDisposition(response.headers.get('Content-Disposition'), 'coupons.csv') }
}
