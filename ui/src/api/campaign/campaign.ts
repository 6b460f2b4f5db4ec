// 营销活动 (MKT-3): the campaign list and its form, the customer list upload (the CSV or .xlsx file's
// bytes as the raw body), and the process actions: 提交审批, 撤回 / 暂停 / 恢复 / 取消 / 终止 (one endpoint), 变更 (a change
// request that opens a one-level approval). Each action answers the process status as it is now.
import { customerFileType } from '@/utils/campaign-form'
import { client, unwrap } from '../client'
import type {
  CampaignActionRequest,
  CampaignDetail,
  CampaignInput,
  CampaignPage,
  CampaignQuery,
  CustomerReport,
  ModificationRequest,
  ProcessStatus,
} from '../types'

export function listCampaigns(query: CampaignQuery = {}): Promise<CampaignPage> {
  return unwrap(client.GET('/api/v1/campaigns', { params: { query } }))
}

export function getCampaign(id: string): Promise<CampaignDetail> {
  return unwrap(client.GET('/api/v1/campaigns/{id}', { params: { path: { id } } }))
}

/** 201 with the new campaign; 422 with `fields` for the input at fault. */
export function createCampaign(body: CampaignInput): Promise<CampaignDetail> {
  return unwrap(client.POST('/api/v1/campaigns', { body }))
}

/** Only while Draft (else 409 QY-CAMP-0003). */
export function updateCampaign(id: string, body: CampaignInput): Promise<CampaignDetail> {
  return unwrap(client.PUT('/api/v1/campaigns/{id}', { params: { path: { id } }, body }))
}

/** Replaces the customer list with the file's numbers (its text as the body, `text/csv`); answers the report. */
/** Sends the file's bytes as they are (the server tells a GBK file from a UTF-8 one, and reads `.xlsx`). */
export async function uploadCustomers(id: string, file: File): Promise<CustomerReport> {
  const bytes = await file.arrayBuffer()
  return unwrap(
    client.POST('/api/v1/campaigns/{id}/customers', {
      params: { path: { id } },
      body: bytes as unknown as string,
      bodySerializer: (body: unknown) => body as ArrayBuffer,
      headers: { 'Content-Type': customerFileType(file) },
    }),
  )
}

export function submitCampaign(id: string, comment?: string): Promise<ProcessStatus> {
  return unwrap(client.POST('/api/v1/campaigns/{id}/submit', { params: { path: { id } }, body: comment ? { comment } : {} }))
}

/** 撤回, 暂停, 恢复, 取消活动, 终止活动 (终止 opens a one-level approval; the campaign runs on until it is approved). */
export function campaignAction(id: string, body: CampaignActionRequest): Promise<ProcessStatus> {
  return unwrap(client.POST('/api/v1/campaigns/{id}/actions', { params: { path: { id } }, body }))
}

/** 变更: a new end time and/or budget, approved at one level; the campaign keeps its state meanwhile. */
export function requestModification(id: string, body: ModificationRequest): Promise<ProcessStatus> {
  return unwrap(client.POST('/api/v1/campaigns/{id}/modifications', { params: { path: { id } }, body }))
}
