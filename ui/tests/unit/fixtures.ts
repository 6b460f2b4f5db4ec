// Shared test data: users and readiness payloads shaped like the server's.
import type { Readiness, User } from '@/api/types'

export function makeUser(permissions: string[] = [], overrides: Partial<User> = {}): User {
  return {
    id: '2f1c3c1e-7a43-4b59-9d0e-1f0a4c1b2d3e',
    username: 'zhangsan',
    display_name: '张三',
    org_id: 'org-0001',
    org_name: '总行营运部',
    kind: 'staff',
    permissions,
    ...overrides,
  }
}

export const readyPayload: Readiness = {
  status: 'ready',
  checks: [
    { name: 'postgres', ok: true, latency_ms: 3.2, detail: null },
    { name: 'temporal', ok: true, latency_ms: 12, detail: null },
  ],
}

export const failedPayload: Readiness = {
  status: 'unavailable',
  checks: [
    { name: 'postgres', ok: true, latency_ms: 2, detail: null },
    { name: 'temporal', ok: false, latency_ms: 5000, detail: 'connection refused (127.0.0.1:7233)' },
  ],
}
