// 商户线上入驻 (WF-2). The applicant's door needs no staff account: the phone is proved by an SMS code
// (after the sign-in captcha), and the session that opens (an HttpOnly cookie for /api/v1/onboarding) reaches
// only that phone's applications. The reviewers' side: the list 商户入驻申请 and an application's detail,
// personal data masked unless 显示 (pii:merchant:unmask, audited by the server), its files downloaded.
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { ApplicationDetail, ApplicationPage, ApplicationQuery, ApplicationView, BranchOption, DraftRequest, UploadedFile } from '../types'
import { filenameFromDisposition, type DownloadedFile } from '@/utils/download'

/** 429 QY-ONB-0001 / 0002 when the phone or the address asked too often; 400 QY-AUTH-0006 a wrong captcha. */
export async function sendCode(body: { phone: string; captcha_id: string; captcha_answer: string }): Promise<void> {
  await unwrap(client.POST('/api/v1/onboarding/codes', { body }))
}

/** 401 QY-ONB-0003 when the code is wrong or expired. */
export async function openSession(body: { phone: string; code: string }): Promise<void> {
  await unwrap(client.POST('/api/v1/onboarding/sessions', { body }))
}

export function branches(): Promise<BranchOption[]> {
  return unwrap(client.GET('/api/v1/onboarding/branches'))
}

/** 401 QY-ONB-0004 without an applicant session. */
export function myApplications(): Promise<ApplicationView[]> {
  return unwrap(client.GET('/api/v1/onboarding/applications'))
}

export function createDraft(body: DraftRequest): Promise<ApplicationView> {
  return unwrap(client.POST('/api/v1/onboarding/applications', { body }))
}

export function saveDraft(id: string, body: DraftRequest): Promise<ApplicationView> {
  return unwrap(client.PUT('/api/v1/onboarding/applications/{id}', { params: { path: { id } }, body }))
}

/** The file as multipart/form-data in the field `file`; the server tells its type by its content. */
export function uploadFile(id: string, file: File): Promise<UploadedFile> {
  const form = new FormData()
  form.append('file', file, file.name)
  return unwrap(
    client.POST('/api/v1/onboarding/applications/{id}/files', {
      params: { path: { id } },
      body: form as unknown as string,
      // the browser sets the multipart boundary
      bodySerializer: (body: unknown) => body as FormData,
    }),
  )
}

interface BlobResult {
  data?: unknown
  error?: unknown
  response: Response
}

async function asFile(call: Promise<BlobResult>, fallback: string): Promise<DownloadedFile> {
  const { data, error, response } = await call
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return { blob: data as Blob, filename: filenameFromDisposition(response.headers.get('Content-Disposition'), fallback) }
}

/** The applicant's own file (for a preview or to save it). */
export function myFile(id: string, fileId: string, fallback: string): Promise<DownloadedFile> {
  return asFile(
    client.GET('/api/v1/onboarding/applications/{id}/files/{file_id}', { params: { path: { id, file_id: fileId } }, parseAs: 'blob' }),
    fallback,
  )
}

/** 422 QY-ONB-0007 naming each missing field. */
export function submitApplication(id: string): Promise<ApplicationView> {
  return unwrap(client.POST('/api/v1/onboarding/applications/{id}/submit', { params: { path: { id } } }))
}

/** 补件: back to 初审 as the application now is; 409 QY-PROC-0002 when no material is asked for. */
export function resubmitApplication(id: string): Promise<ApplicationView> {
  return unwrap(client.POST('/api/v1/onboarding/applications/{id}/resubmit', { params: { path: { id } } }))
}

export function withdrawApplication(id: string): Promise<ApplicationView> {
  return unwrap(client.POST('/api/v1/onboarding/applications/{id}/withdraw', { params: { path: { id } } }))
}

/** 商户入驻申请: submitted applications in the reader's data scope. */
export function listApplications(query: ApplicationQuery = {}): Promise<ApplicationPage> {
  return unwrap(client.GET('/api/v1/merchant-applications', { params: { query } }))
}

/** `unmask`: 显示 (pii:merchant:unmask; the server records it in the audit log). */
export function getApplication(id: string, unmask = false): Promise<ApplicationDetail> {
  return unwrap(client.GET('/api/v1/merchant-applications/{id}', { params: { path: { id }, query: unmask ? { unmask: true } : {} } }))
}

export function applicationFile(id: string, fileId: string, fallback: string): Promise<DownloadedFile> {
  return asFile(
    client.GET('/api/v1/merchant-applications/{id}/files/{file_id}', { params: { path: { id, file_id: fileId } }, parseAs: 'blob' }),
    fallback,
  )
}
