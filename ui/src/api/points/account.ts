// 积分账户: the ledger's points accounts with their balances (customers masked), and the points issued,
// spent and expired by org and Beijing day.
import { client, unwrap } from '../client'
import type { LedgerAccountPage, PointsDay } from '../types'

export function listLedgerAccounts(query: { kind?: string; page?: number; page_size?: number }): Promise<LedgerAccountPage> {
  return unwrap(client.GET('/api/v1/points/ledger-accounts', { params: { query } }))
}

export async function pointsDaily(query: { from?: string; to?: string } = {}): Promise<PointsDay[]> {
  return (await unwrap(client.GET('/api/v1/points/daily', { params: { query } }))).items
}
