// 商户用户: a merchant administrator's cashiers — list, add (a one-time password goes to the cashier by SMS),
// disable or enable, reset a password. The server keeps every call to the caller's own merchant.
import { client, unwrap } from '../client'
import type { MerchantUserRow, NewClerkRequest } from '../types'

export function listMerchantUsers(): Promise<MerchantUserRow[]> {
  return unwrap(client.GET('/api/v1/merchant/users'))
}

/** 201; 409 QY-SYS-1002 when the username is taken. */
export async function createClerk(body: NewClerkRequest): Promise<string> {
  return (await unwrap(client.POST('/api/v1/merchant/users', { body }))).id
}

/** 204; 404 QY-MER-0010 when there is no such cashier of the merchant. */
export async function setClerkActive(id: string, active: boolean): Promise<void> {
  await unwrap(client.PUT('/api/v1/merchant/users/{id}/status', { params: { path: { id } }, body: { active } }))
}

/** 204: a one-time password by SMS; 409 QY-MER-0011 when the cashier has no phone. */
export async function resetClerkPassword(id: string): Promise<void> {
  await unwrap(client.POST('/api/v1/merchant/users/{id}/password-reset', { params: { path: { id } }, body: {} }))
}
