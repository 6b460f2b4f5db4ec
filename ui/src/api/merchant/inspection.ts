// 巡查 (issue 16, WF-4): plans (each kept with its Temporal Schedule by the server), tasks (each the process
// inspection-<id>), the inspector's checklist with photos, staff decisions and rectifications, the one-click
// 停用商户 of a serious finding, and the merchant portal's own results. 导出 is CSV (own permission, step-up,
// audited), fetched through the API client so that QY-AUTH-0011 opens the re-auth dialog and is retried.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type {
  InspectionIssueBody,
  InspectionPlan,
  InspectionPlanBody,
  InspectionSubmitBody,
  InspectionTaskPage,
  InspectionTaskQuery,
  InspectionTaskView,
  MerchantRequestPending,
  Rectification,
  UploadedUserFile,
} from '../types'
import { filenameFromDisposition, type DownloadedFile } from '@/utils/download'

export function listPlans(): Promise<InspectionPlan[]> {
  return unwrap(client.GET('/api/v1/inspection/plans'))
}

/** 201; 409 QY-INS-0005 when the name is taken, 422 QY-INS-0004 for a bad checklist. */
export function createPlan(body: InspectionPlanBody): Promise<InspectionPlan> {
  return unwrap(client.POST('/api/v1/inspection/plans', { body }))
}

export function updatePlan(id: string, body: InspectionPlanBody): Promise<InspectionPlan> {
  return unwrap(client.PUT('/api/v1/inspection/plans/{id}', { params: { path: { id } }, body }))
}

export function setPlanActive(id: string, active: boolean): Promise<InspectionPlan> {
  const path = { params: { path: { id } } }
  return unwrap(active ? client.POST('/api/v1/inspection/plans/{id}/resume', path) : client.POST('/api/v1/inspection/plans/{id}/pause', path))
}

export async function deletePlan(id: string): Promise<void> {
  await unwrap(client.DELETE('/api/v1/inspection/plans/{id}', { params: { path: { id } } }))
}

export function listTasks(query: InspectionTaskQuery = {}): Promise<InspectionTaskPage> {
  return unwrap(client.GET('/api/v1/inspection/tasks', { params: { query } }))
}

/** The tasks under `query` (paging ignored) as CSV, with the server's file name. */
export async function exportTasks(query: InspectionTaskQuery = {}): Promise<DownloadedFile> {
  const { data, error, response } = await client.GET('/api/v1/inspection/tasks/export', { params: { query }, parseAs: 'blob' })
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return { blob: data as Blob, filename: filenameFromDisposition(response.headers.get('Content-Disposition'), 'inspection-tasks.csv') }
}

export function issueTask(body: InspectionIssueBody): Promise<InspectionTaskView> {
  return unwrap(client.POST('/api/v1/inspection/tasks', { body }))
}

export function getTask(id: string): Promise<InspectionTaskView> {
  return unwrap(client.GET('/api/v1/inspection/tasks/{id}', { params: { path: { id } } }))
}

/** 422 QY-INS-0003 for an incomplete checklist, QY-INS-0006 for a photo that is not the inspector's. */
export function submitTask(id: string, body: InspectionSubmitBody): Promise<InspectionTaskView> {
  return unwrap(client.POST('/api/v1/inspection/tasks/{id}/submit', { params: { path: { id } }, body }))
}

/** 确认/退回 the inspection, or 验收/退回 the rectification, whichever is open. */
export function decideTask(id: string, decision: 'approve' | 'return', comment?: string): Promise<InspectionTaskView> {
  return unwrap(client.POST('/api/v1/inspection/tasks/{id}/decision', { params: { path: { id } }, body: { decision, comment: comment || null } }))
}

export function requestRectification(id: string, requirement: string, deadline: string): Promise<InspectionTaskView> {
  return unwrap(client.POST('/api/v1/inspection/tasks/{id}/rectification', { params: { path: { id } }, body: { requirement, deadline } }))
}

/** 停用商户 from a serious finding: the merchant-status request, waiting for its approval. */
export function disableMerchant(id: string, reason?: string): Promise<MerchantRequestPending> {
  return unwrap(client.POST('/api/v1/inspection/tasks/{id}/disable-merchant', { params: { path: { id } }, body: { reason: reason || null } }))
}

export function listRectifications(status?: string): Promise<Rectification[]> {
  return unwrap(client.GET('/api/v1/inspection/rectifications', { params: { query: { status: status || undefined } } }))
}

/** A photo or evidence file of a task (staff, or `mine` for the merchant portal). */
export async function taskFile(id: string, file: string, mine = false): Promise<Blob> {
  const path = { params: { path: { id, file } }, parseAs: 'blob' as const }
  const { data, error, response } = mine
    ? await client.GET('/api/v1/merchant/inspections/{id}/files/{file}', path)
    : await client.GET('/api/v1/inspection/tasks/{id}/files/{file}', path)
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return data as Blob
}

/** A photo for the checklist or the rectification: multipart in the field `file`, checked by content. */
export function uploadPhoto(file: File): Promise<UploadedUserFile> {
  const form = new FormData()
  form.append('file', file, file.name)
  return unwrap(
    client.POST('/api/v1/files', {
      body: form as unknown as string,
      // the browser sets the multipart boundary
      bodySerializer: (body: unknown) => body as FormData,
    }),
  )
}

export function myInspections(query: InspectionTaskQuery = {}): Promise<InspectionTaskPage> {
  return unwrap(client.GET('/api/v1/merchant/inspections', { params: { query } }))
}

export function myInspection(id: string): Promise<InspectionTaskView> {
  return unwrap(client.GET('/api/v1/merchant/inspections/{id}', { params: { path: { id } } }))
}

export function answerRectification(id: string, answer: string, files: string[]): Promise<InspectionTaskView> {
  return unwrap(client.POST('/api/v1/merchant/inspections/{id}/rectification', { params: { path: { id } }, body: { answer, files } }))
}
