// 核销记录 and 核销 (BEN-4): redemption records (a merchant's staff see their merchant's only), the signed-in
// cashier's stores, and a redemption at the till. A redemption carries a request id: a repeat of the same
// id answers as the first, so a double click or a retried request cannot redeem a coupon twice. 导出 is CSV
// (step-up, audited), fetched through the API client so that QY-AUTH-0011 opens the re-auth dialog.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { Redemption, RedemptionPage, RedemptionQuery, RedeemRequest, StoreView } from '../types'
import { filenameFromDisposition, type DownloadedFile } from '@/utils/download'

export function listRedemptions(query: RedemptionQuery = {}): Promise<RedemptionPage> {
  return unwrap(client.GET('/api/v1/benefits/redemptions', { params: { query } }))
}

/** 核销记录 as CSV with the list's filters; 401 QY-AUTH-0011 asks for the password again first. */
export async function exportRedemptions(query: RedemptionQuery = {}): Promise<DownloadedFile> {
  const { data, error, response } = await client.GET('/api/v1/benefits/redemptions/export', { params: { query }, parseAs: 'blob' })
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return { blob: data as Blob, filename: filenameFromDisposition(response.headers.get('Content-Disposition'), 'redemptions.csv') }
}

/** The active stores of the cashier's merchant; 403 QY-BEN-3010 for a user who is not a merchant's. */
export function myStores(): Promise<StoreView[]> {
  return unwrap(client.GET('/api/v1/benefits/my-stores'))
}

/** Refusals: QY-BEN-3001 unknown code, 3002 used, 3003 not valid now, 3004 other merchant, 3005 below
 * threshold, 3006 withdrawn, 3009 store, 3010 not a merchant user. */
export function redeemCoupon(body: RedeemRequest): Promise<Redemption> {
  return unwrap(client.POST('/api/v1/benefits/merchant-redemptions', { body }))
}
