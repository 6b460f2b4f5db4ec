// 商户信息 (BEN-8, the first part): merchants with their stores, adding a merchant with its stores, and
// changing them afterwards: a merchant's name and status, its stores added, renamed, disabled or enabled
// (the onboarding process with its review comes later). Every change is audited by the server.
import { client, unwrap } from '../client'
import type {
  AccountChangeBody,
  CreateMerchantRequest,
  MerchantEditRequest,
  MerchantRequestPending,
  MerchantRequestView,
  MerchantRow,
  NewStoreRequest,
  StatusRequestBody,
} from '../types'

export function listMerchants(): Promise<MerchantRow[]> {
  return unwrap(client.GET('/api/v1/benefits/merchants'))
}

/** 201; 409 QY-BEN-1009 when the code is taken. */
export async function createMerchant(body: CreateMerchantRequest): Promise<string> {
  return (await unwrap(client.POST('/api/v1/benefits/merchants', { body }))).id
}

/** 204; 404 QY-BEN-1021 when there is no such merchant. */
export async function updateMerchant(code: string, body: MerchantEditRequest): Promise<void> {
  await unwrap(client.PUT('/api/v1/benefits/merchants/{code}', { params: { path: { code } }, body }))
}

/** 201; 409 QY-BEN-1020 when the merchant has a store of that code. */
export async function addStore(code: string, body: NewStoreRequest): Promise<void> {
  await unwrap(client.POST('/api/v1/benefits/merchants/{code}/stores', { params: { path: { code } }, body }))
}

/** 204; 404 QY-BEN-1022 when the merchant has no such store. */
export async function updateStore(code: string, store: string, body: MerchantEditRequest): Promise<void> {
  await unwrap(client.PUT('/api/v1/benefits/merchants/{code}/stores/{store}', { params: { path: { code, store } }, body }))
}

/** 停用/启用: 202 with the approval process started; 409 QY-MER-0002 already so, QY-MER-0003 one pending. */
export function requestMerchantStatus(code: string, body: StatusRequestBody): Promise<MerchantRequestPending> {
  return unwrap(client.POST('/api/v1/benefits/merchants/{code}/status-requests', { params: { path: { code } }, body }))
}

/** 变更结算账户: 202 with the approval process started; 409 QY-MER-0003 one pending, QY-MER-0020 the same account. */
export function requestAccountChange(code: string, body: AccountChangeBody): Promise<MerchantRequestPending> {
  return unwrap(client.POST('/api/v1/benefits/merchants/{code}/account-changes', { params: { path: { code } }, body }))
}

/** A 停用/启用 or 结算账户变更 request as its approver sees it; 404 QY-MER-0006 when not within the reader's scope. */
export function getMerchantRequest(id: string): Promise<MerchantRequestView> {
  return unwrap(client.GET('/api/v1/merchant-requests/{id}', { params: { path: { id } } }))
}
