// Response and request types read off the generated OpenAPI paths, so they follow the server's
// document without depending on how the server names its component schemas.
import type { paths } from './schema'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** The JSON body of response `status` of `method path`. */
export type ResponseJson<P extends keyof paths, M extends Method & keyof paths[P], S extends number> =
  paths[P][M] extends { responses: infer R }
    ? S extends keyof R
      ? R[S] extends { content: { 'application/json': infer B } }
        ? B
        : never
      : never
    : never

/** The JSON request body of `method path`. */
export type RequestJson<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } }
}
  ? B
  : never

export type User = ResponseJson<'/api/v1/auth/me', 'get', 200>['user']
export type UserKind = User['kind']
export type SessionView = ResponseJson<'/api/v1/auth/me', 'get', 200>
export type Captcha = ResponseJson<'/api/v1/auth/captcha', 'get', 200>
export type LoginRequest = RequestJson<'/api/v1/auth/login', 'post'>
export type LoginResponse = ResponseJson<'/api/v1/auth/login', 'post', 200>
export type LastLogin = NonNullable<LoginResponse['last_login']>
export type ChangePasswordRequest = RequestJson<'/api/v1/auth/password', 'post'>
/** What the second factor still asks of the session: nothing, a code (`verify`), an enrolment (`enrol`). */
export type SecondFactor = SessionView['second_factor']
export type TotpEnrolment = ResponseJson<'/api/v1/auth/totp/enrolment', 'post', 200>
export type RecoveryCodes = ResponseJson<'/api/v1/auth/totp/enrolment/confirm', 'post', 200>
export type Readiness = ResponseJson<'/readyz', 'get', 200>
export type ReadinessCheck = Readiness['checks'][number]
export type SystemInfo = ResponseJson<'/api/v1/system/info', 'get', 200>

// 系统管理 (SYS-1): orgs, roles, users.
export type Org = ResponseJson<'/api/v1/system/orgs', 'get', 200>[number]
export type Role = ResponseJson<'/api/v1/system/roles', 'get', 200>[number]
export type UserPage = ResponseJson<'/api/v1/system/users', 'get', 200>
export type UserRow = UserPage['items'][number]
export type UserQuery = NonNullable<paths['/api/v1/system/users']['get']['parameters']['query']>
export type CreateUserRequest = RequestJson<'/api/v1/system/users', 'post'>
export type TemporaryPassword = ResponseJson<'/api/v1/system/users', 'post', 201>
export type PersonalData = ResponseJson<'/api/v1/system/users/{id}/personal-data', 'get', 200>

// 系统管理 (SYS-2, SYS-3): parameters, code lists, sign-in and operation logs.
export type Parameter = ResponseJson<'/api/v1/system/parameters', 'get', 200>[number]
export type Dictionary = ResponseJson<'/api/v1/system/dictionaries', 'get', 200>[number]
export type DictionaryItem = Dictionary['items'][number]
export type PutDictionaryItemRequest = RequestJson<'/api/v1/system/dictionaries/{type}/{code}', 'put'>
export type LogQuery = NonNullable<paths['/api/v1/system/login-log']['get']['parameters']['query']>
export type LoginLogPage = ResponseJson<'/api/v1/system/login-log', 'get', 200>
export type LoginRecord = LoginLogPage['items'][number]
export type AuditLogPage = ResponseJson<'/api/v1/system/audit-log', 'get', 200>
export type AuditRecord = AuditLogPage['items'][number]

// 系统管理 (SYS-1): org and role maintenance, the permission catalogue, menus as server data.
export type CreateOrgRequest = RequestJson<'/api/v1/system/orgs', 'post'>
export type CreateRoleRequest = RequestJson<'/api/v1/system/roles', 'post'>
export type UpdateRoleRequest = RequestJson<'/api/v1/system/roles/{id}', 'put'>
export type PermissionNode = ResponseJson<'/api/v1/system/permissions', 'get', 200>[number]
export type MenuNode = ResponseJson<'/api/v1/system/menus', 'get', 200>[number]
export type UpdateMenuRequest = RequestJson<'/api/v1/system/menus/{id}', 'put'>

// 批量日志 (SYS-3).
export type BatchQuery = NonNullable<paths['/api/v1/system/batch-log']['get']['parameters']['query']>
export type BatchLogPage = ResponseJson<'/api/v1/system/batch-log', 'get', 200>
export type BatchRun = BatchLogPage['items'][number]

// 营销权益 (BEN-1, BEN-2, BEN-4): coupon templates, their stock ledger, coupons, redemptions, merchants.
export type TemplatePage = ResponseJson<'/api/v1/benefits/templates', 'get', 200>
export type TemplateRow = TemplatePage['items'][number]
export type CreateTemplateRequest = RequestJson<'/api/v1/benefits/templates', 'post'>
export type StockRequest = RequestJson<'/api/v1/benefits/templates/{code}/stock', 'post'>
export type MovementPage = ResponseJson<'/api/v1/benefits/templates/{code}/movements', 'get', 200>
export type MovementRow = MovementPage['items'][number]
export type StockDay = MovementPage['days'][number]
export type CouponQuery = NonNullable<paths['/api/v1/benefits/coupons']['get']['parameters']['query']>
export type CouponPage = ResponseJson<'/api/v1/benefits/coupons', 'get', 200>
export type CouponRow = CouponPage['items'][number]
export type RedemptionQuery = NonNullable<paths['/api/v1/benefits/redemptions']['get']['parameters']['query']>
export type RedemptionPage = ResponseJson<'/api/v1/benefits/redemptions', 'get', 200>
export type RedemptionRow = RedemptionPage['items'][number]
export type MerchantRow = ResponseJson<'/api/v1/benefits/merchants', 'get', 200>[number]
export type CreateMerchantRequest = RequestJson<'/api/v1/benefits/merchants', 'post'>
export type StoreView = ResponseJson<'/api/v1/benefits/my-stores', 'get', 200>[number]
export type RedeemRequest = RequestJson<'/api/v1/benefits/merchant-redemptions', 'post'>
export type Redemption = ResponseJson<'/api/v1/benefits/merchant-redemptions', 'post', 200>

// 营销中心 and 流程中心 (issue 5: MKT-3, WF-7, WF-8). Written by hand from the contract until the server's
// schema carries these paths; then read off `paths` like the rest.
export type CampaignState =
  | 'Draft'
  | 'FirstReview'
  | 'SecondReview'
  | 'Scheduled'
  | 'Running'
  | 'Paused'
  | 'Ended'
  | 'Evaluated'
  | 'Rejected'
  | 'Cancelled'

export interface CampaignSummary {
  id: string
  code: string
  name: string
  type: string
  org_id: string
  org_name: string
  channels: string[]
  start_at: string
  end_at: string
  budget_fen: number
  customers: number
  state: string
  created_by: string
  created_at: string
  updated_at: string
  /** Not in the contract's summary; used when the server sends it. */
  allowed_actions?: string[]
}
export interface CampaignPage {
  items: CampaignSummary[]
  total: number
}
export interface CampaignQuery {
  page?: number
  page_size?: number
  state?: string
  org_id?: string
  type?: string
  name?: string
  start_from?: string
  start_to?: string
}
export interface CampaignRule {
  name: string
  budget_fen: number
  template_code?: string | null
}
export interface CampaignInput {
  name: string
  type: string
  org_id: string
  channels: string[]
  start_at: string
  end_at: string
  success_criteria: string
  description: string
  rules: CampaignRule[]
}
export interface PendingTimer {
  name: string
  label: string
  fires_at: string
}
export interface TaskLink {
  kind: string
  id: string
}
export interface Task {
  id: string
  workflow_id: string
  process_type: string
  business_key: string
  title: string
  step: string
  level: number
  level_name: string
  state: string
  submitted_by: string
  assignee: string | null
  created_at: string
  due_at: string | null
  overdue: boolean
  status: string
  outcome: string | null
  decided_by: string | null
  closed_at: string | null
  comment: string | null
  link: TaskLink
}
export interface ChangeRequest {
  kind: string
  end_at?: string | null
  budget_fen?: number | null
  comment: string
}
export interface ProcessStatus {
  workflow_id: string
  state: string
  allowed_actions: string[]
  pending_timers: PendingTimer[]
  open_tasks: Task[]
}
export interface CampaignProcess {
  workflow_id: string | null
  state: string
  allowed_actions: string[]
  pending_timers: PendingTimer[]
  open_tasks: Task[]
  change_request: ChangeRequest | null
}
export interface TimelineEntry {
  seq: number
  from_state: string | null
  to_state: string
  event: string
  event_label: string
  actor: string | null
  comment: string | null
  at: string
}
export interface CampaignEvaluation {
  customers: number
  claims: number
  redemptions: number
  budget_fen: number
  recorded_at: string
}
export interface CampaignDetail extends CampaignSummary {
  success_criteria: string
  description: string
  rules: CampaignRule[]
  customer_list: { total: number; uploaded_at: string | null; uploaded_by: string | null }
  process: CampaignProcess
  timeline: TimelineEntry[]
  evaluation: CampaignEvaluation | null
}
export interface CustomerError {
  line: number
  value: string
  code: string
  message: string
}
export interface CustomerReport {
  total_rows: number
  accepted: number
  duplicates: number
  invalid: number
  errors: CustomerError[]
}
export interface CampaignActionRequest {
  action: string
  comment: string
}
export interface ModificationRequest {
  end_at?: string
  budget_fen?: number
  comment: string
}
export interface TaskPage {
  items: Task[]
  total: number
}
export interface TaskQuery {
  tab?: 'todo' | 'done' | 'mine'
  process_type?: string
  page?: number
  page_size?: number
}
export interface TaskCounts {
  todo: number
  overdue: number
  done: number
  mine: number
}
export interface DecisionRequest {
  decision: 'approve' | 'reject' | 'return'
  comment?: string
}
export interface Candidate {
  id: string
  username: string
  display_name: string
  org_name: string
}
export interface TransferRequest {
  to_user_id: string
  comment: string
}
export interface ProcessRow {
  workflow_id: string
  process_type: string
  business_key: string
  title: string
  state: string
  org_name: string
  started_by: string
  started_at: string
  updated_at: string
  ended_at: string | null
  overdue: boolean
}
export interface ProcessPage {
  items: ProcessRow[]
  total: number
}
export interface ProcessQuery {
  process_type?: string
  state?: string
  overdue?: boolean
  stale_hours?: number
  business_key?: string
  page?: number
  page_size?: number
}
export interface DiagramState {
  id: string
  label_zh: string
  label_en: string
  terminal: boolean
}
export interface DiagramTransition {
  from: string
  to: string
  event: string
  label_zh: string
  label_en: string
}
export interface Diagram {
  states: DiagramState[]
  transitions: DiagramTransition[]
}
export interface ProcessDetail {
  workflow_id: string
  process_type: string
  business_key: string
  title: string
  state: string
  org_name: string
  started_by: string
  started_at: string
  ended_at: string | null
  diagram: Diagram
  timeline: TimelineEntry[]
  tasks: Task[]
  pending_timers: PendingTimer[]
  temporal_url: string
}
export interface PolicyLevel {
  name: string
  role: string
  org_rule: string
  sla_minutes: number
  remind_before_minutes: number
  escalate: boolean
}
export interface ApprovalPolicy {
  process_type: string
  variant: string
  label: string
  levels: PolicyLevel[]
  updated_by: string
  updated_at: string
}
export interface PolicyOptions {
  roles: { code: string; name: string }[]
  org_rules: { code: string; label_zh: string; label_en: string }[]
}
