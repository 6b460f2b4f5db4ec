import { describe, expect, it } from 'vitest'
import { batchFilters, batchJobLabel, batchStatusLabel, emptyBatchSearch } from '@/utils/batch-query'
import type { MessageKey } from '@/locales'

const t = (key: MessageKey) => `«${key}»`

describe('batchFilters', () => {
  it('sends nothing for an empty search', () => {
    expect(batchFilters(emptyBatchSearch())).toEqual({})
  })

  it('sends the job, the status and the range in Beijing time, the end one second later (exclusive)', () => {
    expect(batchFilters({ job: 'housekeeping', status: 'failed', range: ['2026-11-01 00:00:00', '2026-11-01 23:59:59'] })).toEqual({
      job: 'housekeeping',
      status: 'failed',
      from: '2026-11-01T00:00:00+08:00',
      to: '2026-11-02T00:00:00+08:00',
    })
  })
})

describe('batch labels', () => {
  it('names known jobs and statuses, and shows unknown ones as their code', () => {
    expect(batchJobLabel('audit_verify', t)).toBe('«batchLog.jobs.auditVerify»')
    expect(batchJobLabel('reindex', t)).toBe('reindex')
    expect(batchStatusLabel('failed', t)).toBe('«batchLog.statuses.failed»')
  })
})
