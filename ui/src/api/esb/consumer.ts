// 接入系统 (ESB consumers): the list, 注册 (the secret answered once), 编辑, 停用 / 启用 and 重置密钥 (the new
// secret answered once). Registering, editing and a new secret need a recent password entry: QY-AUTH-0011
// opens the re-auth dialog and the client retries.
import { client, unwrap } from '../client'
import type { EsbConsumer, RegisterConsumerRequest, RegisteredConsumer, UpdateConsumerRequest } from '../types'

export async function listConsumers(): Promise<EsbConsumer[]> {
  return (await unwrap(client.GET('/api/v1/esb/consumers'))).items
}

/** 201 with the secret (base64, shown once); 409 QY-BEN-1010 code taken, 422 with `fields` (QY-ESB-0001…0005). */
export function registerConsumer(body: RegisterConsumerRequest): Promise<RegisteredConsumer> {
  return unwrap(client.POST('/api/v1/esb/consumers', { body }))
}

/** 204; 422 with `fields` as for registering, 404 QY-ESB-0006. */
export async function updateConsumer(id: string, body: UpdateConsumerRequest): Promise<void> {
  await unwrap(client.PUT('/api/v1/esb/consumers/{id}', { params: { path: { id } }, body }))
}

/** 停用 (the gateway refuses it with GW-C-0102 at once) or 启用. */
export async function setConsumerActive(id: string, active: boolean): Promise<void> {
  await unwrap(client.PUT('/api/v1/esb/consumers/{id}/status', { params: { path: { id } }, body: { active } }))
}

/** 重置密钥: the new secret (base64, shown once); the old one is refused from now on. */
export async function rotateSecret(id: string): Promise<string> {
  return (await unwrap(client.POST('/api/v1/esb/consumers/{id}/secret', { params: { path: { id } } }))).secret
}
