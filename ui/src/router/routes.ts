// Route table. Pages under the layout need a session; `meta.permission` must match the permission of the
// page's menu entry (seeded in migrations/20261126000010_system_admin.sql).
import type { RouteRecordRaw } from 'vue-router'
import type { MessageKey } from '@/locales'
import { PERMISSIONS } from './menu'

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key for the document title and the breadcrumb. */
    title?: MessageKey
    /** Reachable without a session. */
    public?: boolean
    /** Permission needed to open the page. */
    permission?: string
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/login/index.vue'),
    meta: { public: true, title: 'login.heading' },
  },
  {
    // 商户线上入驻: the applicant's own page, outside the staff layout (no staff sign-in; a phone proved by SMS).
    path: '/apply',
    name: 'apply',
    component: () => import('@/views/apply/index.vue'),
    meta: { public: true, title: 'menu.apply' },
  },
  {
    path: '/',
    component: () => import('@/layout/index.vue'),
    redirect: '/home',
    children: [
      {
        path: 'home',
        name: 'home',
        component: () => import('@/views/home/index.vue'),
        meta: { title: 'menu.home' },
      },
      {
        path: 'system/users',
        name: 'system-users',
        component: () => import('@/views/system/user/index.vue'),
        meta: { title: 'menu.systemUsers', permission: PERMISSIONS.systemUserView },
      },
      {
        path: 'system/orgs',
        name: 'system-orgs',
        component: () => import('@/views/system/org/index.vue'),
        meta: { title: 'menu.systemOrgs', permission: PERMISSIONS.systemOrgView },
      },
      {
        path: 'system/roles',
        name: 'system-roles',
        component: () => import('@/views/system/role/index.vue'),
        meta: { title: 'menu.systemRoles', permission: PERMISSIONS.systemRoleView },
      },
      {
        path: 'system/menus',
        name: 'system-menus',
        component: () => import('@/views/system/menu/index.vue'),
        meta: { title: 'menu.systemMenus', permission: PERMISSIONS.systemMenuView },
      },
      {
        path: 'system/parameters',
        name: 'system-parameters',
        component: () => import('@/views/system/parameter/index.vue'),
        meta: { title: 'menu.systemParameters', permission: PERMISSIONS.systemParameterView },
      },
      {
        // Any signed-in user may read the code lists (the menu entry has no permission either).
        path: 'system/dictionaries',
        name: 'system-dictionaries',
        component: () => import('@/views/system/dictionary/index.vue'),
        meta: { title: 'menu.systemDictionaries' },
      },
      {
        path: 'system/login-log',
        name: 'system-login-log',
        component: () => import('@/views/system/login-log/index.vue'),
        meta: { title: 'menu.systemLoginLog', permission: PERMISSIONS.systemLogView },
      },
      {
        path: 'system/audit-log',
        name: 'system-audit-log',
        component: () => import('@/views/system/audit-log/index.vue'),
        meta: { title: 'menu.systemAuditLog', permission: PERMISSIONS.systemAuditView },
      },
      {
        path: 'system/batch-log',
        name: 'system-batch-log',
        component: () => import('@/views/system/batch-log/index.vue'),
        meta: { title: 'menu.systemBatchLog', permission: PERMISSIONS.systemLogView },
      },
      {
        // 通知记录 (INT-1); ?workflow_id=<id> opens it filtered to one process.
        path: 'system/notifications',
        name: 'system-notifications',
        component: () => import('@/views/system/notifications/index.vue'),
        meta: { title: 'menu.systemNotifications', permission: PERMISSIONS.systemNotificationView },
      },
      {
        path: 'system/status',
        name: 'system-status',
        component: () => import('@/views/system/status/index.vue'),
        meta: { title: 'menu.systemStatus', permission: PERMISSIONS.systemStatus },
      },
      {
        path: 'benefit/templates',
        name: 'benefit-templates',
        component: () => import('@/views/benefits/template/index.vue'),
        meta: { title: 'menu.benefitTemplates', permission: PERMISSIONS.benefitTemplateView },
      },
      {
        // ?code=<template code> opens that template's movements.
        path: 'benefit/stock',
        name: 'benefit-stock',
        component: () => import('@/views/benefits/stock/index.vue'),
        meta: { title: 'menu.benefitStock', permission: PERMISSIONS.benefitStockView },
      },
      {
        path: 'benefit/coupons',
        name: 'benefit-coupons',
        component: () => import('@/views/benefits/coupon/index.vue'),
        meta: { title: 'menu.benefitCoupons', permission: PERMISSIONS.benefitCouponView },
      },
      {
        path: 'benefit/redemptions',
        name: 'benefit-redemptions',
        component: () => import('@/views/benefits/redemption/index.vue'),
        meta: { title: 'menu.benefitRedemptions', permission: PERMISSIONS.benefitRedemptionView },
      },
      {
        // A merchant cashier's till page.
        path: 'benefit/redeem',
        name: 'benefit-redeem',
        component: () => import('@/views/benefits/redeem/index.vue'),
        meta: { title: 'menu.benefitRedeem', permission: PERMISSIONS.benefitCouponRedeem },
      },
      {
        path: 'merchant/list',
        name: 'merchant-list',
        component: () => import('@/views/merchant/list/index.vue'),
        meta: { title: 'menu.merchantList', permission: PERMISSIONS.benefitMerchantManage },
      },
      {
        // 商户入驻申请: the reviewers' list; ?state=&org_code= open it filtered.
        path: 'merchant/applications',
        name: 'merchant-applications',
        component: () => import('@/views/merchant/applications/index.vue'),
        meta: { title: 'menu.merchantApplications', permission: PERMISSIONS.merchantApplicationView },
      },
      {
        // An application as reviewers see it, from the list or from its task in the inbox.
        path: 'merchant/applications/:id',
        name: 'merchant-application-detail',
        component: () => import('@/views/merchant/applications/detail.vue'),
        props: true,
        meta: { title: 'menu.merchantApplicationDetail', permission: PERMISSIONS.merchantApplicationView },
      },
      {
        path: 'mall/product/list',
        name: 'mall-products',
        component: () => import('@/views/mall/products/index.vue'),
        meta: { title: 'menu.mallProducts', permission: PERMISSIONS.productView },
      },
      {
        path: 'mall/product/categories',
        name: 'mall-categories',
        component: () => import('@/views/mall/categories/index.vue'),
        meta: { title: 'menu.mallCategories', permission: PERMISSIONS.productView },
      },
      {
        path: 'mall/product/reviews',
        name: 'mall-reviews',
        component: () => import('@/views/mall/reviews/index.vue'),
        meta: { title: 'menu.mallReviews', permission: PERMISSIONS.reviewModerate },
      },
      {
        path: 'mall/banner',
        name: 'mall-banners',
        component: () => import('@/views/mall/banners/index.vue'),
        meta: { title: 'menu.mallBanners', permission: PERMISSIONS.productView },
      },
      {
        // A supplier's own products (a merchant user of a supplier).
        path: 'mall/my-products',
        name: 'mall-my-products',
        component: () => import('@/views/mall/my-products/index.vue'),
        meta: { title: 'menu.mallMyProducts', permission: PERMISSIONS.productSupply },
      },
      {
        // 发货中心: a supplier's orders, shipped from here.
        path: 'mall/fulfilment',
        name: 'mall-fulfilment',
        component: () => import('@/views/mall/fulfilment/index.vue'),
        meta: { title: 'menu.mallFulfilment', permission: PERMISSIONS.productSupply },
      },
      {
        // A merchant's 停用/启用 or 结算账户变更 request as its approver sees it, from its task in the inbox.
        path: 'merchant/requests/:id',
        name: 'merchant-request-detail',
        component: () => import('@/views/merchant/requests/detail.vue'),
        props: true,
        meta: { title: 'menu.merchantRequestDetail', permission: PERMISSIONS.taskView },
      },
      {
        // 商户门户: the merchant's onboarding application and its history, read-only.
        path: 'merchant/portal/application',
        name: 'merchant-portal-application',
        component: () => import('@/views/merchant/portal/application.vue'),
        meta: { title: 'menu.merchantPortalApplication', permission: PERMISSIONS.merchantPortalView },
      },
      {
        path: 'merchant/portal/stores',
        name: 'merchant-portal-stores',
        component: () => import('@/views/merchant/portal/stores.vue'),
        meta: { title: 'menu.merchantPortalStores', permission: PERMISSIONS.merchantPortalView },
      },
      {
        // The coupon templates the merchant may redeem.
        path: 'merchant/portal/benefits',
        name: 'merchant-portal-benefits',
        component: () => import('@/views/merchant/portal/benefits.vue'),
        meta: { title: 'menu.merchantPortalBenefits', permission: PERMISSIONS.merchantPortalView },
      },
      {
        // A merchant administrator's cashiers.
        path: 'merchant/users',
        name: 'merchant-users',
        component: () => import('@/views/merchant/users/index.vue'),
        meta: { title: 'menu.merchantUsers', permission: PERMISSIONS.merchantUserManage },
      },
      {
        // 巡查计划: plans with their checklists, each kept with its Temporal Schedule.
        path: 'merchant/inspection-plans',
        name: 'inspection-plans',
        component: () => import('@/views/merchant/inspection/plans.vue'),
        meta: { title: 'menu.inspectionPlans', permission: PERMISSIONS.inspectionManage },
      },
      {
        // 巡查任务: the list (?status=&overdue=true&mine=true open it filtered).
        path: 'merchant/inspection-tasks',
        name: 'inspection-tasks',
        component: () => import('@/views/merchant/inspection/tasks.vue'),
        meta: { title: 'menu.inspectionTasks', permission: PERMISSIONS.inspectionView },
      },
      {
        // One task: the inspector's checklist (phone-sized too), staff decisions, rectifications.
        path: 'merchant/inspection-tasks/:id',
        name: 'inspection-task',
        component: () => import('@/views/merchant/inspection/task.vue'),
        props: true,
        meta: { title: 'menu.inspectionTask', permission: PERMISSIONS.inspectionView },
      },
      {
        path: 'merchant/rectifications',
        name: 'inspection-rectifications',
        component: () => import('@/views/merchant/inspection/rectifications.vue'),
        meta: { title: 'menu.inspectionRectifications', permission: PERMISSIONS.inspectionView },
      },
      {
        // The merchant portal: its own results and rectifications.
        path: 'merchant/my-inspections',
        name: 'merchant-inspections',
        component: () => import('@/views/merchant/inspection/mine.vue'),
        meta: { title: 'menu.merchantInspections', permission: PERMISSIONS.inspectionAnswer },
      },
      {
        path: 'merchant/my-inspections/:id',
        name: 'merchant-inspection',
        component: () => import('@/views/merchant/inspection/task.vue'),
        props: (route) => ({ id: route.params.id, mine: true }),
        meta: { title: 'menu.merchantInspection', permission: PERMISSIONS.inspectionAnswer },
      },
      {
        path: 'campaign/list',
        name: 'campaign-list',
        component: () => import('@/views/campaign/list/index.vue'),
        meta: { title: 'menu.campaignList', permission: PERMISSIONS.campaignView },
      },
      {
        path: 'campaign/new',
        name: 'campaign-new',
        component: () => import('@/views/campaign/form/index.vue'),
        meta: { title: 'menu.campaignNew', permission: PERMISSIONS.campaignCreate },
      },
      {
        path: 'campaign/:id/edit',
        name: 'campaign-edit',
        component: () => import('@/views/campaign/form/index.vue'),
        props: true,
        meta: { title: 'menu.campaignEdit', permission: PERMISSIONS.campaignUpdate },
      },
      {
        // 投放查询 (MKT-8): what a channel shows a customer now.
        path: 'campaign/delivery',
        name: 'campaign-delivery',
        component: () => import('@/views/campaign/delivery/index.vue'),
        meta: { title: 'menu.campaignDelivery', permission: PERMISSIONS.campaignDeliveryView },
      },
      {
        // 营销活动审核: the inbox, filtered to campaign approvals.
        path: 'campaign/review',
        name: 'campaign-review',
        component: () => import('@/views/process/task/index.vue'),
        props: { processType: 'campaign' },
        meta: { title: 'menu.campaignReview', permission: PERMISSIONS.taskView },
      },
      {
        path: 'campaign/:id',
        name: 'campaign-detail',
        component: () => import('@/views/campaign/detail/index.vue'),
        props: true,
        meta: { title: 'menu.campaignDetail', permission: PERMISSIONS.campaignView },
      },
      {
        // ?tab=todo|done|mine
        path: 'tasks',
        name: 'process-tasks',
        component: () => import('@/views/process/task/index.vue'),
        meta: { title: 'menu.processTasks', permission: PERMISSIONS.taskView },
      },
      {
        path: 'processes',
        name: 'process-monitor',
        component: () => import('@/views/process/monitor/index.vue'),
        meta: { title: 'menu.processMonitor', permission: PERMISSIONS.processView },
      },
      {
        path: 'processes/policies',
        name: 'process-policies',
        component: () => import('@/views/process/policy/index.vue'),
        meta: { title: 'menu.processPolicies', permission: PERMISSIONS.policyView },
      },
      {
        path: 'processes/:workflowId',
        name: 'process-detail',
        component: () => import('@/views/process/monitor/detail.vue'),
        props: true,
        meta: { title: 'menu.processDetail', permission: PERMISSIONS.processView },
      },
      {
        path: 'esb/consumers',
        name: 'esb-consumers',
        component: () => import('@/views/esb/consumer/index.vue'),
        meta: { title: 'menu.esbConsumers', permission: PERMISSIONS.esbConsumerManage },
      },
      {
        path: 'esb/services',
        name: 'esb-services',
        component: () => import('@/views/esb/service/index.vue'),
        meta: { title: 'menu.esbServices', permission: PERMISSIONS.esbConsumerManage },
      },
      {
        path: 'esb/messages',
        name: 'esb-messages',
        component: () => import('@/views/esb/message/index.vue'),
        meta: { title: 'menu.esbMessages', permission: PERMISSIONS.esbLogView },
      },
      {
        // 外呼日志 (INT-2); ?notification_id=<id> opens the calls of one notice (from 通知记录).
        path: 'esb/outbound',
        name: 'esb-outbound',
        component: () => import('@/views/esb/outbound/index.vue'),
        meta: { title: 'menu.esbOutbound', permission: PERMISSIONS.esbOutboundView },
      },
      {
        path: 'customer/list',
        name: 'customer-list',
        component: () => import('@/views/customer/list/index.vue'),
        meta: { title: 'menu.customerList', permission: PERMISSIONS.customerView },
      },
      {
        // 积分规则 (BEN-5): the earning rules and their cost sharing.
        path: 'points/rules',
        name: 'points-rules',
        component: () => import('@/views/points/rule/index.vue'),
        meta: { title: 'menu.pointsRules', permission: PERMISSIONS.pointsRuleView },
      },
      {
        // 积分账户: the ledger's points accounts and the points issued, spent and expired by day.
        path: 'points/accounts',
        name: 'points-accounts',
        component: () => import('@/views/points/account/index.vue'),
        meta: { title: 'menu.pointsAccounts', permission: PERMISSIONS.pointsView },
      },
      {
        // 等级体系 with 等级权益 (BEN-6).
        path: 'tier/levels',
        name: 'tier-levels',
        component: () => import('@/views/tier/level/index.vue'),
        meta: { title: 'menu.tierLevels', permission: PERMISSIONS.tierView },
      },
      {
        // 升级任务 (BEN-6).
        path: 'tier/tasks',
        name: 'tier-tasks',
        component: () => import('@/views/tier/task/index.vue'),
        meta: { title: 'menu.tierTasks', permission: PERMISSIONS.tierView },
      },
      {
        // A customer's page: masked profile (显示 by permission), points, coupons, campaigns.
        path: 'customer/:customerNo',
        name: 'customer-detail',
        component: () => import('@/views/customer/detail/index.vue'),
        props: true,
        meta: { title: 'menu.customerDetail', permission: PERMISSIONS.customerView },
      },
      {
        // From the user menu; the only page open while the password must be changed (then without the menu).
        path: 'password',
        name: 'password',
        component: () => import('@/views/identity/password/index.vue'),
        meta: { title: 'password.title' },
      },
      {
        // The only page open while a role requires a second factor the user has not set up (no side menu).
        path: 'account/totp-enrol',
        name: 'totp-enrol',
        component: () => import('@/views/identity/totp-enrol/index.vue'),
        meta: { title: 'totp.enrolTitle' },
      },
      {
        // 个人中心, from the user menu.
        path: 'account/profile',
        name: 'profile',
        component: () => import('@/views/identity/profile/index.vue'),
        meta: { title: 'profile.title' },
      },
      {
        path: 'forbidden',
        name: 'forbidden',
        component: () => import('@/views/error/forbidden/index.vue'),
        meta: { title: 'error.forbidden' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/error/not-found/index.vue'),
        meta: { title: 'error.notFound' },
      },
    ],
  },
]
