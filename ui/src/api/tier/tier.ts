// 用户等级管理 (BEN-6): 等级体系 with 等级权益 (the coupon templates a tier grants on upgrade), 升级任务,
// and a customer's tier, history and task progress for the customer page.
import { client, unwrap } from '../client'
import type { CreateTierRequest, CreateUpgradeTaskRequest, CustomerTier, Tier, UpgradeTask } from '../types'

export async function listTiers(): Promise<Tier[]> {
  return (await unwrap(client.GET('/api/v1/tiers'))).items
}

/** 409 QY-TIER-0001 code taken, 0002 rank taken; 422 with `fields`. */
export async function createTier(body: CreateTierRequest): Promise<Tier[]> {
  return (await unwrap(client.POST('/api/v1/tiers', { body }))).items
}

export async function updateTier(id: string, body: { name: string; rank: number; min_points_12m: number }): Promise<Tier[]> {
  return (await unwrap(client.PUT('/api/v1/tiers/{id}', { params: { path: { id } }, body }))).items
}

/** 等级权益: the templates granted on upgrade; 422 QY-TIER-0004 an unknown template. */
export async function setTierBenefits(id: string, templateCodes: string[]): Promise<Tier[]> {
  return (await unwrap(client.PUT('/api/v1/tiers/{id}/benefits', { params: { path: { id } }, body: { template_codes: templateCodes } }))).items
}

export async function listUpgradeTasks(): Promise<UpgradeTask[]> {
  return (await unwrap(client.GET('/api/v1/upgrade-tasks'))).items
}

export async function createUpgradeTask(body: CreateUpgradeTaskRequest): Promise<UpgradeTask[]> {
  return (await unwrap(client.POST('/api/v1/upgrade-tasks', { body }))).items
}

export async function setUpgradeTaskStatus(id: string, status: 'active' | 'disabled'): Promise<UpgradeTask[]> {
  return (await unwrap(client.POST('/api/v1/upgrade-tasks/{id}/status', { params: { path: { id } }, body: { status } }))).items
}

export function customerTier(customerNo: string): Promise<CustomerTier> {
  return unwrap(client.GET('/api/v1/customers/{customer_no}/tier', { params: { path: { customer_no: customerNo } } }))
}
