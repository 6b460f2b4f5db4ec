// Shared test data: users and readiness payloads shaped like the server's.
import type { Org, Readiness, Role, User, UserRow } from '@/api/types'

export function makeUser(permissions: string[] = [], overrides: Partial<User> = {}): User {
  return {
    id: '2f1c3c1e-7a43-4b59-9d0e-1f0a4c1b2d3e',
    username: 'zhangsan',
    display_name: '张三',
    org_id: 'org-0001',
    org_name: '总行营运部',
    kind: 'staff',
    permissions,
    totp_enabled: false,
    totp_required: false,
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

// 系统管理 payloads, shaped like the demo bank's.
export const HO = '00000000-0000-4000-8000-000000000001'
export const BR01 = '00000000-0000-4000-8000-000000000002'
export const BR02 = '00000000-0000-4000-8000-000000000003'
export const SB0101 = '00000000-0000-4000-8000-000000000004'
export const SB0102 = '00000000-0000-4000-8000-000000000005'
export const SB0201 = '00000000-0000-4000-8000-000000000006'

export const orgList: Org[] = [
  { id: HO, parent_id: null, code: 'HO', name: '总行', level: 1 },
  { id: BR01, parent_id: HO, code: 'BR01', name: '城东分行', level: 2 },
  { id: SB0101, parent_id: BR01, code: 'SB0101', name: '城东分行营业部', level: 3 },
  { id: SB0102, parent_id: BR01, code: 'SB0102', name: '城东新区支行', level: 3 },
  { id: BR02, parent_id: HO, code: 'BR02', name: '城西分行', level: 2 },
  { id: SB0201, parent_id: BR02, code: 'SB0201', name: '城西分行营业部', level: 3 },
]

export const roleList: Role[] = [
  {
    id: 'role-admin',
    code: 'admin',
    name: '系统管理员',
    data_scope: 'all',
    duty: 'administration',
    permissions: ['system:user:view', 'system:org:view', 'system:user:create'],
  },
  { id: 'role-auditor', code: 'auditor', name: '审计员', data_scope: 'all', duty: 'audit', permissions: ['system:audit:view', 'system:org:view'] },
  { id: 'role-planner', code: 'planner', name: '营销策划', data_scope: 'org_and_below', duty: null, permissions: ['system:org:view'] },
  { id: 'role-teller', code: 'teller', name: '柜员', data_scope: 'self', duty: null, permissions: [] },
]

export function makeUserRow(overrides: Partial<UserRow> = {}): UserRow {
  return {
    id: '9a7c3e1e-0000-4000-8000-00000000000a',
    username: 'planner',
    display_name: '城东分行营销策划',
    org_id: BR01,
    org_name: '城东分行',
    kind: 'staff',
    status: 'active',
    roles: ['planner'],
    must_change_password: false,
    locked: false,
    totp_enabled: false,
    phone: '137****7002',
    email: 'p***@bank.example',
    ...overrides,
  }
}
