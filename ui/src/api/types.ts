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
export type AuditCatalogue = ResponseJson<'/api/v1/system/audit-actions', 'get', 200>

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
export type TemplateTerms = RequestJson<'/api/v1/benefits/templates/{code}', 'put'>
export type StockRequest = RequestJson<'/api/v1/benefits/templates/{code}/stock', 'post'>
export type StockChangePending = ResponseJson<'/api/v1/benefits/templates/{code}/stock', 'post', 202>
export type MovementPage = ResponseJson<'/api/v1/benefits/templates/{code}/movements', 'get', 200>
export type MovementRow = MovementPage['items'][number]
export type StockDay = MovementPage['days'][number]
export type CouponQuery = NonNullable<paths['/api/v1/benefits/coupons']['get']['parameters']['query']>
export type CouponPage = ResponseJson<'/api/v1/benefits/coupons', 'get', 200>
export type CouponRow = CouponPage['items'][number]
export type CouponCode = ResponseJson<'/api/v1/benefits/coupons/{id}/code', 'get', 200>
export type RedemptionQuery = NonNullable<paths['/api/v1/benefits/redemptions']['get']['parameters']['query']>
export type RedemptionPage = ResponseJson<'/api/v1/benefits/redemptions', 'get', 200>
export type RedemptionRow = RedemptionPage['items'][number]
export type MerchantRow = ResponseJson<'/api/v1/benefits/merchants', 'get', 200>[number]
export type CreateMerchantRequest = RequestJson<'/api/v1/benefits/merchants', 'post'>
export type MerchantEditRequest = RequestJson<'/api/v1/benefits/merchants/{code}', 'put'>
export type StoreRow = MerchantRow['store_list'][number]
export type StatusRequestBody = RequestJson<'/api/v1/benefits/merchants/{code}/status-requests', 'post'>
export type MerchantRequestPending = ResponseJson<'/api/v1/benefits/merchants/{code}/status-requests', 'post', 202>
export type AccountChangeBody = RequestJson<'/api/v1/benefits/merchants/{code}/account-changes', 'post'>
export type MerchantUserRow = ResponseJson<'/api/v1/merchant/users', 'get', 200>[number]
export type NewClerkRequest = RequestJson<'/api/v1/merchant/users', 'post'>
export type NewStoreRequest = RequestJson<'/api/v1/benefits/merchants/{code}/stores', 'post'>
export type StoreView = ResponseJson<'/api/v1/benefits/my-stores', 'get', 200>[number]
export type RedeemRequest = RequestJson<'/api/v1/benefits/merchant-redemptions', 'post'>
export type Redemption = ResponseJson<'/api/v1/benefits/merchant-redemptions', 'post', 200>

// 营销中心 and 流程中心 (issue 5: MKT-3, WF-7, WF-8): campaigns, the inbox, the monitor, approval policies.
export type CampaignPage = ResponseJson<'/api/v1/campaigns', 'get', 200>
export type CampaignSummary = CampaignPage['items'][number]
export type CampaignQuery = NonNullable<paths['/api/v1/campaigns']['get']['parameters']['query']>
export type CampaignInput = RequestJson<'/api/v1/campaigns', 'post'>
export type CampaignRule = CampaignInput['rules'][number]
export type CampaignDetail = ResponseJson<'/api/v1/campaigns/{id}', 'get', 200>
export type CampaignEvaluation = NonNullable<CampaignDetail['evaluation']>
export type TimelineEntry = CampaignDetail['timeline'][number]
// 渠道投放 (MKT-8): a campaign's 投放设置 and the staff 投放查询.
export type DeliverySettings = CampaignDetail['delivery']
export type DeliveryInput = NonNullable<CampaignInput['delivery']>
export type DeliveryAnswer = ResponseJson<'/api/v1/channels/{code}/campaigns', 'get', 200>
export type DeliveryEntry = DeliveryAnswer['items'][number]
export type CustomerReport = ResponseJson<'/api/v1/campaigns/{id}/customers', 'post', 200>
export type CustomerError = CustomerReport['errors'][number]
export type CampaignActionRequest = RequestJson<'/api/v1/campaigns/{id}/actions', 'post'>
export type ModificationRequest = RequestJson<'/api/v1/campaigns/{id}/modifications', 'post'>
export type ProcessStatus = ResponseJson<'/api/v1/campaigns/{id}/submit', 'post', 200>
export type PendingTimer = ProcessStatus['pending_timers'][number]
export type TaskPage = ResponseJson<'/api/v1/tasks', 'get', 200>
export type Task = TaskPage['items'][number]
export type TaskQuery = NonNullable<paths['/api/v1/tasks']['get']['parameters']['query']>
export type TaskCounts = ResponseJson<'/api/v1/tasks/counts', 'get', 200>
export type DecisionRequest = RequestJson<'/api/v1/tasks/{id}/decision', 'post'>
export type Candidate = ResponseJson<'/api/v1/tasks/{id}/candidates', 'get', 200>[number]
export type TransferRequest = RequestJson<'/api/v1/tasks/{id}/transfer', 'post'>
export type ProcessPage = ResponseJson<'/api/v1/processes', 'get', 200>
export type ProcessRow = ProcessPage['items'][number]
export type ProcessQuery = NonNullable<paths['/api/v1/processes']['get']['parameters']['query']>
export type ProcessDetail = ResponseJson<'/api/v1/processes/{workflow_id}', 'get', 200>
export type Diagram = ProcessDetail['diagram']
export type ApprovalPolicy = ResponseJson<'/api/v1/approval-policies', 'get', 200>[number]
export type PolicyLevel = ApprovalPolicy['levels'][number]
export type PolicyOptions = ResponseJson<'/api/v1/approval-policies/options', 'get', 200>

// 接口服务管理 (ESB)
export type EsbConsumerList = ResponseJson<'/api/v1/esb/consumers', 'get', 200>
export type EsbConsumer = EsbConsumerList['items'][number]
export type RegisterConsumerRequest = RequestJson<'/api/v1/esb/consumers', 'post'>
export type RegisteredConsumer = ResponseJson<'/api/v1/esb/consumers', 'post', 201>
export type UpdateConsumerRequest = RequestJson<'/api/v1/esb/consumers/{id}', 'put'>
export type ServiceCatalogue = ResponseJson<'/api/v1/esb/services', 'get', 200>
export type EsbService = ServiceCatalogue['services'][number]
export type RetCodeRow = ServiceCatalogue['ret_codes'][number]
export type EsbMessageQuery = NonNullable<paths['/api/v1/esb/messages']['get']['parameters']['query']>
export type EsbMessagePage = ResponseJson<'/api/v1/esb/messages', 'get', 200>
export type EsbMessage = EsbMessagePage['items'][number]
export type EsbMessageDetail = ResponseJson<'/api/v1/esb/messages/{id}', 'get', 200>

// 通知记录 and 外呼日志 (INT-1, INT-2): the notification outbox and every outbound HTTP attempt.
export type NotificationQuery = NonNullable<paths['/api/v1/system/notifications']['get']['parameters']['query']>
export type NotificationPage = ResponseJson<'/api/v1/system/notifications', 'get', 200>
export type NotificationRow = NotificationPage['items'][number]
export type OutboundQuery = NonNullable<paths['/api/v1/esb/outbound']['get']['parameters']['query']>
export type OutboundPage = ResponseJson<'/api/v1/esb/outbound', 'get', 200>
export type OutboundCall = OutboundPage['items'][number]
export type ProcessKind = ResponseJson<'/api/v1/process-kinds', 'get', 200>[number]

// 客户管理 (issue 17): customers, their masked personal data, points, coupons, campaigns and the import.
export type CustomerQuery = NonNullable<paths['/api/v1/customers']['get']['parameters']['query']>
export type CustomerPage = ResponseJson<'/api/v1/customers', 'get', 200>
export type CustomerRow = CustomerPage['items'][number]
export type CustomerDetail = ResponseJson<'/api/v1/customers/{customer_no}', 'get', 200>
export type CustomerCampaign = CustomerDetail['campaigns'][number]
export type CustomerPersonalData = ResponseJson<'/api/v1/customers/{customer_no}/personal-data', 'get', 200>
export type CustomerCoupons = ResponseJson<'/api/v1/customers/{customer_no}/coupons', 'get', 200>
export type CustomerCoupon = CustomerCoupons['items'][number]
export type PointsHistory = ResponseJson<'/api/v1/customers/{customer_no}/points', 'get', 200>
export type PointsMovement = PointsHistory['items'][number]
export type CustomerImportReport = ResponseJson<'/api/v1/customers/imports', 'post', 200>

// 商户线上入驻 (WF-2): the applicant's page and the reviewers' list and detail.
export type ApplicationView = ResponseJson<'/api/v1/onboarding/applications', 'get', 200>[number]
export type DraftRequest = RequestJson<'/api/v1/onboarding/applications', 'post'>
export type StoreDraft = ApplicationView['stores'][number]
export type BranchOption = ResponseJson<'/api/v1/onboarding/branches', 'get', 200>[number]
export type UploadedFile = ApplicationView['files'][number]
export type ApplicationQuery = NonNullable<paths['/api/v1/merchant-applications']['get']['parameters']['query']>
export type ApplicationPage = ResponseJson<'/api/v1/merchant-applications', 'get', 200>
export type ApplicationRow = ApplicationPage['items'][number]
export type ApplicationDetail = ResponseJson<'/api/v1/merchant-applications/{id}', 'get', 200>

// 积分商城 I: 商品管理, 我的商品, 导航栏/轮播图, 评价审核.
export type ProductRow = ResponseJson<'/api/v1/supplier/products', 'get', 200>[number]
export type ProductDetail = ResponseJson<'/api/v1/supplier/products/{code}', 'get', 200>
export type ProductBody = RequestJson<'/api/v1/supplier/products', 'post'>
export type ListingPending = ResponseJson<'/api/v1/supplier/products/{code}/submission', 'post', 202>
// 积分商城 II: 发货中心.
export type OrderPage = ResponseJson<'/api/v1/mall/supplier-orders', 'get', 200>
export type OrderView = OrderPage['items'][number]
export type SupplierOrder = ResponseJson<'/api/v1/mall/supplier-orders/{order_no}', 'get', 200>
export type BatchShipmentReport = ResponseJson<'/api/v1/mall/supplier-orders/shipments', 'post', 200>
export type CategoryRow = ResponseJson<'/api/v1/mall/categories', 'get', 200>[number]
export type CategoryBody = RequestJson<'/api/v1/mall/categories', 'post'>
export type BannerRow = ResponseJson<'/api/v1/mall/banners', 'get', 200>[number]
export type BannerBody = RequestJson<'/api/v1/mall/banners', 'post'>
export type ReviewRow = ResponseJson<'/api/v1/mall/reviews', 'get', 200>[number]
// 积分规则 and 用户等级管理 (issue 17: BEN-5, BEN-6)
export type PointRulePage = ResponseJson<'/api/v1/points/rules', 'get', 200>
export type PointRule = PointRulePage['items'][number]
export type PointRuleQuery = NonNullable<paths['/api/v1/points/rules']['get']['parameters']['query']>
export type PointRuleDetail = ResponseJson<'/api/v1/points/rules/{id}', 'get', 200>
export type PointRuleVersion = PointRuleDetail['versions'][number]
export type CreatePointRuleRequest = RequestJson<'/api/v1/points/rules', 'post'>
export type UpdatePointRuleRequest = RequestJson<'/api/v1/points/rules/{id}', 'put'>
export type ExchangeRulePage = ResponseJson<'/api/v1/points/exchange-rules', 'get', 200>
export type ExchangeRule = ExchangeRulePage['items'][number]
export type ExchangeRuleQuery = NonNullable<paths['/api/v1/points/exchange-rules']['get']['parameters']['query']>
export type CreateExchangeRuleRequest = RequestJson<'/api/v1/points/exchange-rules', 'post'>
export type UpdateExchangeRuleRequest = RequestJson<'/api/v1/points/exchange-rules/{id}', 'put'>
export type ExchangeQuote = ResponseJson<'/api/v1/points/exchange-rules/{id}/quote', 'get', 200>
export type TierList = ResponseJson<'/api/v1/tiers', 'get', 200>
export type Tier = TierList['items'][number]
export type CreateTierRequest = RequestJson<'/api/v1/tiers', 'post'>
export type UpgradeTaskList = ResponseJson<'/api/v1/upgrade-tasks', 'get', 200>
export type UpgradeTask = UpgradeTaskList['items'][number]
export type CreateUpgradeTaskRequest = RequestJson<'/api/v1/upgrade-tasks', 'post'>
export type CustomerTier = ResponseJson<'/api/v1/customers/{customer_no}/tier', 'get', 200>
export type LedgerAccountPage = ResponseJson<'/api/v1/points/ledger-accounts', 'get', 200>
export type LedgerAccount = LedgerAccountPage['items'][number]
export type PointsDay = ResponseJson<'/api/v1/points/daily', 'get', 200>['items'][number]
export type LedgerAccountQuery = NonNullable<paths['/api/v1/points/ledger-accounts']['get']['parameters']['query']>
export type PointsTransferQuery = NonNullable<paths['/api/v1/points/transfers']['get']['parameters']['query']>
export type PointsTransferPage = ResponseJson<'/api/v1/points/transfers', 'get', 200>
// 巡查 (issue 16, WF-4)
export type InspectionPlan = ResponseJson<'/api/v1/inspection/plans', 'get', 200>[number]
export type InspectionPlanBody = RequestJson<'/api/v1/inspection/plans', 'post'>
export type ChecklistItem = InspectionPlan['checklist'][number]
export type InspectionTaskQuery = NonNullable<paths['/api/v1/inspection/tasks']['get']['parameters']['query']>
export type InspectionTaskPage = ResponseJson<'/api/v1/inspection/tasks', 'get', 200>
export type InspectionTaskRow = InspectionTaskPage['items'][number]
export type InspectionTaskView = ResponseJson<'/api/v1/inspection/tasks/{id}', 'get', 200>
export type InspectionIssueBody = RequestJson<'/api/v1/inspection/tasks', 'post'>
export type InspectionSubmitBody = RequestJson<'/api/v1/inspection/tasks/{id}/submit', 'post'>
export type InspectionAnswer = InspectionSubmitBody['answers'][number]
export type Rectification = ResponseJson<'/api/v1/inspection/rectifications', 'get', 200>[number]
export type UploadedUserFile = ResponseJson<'/api/v1/files', 'post', 201>
export type MerchantRequestView = ResponseJson<'/api/v1/merchant-requests/{id}', 'get', 200>
export type MyApplication = ResponseJson<'/api/v1/merchant/application', 'get', 200>
export type PortalStore = ResponseJson<'/api/v1/merchant/stores', 'get', 200>[number]
export type PortalTemplate = ResponseJson<'/api/v1/merchant/templates', 'get', 200>[number]
