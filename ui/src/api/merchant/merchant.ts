// 商户信息 (BEN-8, the first part): merchants with their store codes, and adding a merchant with its stores
// (the onboarding process with its review comes later).
import { client, unwrap } from '../client'
import type { CreateMerchantRequest, MerchantRow } from '../types'

export function listMerchants(): Promise<MerchantRow[]> {
  return unwrap(client.GET('/api/v1/benefits/merchants'))
}

/** 201; 409 QY-BEN-1009 when the code is taken. */
export async function createMerchant(body: CreateMerchantRequest): Promise<string> {
  return (await unwrap(client.POST('/api/v1/benefits/merchants', { body }))).id
}
