// 商户门户 (issue 16): what a merchant's administrator reads of their own merchant — the onboarding
// application with its history, the stores, the coupons it may redeem — and asks for: a new settlement
// account. The server answers for the caller's merchant only.
import { client, unwrap } from '../client'
import type { AccountChangeBody, MerchantRequestPending, MyApplication, PortalStore, PortalTemplate } from '../types'

export function myApplication(): Promise<MyApplication> {
  return unwrap(client.GET('/api/v1/merchant/application'))
}

export function myStores(): Promise<PortalStore[]> {
  return unwrap(client.GET('/api/v1/merchant/stores'))
}

export function myTemplates(): Promise<PortalTemplate[]> {
  return unwrap(client.GET('/api/v1/merchant/templates'))
}

/** 变更结算账户 of the caller's own merchant: 202 with the approval process started. */
export function requestOwnAccountChange(body: AccountChangeBody): Promise<MerchantRequestPending> {
  return unwrap(client.POST('/api/v1/merchant/account-changes', { body }))
}
