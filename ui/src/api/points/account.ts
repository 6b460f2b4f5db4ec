// 积分账户 and 积分流水: the ledger's points accounts with their balances (customers masked), the points
// issued, spent and expired by org and Beijing day, and every points transfer. 导出 is CSV (own permission,
// step-up, audited), fetched through the API client so that QY-AUTH-0011 opens the re-auth dialog.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { LedgerAccountPage, LedgerAccountQuery, PointsDay, PointsTransferPage, PointsTransferQuery } from '../types'
import { filenameFromDisposition, type DownloadedFile } from '@/utils/download'

export function listLedgerAccounts(query: LedgerAccountQuery): Promise<LedgerAccountPage> {
  return unwrap(client.GET('/api/v1/points/ledger-accounts', { params: { query } }))
}

export async function pointsDaily(query: { from?: string; to?: string; org_id?: string } = {}): Promise<PointsDay[]> {
  return (await unwrap(client.GET('/api/v1/points/daily', { params: { query } }))).items
}

export function listPointsTransfers(query: PointsTransferQuery): Promise<PointsTransferPage> {
  return unwrap(client.GET('/api/v1/points/transfers', { params: { query } }))
}

/** The transfers under `query` (paging ignored) as CSV, with the server's file name. */
export async function exportPointsTransfers(query: PointsTransferQuery): Promise<DownloadedFile> {
  const { data, error, response } = await client.GET('/api/v1/points/transfers/export', { params: { query }, parseAs: 'blob' })
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return { blob: data as Blob, filename: filenameFromDisposition(response.headers.get('Content-Disposition'), 'points-transfers.csv') }
}
