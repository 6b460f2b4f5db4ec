// The side menu is server data (GET /api/v1/auth/menus, maintained on 菜单管理): the server sends only the
// visible entries whose permission the user holds, and a group only when an entry below it is left. The
// UI adds what is its own, by the entry's key: the icon, and the home page card's description.
import {
  Avatar,
  Bell,
  Box,
  Calendar,
  ChatDotRound,
  Checked,
  Coin,
  Collection,
  Connection,
  Document,
  DocumentChecked,
  Finished,
  Goods,
  Histogram,
  House,
  Iphone,
  Link,
  List,
  Medal,
  Memo,
  Menu,
  Message,
  Monitor,
  OfficeBuilding,
  Operation,
  Picture,
  Position,
  Present,
  Promotion,
  Setting,
  SetUp,
  Share,
  Shop,
  ShoppingBag,
  Stamp,
  Ticket,
  Tickets,
  Timer,
  Tools,
  TrendCharts,
  Trophy,
  User,
  UserFilled,
  Van,
  View,
  Wallet,
} from '@element-plus/icons-vue'
import type { Component } from 'vue'
import type { MenuNode } from '@/api/types'
import type { AppLocale, MessageKey } from '@/locales'

/** Permission strings the UI checks; the server grants them in `User.permissions`. */
export const PERMISSIONS = {
  systemStatus: 'system:status:view',
  systemOrgView: 'system:org:view',
  systemOrgCreate: 'system:org:create',
  systemOrgUpdate: 'system:org:update',
  systemUserView: 'system:user:view',
  systemUserCreate: 'system:user:create',
  systemUserResetPassword: 'system:user:reset_password',
  systemUserUnlock: 'system:user:unlock',
  systemUserResetTotp: 'system:user:reset_totp',
  piiUserUnmask: 'pii:user:unmask',
  systemRoleView: 'system:role:view',
  systemRoleGrant: 'system:role:grant',
  systemRoleCreate: 'system:role:create',
  systemRoleUpdate: 'system:role:update',
  systemMenuView: 'system:menu:view',
  systemMenuUpdate: 'system:menu:update',
  systemLogView: 'system:log:view',
  systemAuditView: 'system:audit:view',
  systemNotificationView: 'system:notification:view',
  systemLogExport: 'system:log:export',
  systemParameterView: 'system:parameter:view',
  systemParameterUpdate: 'system:parameter:update',
  systemDictionaryUpdate: 'system:dictionary:update',
  benefitTemplateView: 'benefit:template:view',
  benefitTemplateCreate: 'benefit:template:create',
  benefitTemplateUpdate: 'benefit:template:update',
  benefitStockView: 'benefit:stock:view',
  benefitStockUpdate: 'benefit:stock:update',
  benefitCouponView: 'benefit:coupon:view',
  benefitCouponWithdraw: 'benefit:coupon:withdraw',
  benefitCouponExport: 'benefit:coupon:export',
  benefitCouponUnmask: 'benefit:coupon:unmask',
  benefitCouponRedeem: 'benefit:coupon:redeem',
  benefitRedemptionView: 'benefit:redemption:view',
  benefitMerchantManage: 'benefit:merchant:manage',
  merchantUserManage: 'merchant:user:manage',
  merchantSettlementRequest: 'merchant:settlement:request',
  merchantPortalView: 'merchant:portal:view',
  campaignView: 'campaign:campaign:view',
  campaignCreate: 'campaign:campaign:create',
  campaignUpdate: 'campaign:campaign:update',
  campaignSubmit: 'campaign:campaign:submit',
  campaignOperate: 'campaign:campaign:operate',
  campaignDeliveryView: 'campaign:delivery:view',
  taskView: 'task:task:view',
  taskApprove: 'task:task:approve',
  processView: 'process:instance:view',
  policyView: 'process:policy:view',
  policyUpdate: 'process:policy:update',
  esbConsumerManage: 'esb:consumer:manage',
  esbLogView: 'esb:log:view',
  esbOutboundView: 'esb:outbound:view',
  customerView: 'customer:customer:view',
  customerImport: 'customer:customer:import',
  customerUnmask: 'pii:customer:unmask',
  merchantApplicationView: 'merchant:application:view',
  merchantUnmask: 'pii:merchant:unmask',
  productView: 'product:product:view',
  productSupply: 'product:product:supply',
  catalogueManage: 'product:catalogue:manage',
  reviewModerate: 'product:review:moderate',
  productDelist: 'listing:product:delist',
  pointsView: 'points:account:view',
  pointsExport: 'points:account:export',
  pointsRuleView: 'points:rule:view',
  pointsRuleManage: 'points:rule:manage',
  tierView: 'tier:tier:view',
  tierManage: 'tier:tier:manage',
  inspectionView: 'merchant:inspection:view',
  inspectionManage: 'merchant:inspection:manage',
  inspectionExport: 'merchant:inspection:export',
  inspectionExecute: 'merchant:inspection:execute',
  inspectionAnswer: 'merchant:inspection:answer',
} as const

/** A side-menu entry as the UI draws it. */
export interface MenuItem {
  /** The server's stable key, also used for `data-testid="menu-<key>"`. */
  key: string
  /** The server's title in the current language. */
  title: string
  icon?: Component
  /** Route path of a page entry; groups have children instead. */
  route?: string
  /** Short description shown on the home page's feature cards. */
  description?: MessageKey
  children?: MenuItem[]
}

/** Icons by menu key; an entry the UI has no icon for is drawn without one. */
export const MENU_ICONS: Readonly<Record<string, Component>> = {
  home: House,
  system: Setting,
  'system-users': User,
  'system-orgs': OfficeBuilding,
  'system-roles': Stamp,
  'system-menus': Menu,
  'system-parameters': SetUp,
  'system-dictionaries': Collection,
  'system-login-log': Tickets,
  'system-audit-log': Memo,
  'system-batch-log': Timer,
  'system-notifications': ChatDotRound,
  'system-status': Monitor,
  benefit: Present,
  'benefit-templates': Ticket,
  'benefit-stock': TrendCharts,
  'benefit-coupons': Document,
  'benefit-redemptions': Finished,
  'benefit-redeem': Goods,
  merchant: Shop,
  'merchant-list': OfficeBuilding,
  'merchant-applications': DocumentChecked,
  'merchant-users': User,
  'inspection-plans': Calendar,
  'inspection-tasks': Checked,
  'inspection-rectifications': Tools,
  'merchant-inspections': Histogram,
  'merchant-portal': Shop,
  'merchant-portal-application': DocumentChecked,
  'merchant-portal-stores': OfficeBuilding,
  'merchant-portal-benefits': Ticket,
  'merchant-portal-redeem': Goods,
  'merchant-portal-redemptions': Finished,
  process: Connection,
  'process-tasks': Bell,
  'process-monitor': View,
  'process-policies': Operation,
  campaign: Promotion,
  'campaign-list': Tickets,
  'campaign-review': Checked,
  'campaign-delivery': Iphone,
  esb: Share,
  'esb-consumers': Link,
  'esb-services': List,
  'esb-messages': Message,
  'esb-outbound': Position,
  customer: UserFilled,
  'customer-list': Avatar,
  mall: Goods,
  'mall-products': ShoppingBag,
  'mall-categories': Collection,
  'mall-reviews': ChatDotRound,
  'mall-banners': Picture,
  'mall-my-products': Box,
  'mall-fulfilment': Van,
  points: Coin,
  'points-rules': Operation,
  'points-accounts': Wallet,
  tier: Medal,
  'tier-levels': Trophy,
  'tier-tasks': Finished,
}

/** The home page's card text by menu key. */
export const MENU_DESCRIPTIONS: Readonly<Record<string, MessageKey>> = {
  'system-users': 'home.entry.systemUsers',
  'system-orgs': 'home.entry.systemOrgs',
  'system-roles': 'home.entry.systemRoles',
  'system-menus': 'home.entry.systemMenus',
  'system-parameters': 'home.entry.systemParameters',
  'system-dictionaries': 'home.entry.systemDictionaries',
  'system-login-log': 'home.entry.systemLoginLog',
  'system-audit-log': 'home.entry.systemAuditLog',
  'system-batch-log': 'home.entry.systemBatchLog',
  'system-notifications': 'home.entry.systemNotifications',
  'system-status': 'home.entry.systemStatus',
  'benefit-templates': 'home.entry.benefitTemplates',
  'benefit-stock': 'home.entry.benefitStock',
  'benefit-coupons': 'home.entry.benefitCoupons',
  'benefit-redemptions': 'home.entry.benefitRedemptions',
  'benefit-redeem': 'home.entry.benefitRedeem',
  'merchant-list': 'home.entry.merchantList',
  'merchant-applications': 'home.entry.merchantApplications',
  'merchant-users': 'home.entry.merchantUsers',
  'inspection-plans': 'home.entry.inspectionPlans',
  'inspection-tasks': 'home.entry.inspectionTasks',
  'inspection-rectifications': 'home.entry.inspectionRectifications',
  'merchant-inspections': 'home.entry.merchantInspections',
  'merchant-portal-application': 'home.entry.merchantPortalApplication',
  'merchant-portal-stores': 'home.entry.merchantPortalStores',
  'merchant-portal-benefits': 'home.entry.merchantPortalBenefits',
  'merchant-portal-redeem': 'home.entry.benefitRedeem',
  'merchant-portal-redemptions': 'home.entry.merchantPortalRedemptions',
  'campaign-list': 'home.entry.campaignList',
  'campaign-review': 'home.entry.campaignReview',
  'campaign-delivery': 'home.entry.campaignDelivery',
  'process-tasks': 'home.entry.processTasks',
  'process-monitor': 'home.entry.processMonitor',
  'process-policies': 'home.entry.processPolicies',
  'esb-consumers': 'home.entry.esbConsumers',
  'esb-services': 'home.entry.esbServices',
  'esb-messages': 'home.entry.esbMessages',
  'esb-outbound': 'home.entry.esbOutbound',
  'customer-list': 'home.entry.customerList',
  'mall-products': 'home.entry.mallProducts',
  'mall-categories': 'home.entry.mallCategories',
  'mall-reviews': 'home.entry.mallReviews',
  'mall-banners': 'home.entry.mallBanners',
  'mall-my-products': 'home.entry.mallMyProducts',
  'mall-fulfilment': 'home.entry.mallFulfilment',
  'points-rules': 'home.entry.pointsRules',
  'points-accounts': 'home.entry.pointsAccounts',
  'tier-levels': 'home.entry.tierLevels',
  'tier-tasks': 'home.entry.tierTasks',
}

function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined
}

/** The server's menu tree as side-menu entries in `locale`: menus only (buttons are not menu entries). */
export function toMenuItems(nodes: readonly MenuNode[], locale: AppLocale): MenuItem[] {
  return nodes
    .filter((node) => node.kind === 'menu')
    .map((node) => {
      const item: MenuItem = { key: node.key, title: locale === 'en' ? node.title_en : node.title_zh }
      const icon = own(MENU_ICONS, node.key)
      const description = own(MENU_DESCRIPTIONS, node.key)
      if (icon) item.icon = icon
      if (description) item.description = description
      if (node.route) item.route = node.route
      else item.children = toMenuItems(node.children, locale)
      return item
    })
}

/** Page entries (leaves) of a menu tree, depth first. */
export function menuLeaves(items: readonly MenuItem[]): MenuItem[] {
  return items.flatMap((item) => (item.children ? menuLeaves(item.children) : [item]))
}

/** The chain of entries from the top down to the entry for `path`, or [] when it is not in the menu. */
export function menuTrail(items: readonly MenuItem[], path: string): MenuItem[] {
  for (const item of items) {
    if (item.route === path) return [item]
    if (item.children) {
      const sub = menuTrail(item.children, path)
      if (sub.length > 0) return [item, ...sub]
    }
  }
  return []
}
