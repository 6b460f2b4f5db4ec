// 批量日志: the search form → the API's query (job, status, a Beijing-time range whose end is inclusive on
// screen and exclusive for the server), and the labels and tag colours of jobs, statuses and triggers.
import type { BatchQuery } from '@/api/types'
import type { MessageKey } from '@/locales'
import { addSecondsBeijing, beijingToRfc3339 } from './date'

export type BatchJob = NonNullable<BatchQuery['job']>
export type BatchStatus = NonNullable<BatchQuery['status']>

export interface BatchSearch {
  job: BatchJob | ''
  status: BatchStatus | ''
  range: [string, string] | null
}

export function emptyBatchSearch(): BatchSearch {
  return { job: '', status: '', range: null }
}

/** The filters of `search` (no paging), leaving out what is not set. */
export function batchFilters(search: BatchSearch): BatchQuery {
  const query: BatchQuery = {}
  if (search.job) query.job = search.job
  if (search.status) query.status = search.status
  if (search.range) {
    query.from = beijingToRfc3339(search.range[0])
    query.to = beijingToRfc3339(addSecondsBeijing(search.range[1], 1))
  }
  return query
}

export const BATCH_JOB_LABELS: Record<BatchJob, MessageKey> = {
  housekeeping: 'batchLog.jobs.housekeeping',
  audit_verify: 'batchLog.jobs.auditVerify',
  customer_import: 'batchLog.jobs.customerImport',
  points_expiry: 'batchLog.jobs.pointsExpiry',
  points_reminder: 'batchLog.jobs.pointsReminder',
  tier_evaluation: 'batchLog.jobs.tierEvaluation',
}

export const BATCH_STATUS_LABELS: Record<BatchStatus, MessageKey> = {
  running: 'batchLog.statuses.running',
  succeeded: 'batchLog.statuses.succeeded',
  failed: 'batchLog.statuses.failed',
}

export const BATCH_STATUS_TAGS: Record<BatchStatus, 'primary' | 'success' | 'danger'> = {
  running: 'primary',
  succeeded: 'success',
  failed: 'danger',
}

const TRIGGER_LABELS: Record<string, MessageKey> = {
  schedule: 'batchLog.triggers.schedule',
  cli: 'batchLog.triggers.cli',
  test: 'batchLog.triggers.test',
}

type Translate = (key: MessageKey) => string

function labelled(table: Record<string, MessageKey>, code: string, t: Translate): string {
  return Object.prototype.hasOwnProperty.call(table, code) ? t(table[code] as MessageKey) : code
}

/** The job's name, or its code for a job the UI does not know yet. */
export function batchJobLabel(job: string, t: Translate): string {
  return labelled(BATCH_JOB_LABELS, job, t)
}

export function batchStatusLabel(status: string, t: Translate): string {
  return labelled(BATCH_STATUS_LABELS, status, t)
}

export function batchTriggerLabel(trigger: string, t: Translate): string {
  return labelled(TRIGGER_LABELS, trigger, t)
}
