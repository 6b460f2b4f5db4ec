// 登录日志, 操作日志, 批量日志 (SYS-3): filtered pages, and the CSV exports (own permission, a recent password
// entry — QY-AUTH-0011 opens the re-auth dialog and the client retries — and audited by the server).
import { client, unwrap } from '../client'
import { toApiError } from '../error'
import type { AuditCatalogue, AuditLogPage, BatchLogPage, BatchQuery, LogQuery, LoginLogPage } from '../types'
import { filenameFromDisposition, type DownloadedFile } from '@/utils/download'

export function listLoginLog(query: LogQuery = {}): Promise<LoginLogPage> {
  return unwrap(client.GET('/api/v1/system/login-log', { params: { query } }))
}

export function listAuditLog(query: LogQuery = {}): Promise<AuditLogPage> {
  return unwrap(client.GET('/api/v1/system/audit-log', { params: { query } }))
}

/** Every audit action and before/after field, named in both languages (the 操作 filter and a record's words). */
export function auditCatalogue(): Promise<AuditCatalogue> {
  return unwrap(client.GET('/api/v1/system/audit-actions'))
}

interface BlobResult {
  data?: unknown
  error?: unknown
  response: Response
}

async function download(call: Promise<BlobResult>, fallback: string): Promise<DownloadedFile> {
  const { data, error, response } = await call
  if (!response.ok || data == null) throw toApiError(response.status, error, response.headers)
  return { blob: data as Blob, filename: filenameFromDisposition(response.headers.get('Content-Disposition'), fallback) }
}

/** The login log under `query` (paging ignored) as CSV, with the server's file name. */
export function exportLoginLog(query: LogQuery = {}): Promise<DownloadedFile> {
  return download(client.GET('/api/v1/system/login-log/export', { params: { query }, parseAs: 'blob' }), 'login-log.csv')
}

/** The audit log under `query` (paging ignored) as CSV, with the server's file name. */
export function exportAuditLog(query: LogQuery = {}): Promise<DownloadedFile> {
  return download(client.GET('/api/v1/system/audit-log/export', { params: { query }, parseAs: 'blob' }), 'audit-log.csv')
}

export function listBatchLog(query: BatchQuery = {}): Promise<BatchLogPage> {
  return unwrap(client.GET('/api/v1/system/batch-log', { params: { query } }))
}

/** The batch log under `query` (paging ignored) as CSV, with the server's file name. */
export function exportBatchLog(query: BatchQuery = {}): Promise<DownloadedFile> {
  return download(client.GET('/api/v1/system/batch-log/export', { params: { query }, parseAs: 'blob' }), 'batch-log.csv')
}
