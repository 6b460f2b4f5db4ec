//! Permissions as types: a handler that takes `Authorized<UserCreate>` cannot run, or even read its
//! body, for a user without `system:user:create`. The strings are the `area:entity:action` names
//! roles hold.

use crate::AppState;
use crate::error::ApiError;
use crate::identity::auth::{CurrentUser, actor};
use axum::extract::FromRequestParts;
use axum::extract::{ConnectInfo, OriginalUri};
use axum::http::Method;
use axum::http::request::Parts;
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::identity::User;
use std::marker::PhantomData;
use std::net::SocketAddr;

pub trait Permission {
    const NAME: &'static str;
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $ty:ident = $name:literal, $zh:literal, $en:literal;)*) => {
        $($(#[$doc])* pub struct $ty; impl Permission for $ty { const NAME: &'static str = $name; })*

        /// Every permission the system knows, with its labels: the one list roles may draw from.
        pub const ALL: &[Known] = &[$(Known { name: $name, zh: $zh, en: $en },)*];
    };
}

/// A permission of the catalogue, named in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

permissions! {
    StatusView = "system:status:view", "查看系统状态", "View system status";
    OrgView = "system:org:view", "查看机构", "View orgs";
    OrgCreate = "system:org:create", "新增机构", "Add orgs";
    OrgUpdate = "system:org:update", "修改机构", "Edit orgs";
    UserView = "system:user:view", "查看用户", "View users";
    UserCreate = "system:user:create", "新建用户", "Create users";
    UserResetPassword = "system:user:reset_password", "重置密码", "Reset passwords";
    UserResetTotp = "system:user:reset_totp", "重置动态验证码", "Reset second factors";
    UserUnlock = "system:user:unlock", "解锁账号", "Unlock accounts";
    UserDisable = "system:user:disable", "停用和启用账号", "Disable and enable accounts";
    RoleView = "system:role:view", "查看角色", "View roles";
    RoleGrant = "system:role:grant", "授予和收回角色", "Grant and revoke roles";
    RoleCreate = "system:role:create", "新建角色", "Create roles";
    RoleUpdate = "system:role:update", "修改角色", "Edit roles";
    MenuView = "system:menu:view", "查看菜单", "View menus";
    MenuUpdate = "system:menu:update", "修改菜单", "Edit menus";
    LogView = "system:log:view", "查看登录日志和批量日志", "View the sign-in and batch logs";
    LogExport = "system:log:export", "导出日志", "Export logs";
    AuditView = "system:audit:view", "查看操作日志", "View the operation log";
    ParameterView = "system:parameter:view", "查看参数", "View parameters";
    ParameterUpdate = "system:parameter:update", "修改参数", "Edit parameters";
    DictionaryUpdate = "system:dictionary:update", "维护码值", "Edit code lists";
    /// 通知记录: the outbox of e-mail, SMS, WeChat and ESB notices, recipients masked.
    NotificationView = "system:notification:view", "查看通知记录", "View the notifications sent";
    /// SEC-6: see staff contact details unmasked (each time audited).
    UserUnmask = "pii:user:unmask", "查看完整联系方式", "See staff contact details unmasked";
    /// SEC-6: see a customer's personal data unmasked (each time audited).
    CustomerUnmask = "pii:customer:unmask", "查看客户完整个人信息", "See customers' personal data unmasked";
    /// See an applicant's ID number, phones and account number whole (each time audited).
    MerchantUnmask = "pii:merchant:unmask", "查看入驻申请完整个人信息", "See merchant applicants' personal data unmasked";
    TemplateView = "benefit:template:view", "查看优惠券", "View coupon templates";
    TemplateCreate = "benefit:template:create", "新建优惠券", "Create coupon templates";
    TemplateUpdate = "benefit:template:update", "编辑、上架和下架优惠券", "Edit, activate and withdraw templates";
    StockView = "benefit:stock:view", "查看库存和库存变动", "View stock and its movements";
    StockUpdate = "benefit:stock:update", "增加和收回库存", "Add and withdraw stock";
    CouponView = "benefit:coupon:view", "查看发放明细", "View coupons handed out";
    CouponExport = "benefit:coupon:export", "导出发放明细", "Export coupons handed out";
    /// An unused coupon's code is a bearer secret: lists and exports mask it; this reads one
    /// whole, each time audited.
    CouponUnmask = "benefit:coupon:unmask", "查看完整券码", "See unused coupon codes in full";
    CouponWithdraw = "benefit:coupon:withdraw", "收回未使用的券", "Withdraw unused coupons";
    CouponRedeem = "benefit:coupon:redeem", "核销优惠券（商户）", "Redeem coupons (merchants)";
    RedemptionView = "benefit:redemption:view", "查看核销记录", "View redemptions";
    MerchantManage = "benefit:merchant:manage", "维护商户和门店", "Maintain merchants and stores";
    ClientManage = "benefit:client:manage", "维护接入渠道和商户系统", "Maintain channel and merchant-system clients";
    CampaignView = "campaign:campaign:view", "查看营销活动", "View campaigns";
    CampaignCreate = "campaign:campaign:create", "新建营销活动", "Create campaigns";
    CampaignUpdate = "campaign:campaign:update", "编辑活动草稿和名单", "Edit campaign drafts and lists";
    CampaignSubmit = "campaign:campaign:submit", "提交和撤回营销活动", "Submit and withdraw campaigns";
    CampaignOperate = "campaign:campaign:operate", "暂停、恢复、取消、终止和变更活动", "Pause, resume, cancel, terminate and change campaigns";
    DeliveryView = "campaign:delivery:view", "投放查询", "Look up what a channel shows a customer";
    TaskView = "task:task:view", "查看待办任务", "View my tasks";
    TaskApprove = "task:task:approve", "审批和转办任务", "Decide and transfer tasks";
    ProcessView = "process:instance:view", "流程监控", "Monitor processes";
    PolicyView = "process:policy:view", "查看审批策略", "View approval policies";
    PolicyUpdate = "process:policy:update", "修改审批策略", "Edit approval policies";
    EsbConsumerManage = "esb:consumer:manage", "维护 ESB 接入系统和查看服务目录", "Maintain ESB consumers and view the service catalogue";
    EsbLogView = "esb:log:view", "查看 ESB 报文日志", "View the ESB message log";
    /// 外呼日志: every outbound call to the SMS platform, the WeChat robot and the ESB.
    EsbOutboundView = "esb:outbound:view", "查看外呼日志", "View the outbound call log";
    PointsView = "points:account:view", "查看积分余额和流水", "View points balances and history";
    /// 积分流水 as a file (step-up, audited; customers masked).
    PointsExport = "points:account:export", "导出积分流水", "Export points transactions";
    PointsEarn = "points:transfer:earn", "发放积分", "Give points";
    /// 冻结、扣减和解冻: a hold on a customer's points, its capture or its void.
    PointsSpend = "points:transfer:spend", "冻结、扣减和解冻积分", "Hold, capture and void points";
    PointsReverse = "points:transfer:reverse", "冲正积分交易", "Reverse points transactions";
    /// 积分规则: the earning rules and their cost sharing.
    PointsRuleView = "points:rule:view", "查看积分规则", "View points rules";
    PointsRuleManage = "points:rule:manage", "新增、修改、启用和停用积分规则", "Create, edit, enable and disable points rules";
    /// 用户等级管理: 等级体系, 等级权益, 升级任务.
    TierView = "tier:tier:view", "查看等级体系、等级权益和升级任务", "View tiers, tier benefits and upgrade tasks";
    TierManage = "tier:tier:manage", "维护等级体系、等级权益和升级任务", "Maintain tiers, tier benefits and upgrade tasks";
    CustomerView = "customer:customer:view", "查看客户（个人信息脱敏）", "View customers (personal data masked)";
    CustomerImport = "customer:customer:import", "导入客户", "Import customers";
    /// 客户信息变更 over the ESB (`customer.upsert`).
    CustomerUpdate = "customer:customer:update", "新增和变更客户", "Create and change customers";
    /// 商户入驻申请: what the inbox's review task opens.
    MerchantApplicationView = "merchant:application:view", "查看商户入驻申请", "View merchant applications";
    /// `merchant.apply` and `merchant.application.query` over the ESB: a channel applying for an
    /// applicant it verified, and following the application.
    MerchantApplicationApply = "merchant:application:apply", "代申请人提交和查询商户入驻申请", "Submit and follow merchant applications for applicants";
    /// 商户用户: a merchant's administrator manages the cashiers of their own merchant.
    MerchantUserManage = "merchant:user:manage", "管理本商户收银员", "Manage your merchant's cashiers";
    /// 结算账户变更 for a merchant's administrator, of their own merchant.
    SettlementRequest = "merchant:settlement:request", "申请变更本商户结算账户", "Ask to change your merchant's settlement account";
    /// 巡查任务 and 整改 lists and pages, within the data scope.
    InspectionView = "merchant:inspection:view", "查看巡查任务和整改", "View inspections and rectifications";
    /// 巡查计划 (create, edit, pause, delete), tasks issued by hand, one-click disabling.
    InspectionManage = "merchant:inspection:manage", "管理巡查计划和下发巡查任务", "Manage inspection plans and issue tasks";
    InspectionExport = "merchant:inspection:export", "导出巡查任务", "Export inspection tasks";
    /// The inspector's work: fill the checklist, upload photos, submit.
    InspectionExecute = "merchant:inspection:execute", "执行巡查任务", "Carry out inspections";
    /// A merchant's administrator: their merchant's inspection results and rectifications.
    InspectionAnswer = "merchant:inspection:answer", "查看本商户巡查结果并提交整改", "See your merchant's inspections and answer rectifications";
    /// 商户门户: a merchant's administrator sees their own merchant's application, stores and
    /// the coupons it may redeem.
    MerchantPortalView = "merchant:portal:view", "查看本商户入驻申请、门店和可核销权益", "View your merchant's application, stores and coupons to redeem";
    /// 商品管理: every supplier's products, their requests and price history.
    CatalogueView = "product:product:view", "查看商品、类目和轮播图", "View products, categories and banners";
    /// 我的商品: a supplier's users keep their own products.
    ProductSupply = "product:product:supply", "维护本供应商商品", "Keep your supplier's products";
    /// Categories, tags, 导航栏 and 轮播图.
    CatalogueManage = "product:catalogue:manage", "维护类目、标签、导航栏和轮播图", "Maintain categories, tags, navigation and banners";
    /// 评价审核.
    ReviewModerate = "product:review:moderate", "审核商品评价", "Moderate product reviews";
    /// 强制下架: at once, with a reason, audited.
    ProductDelist = "listing:product:delist", "强制下架商品", "Force a product off sale";
}

/// Labels of the first two parts of a permission name (`area`, `area:entity`).
const GROUPS: &[(&str, &str, &str)] = &[
    ("system", "系统管理", "System"),
    ("system:status", "系统状态", "System status"),
    ("system:org", "机构", "Orgs"),
    ("system:user", "用户", "Users"),
    ("system:role", "角色", "Roles"),
    ("system:menu", "菜单", "Menus"),
    ("system:log", "日志", "Logs"),
    ("system:audit", "操作日志", "Operation log"),
    ("system:parameter", "参数", "Parameters"),
    ("system:dictionary", "码值", "Code lists"),
    ("system:notification", "通知记录", "Notifications"),
    ("pii", "个人信息", "Personal data"),
    ("pii:user", "员工联系方式", "Staff contact details"),
    ("pii:customer", "客户个人信息", "Customers' personal data"),
    ("benefit", "权益管理", "Benefits"),
    ("benefit:template", "优惠券", "Coupon templates"),
    ("benefit:stock", "库存", "Stock"),
    ("benefit:coupon", "券", "Coupons"),
    ("benefit:redemption", "核销", "Redemptions"),
    ("benefit:merchant", "商户", "Merchants"),
    ("benefit:client", "接入方", "API clients"),
    ("campaign", "营销中心", "Campaigns"),
    ("campaign:campaign", "营销活动", "Campaigns"),
    ("campaign:delivery", "渠道投放", "Channel delivery"),
    ("task", "待办任务", "Tasks"),
    ("task:task", "任务", "Tasks"),
    ("process", "流程中心", "Processes"),
    ("process:instance", "流程实例", "Process instances"),
    ("process:policy", "审批策略", "Approval policies"),
    ("esb", "接口服务管理", "ESB services"),
    ("esb:consumer", "接入系统", "ESB consumers"),
    ("esb:log", "报文日志", "ESB message log"),
    ("esb:outbound", "外呼日志", "Outbound call log"),
    ("points", "积分", "Points"),
    ("points:account", "积分账户", "Points accounts"),
    ("points:transfer", "积分交易", "Points transactions"),
    ("points:rule", "积分规则", "Points rules"),
    ("tier", "用户等级管理", "Tiers"),
    ("tier:tier", "等级体系", "Tiers"),
    ("customer", "客户管理", "Customers"),
    ("customer:customer", "客户", "Customers"),
    ("merchant", "商户管理", "Merchants"),
    ("merchant:application", "入驻申请", "Merchant applications"),
    ("merchant:user", "商户用户", "Merchant users"),
    ("merchant:settlement", "结算账户", "Settlement account"),
    ("product", "商品管理", "Products"),
    ("product:product", "商品", "Products"),
    (
        "product:catalogue",
        "类目、导航栏和轮播图",
        "Categories, navigation and banners",
    ),
    ("product:review", "商品评价", "Reviews"),
    ("listing", "商品上下架", "Listing"),
    ("listing:product", "强制下架", "Forced delisting"),
    ("merchant:inspection", "巡查", "Inspections"),
    ("merchant:portal", "商户门户", "Merchant portal"),
    (
        "pii:merchant",
        "入驻申请个人信息",
        "Merchant applicants' personal data",
    ),
];

pub fn is_known(name: &str) -> bool {
    ALL.iter().any(|p| p.name == name)
}

/// A node of the permission tree: an area, an entity, or (a leaf) a permission. `key` is the
/// name up to this level (`system`, `system:user`, `system:user:create`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PermissionNode {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    #[schema(no_recursion)]
    pub children: Vec<PermissionNode>,
}

fn group(key: &str) -> PermissionNode {
    let (zh, en) = GROUPS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or((key, key), |(_, zh, en)| (*zh, *en));
    PermissionNode {
        key: key.to_owned(),
        label_zh: zh.to_owned(),
        label_en: en.to_owned(),
        children: Vec::new(),
    }
}

/// The catalogue as a tree (area → entity → action), in the order of [`ALL`].
pub fn tree() -> Vec<PermissionNode> {
    let mut areas: Vec<PermissionNode> = Vec::new();
    for known in ALL {
        let mut parts = known.name.splitn(3, ':');
        let (area, entity) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let area_index = match areas.iter().position(|a| a.key == area) {
            Some(i) => i,
            None => {
                areas.push(group(area));
                areas.len() - 1
            }
        };
        let entities = &mut areas[area_index].children;
        let entity_key = format!("{area}:{entity}");
        let entity_index = match entities.iter().position(|e| e.key == entity_key) {
            Some(i) => i,
            None => {
                entities.push(group(&entity_key));
                entities.len() - 1
            }
        };
        entities[entity_index].children.push(PermissionNode {
            key: known.name.to_owned(),
            label_zh: known.zh.to_owned(),
            label_en: known.en.to_owned(),
            children: Vec::new(),
        });
    }
    areas
}

/// The signed-in user, holding permission `P`; `QY-AUTH-0003` otherwise.
pub struct Authorized<P>(pub User, pub PhantomData<P>);

impl<P: Permission + Send + Sync> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if let Err(refused) = user.require(P::NAME) {
            // A refused attempt to change something is itself on the record.
            if !matches!(parts.method, Method::GET | Method::HEAD) {
                let who = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map_or_else(Entry::default, |peer| actor(&user.0, peer.0));
                let entry = Entry {
                    action: "auth.permission.refused",
                    target: Some(format!("{} {}", parts.method, path(parts))),
                    refused: true,
                    after: Some(serde_json::json!({ "permission": P::NAME })),
                    ..who
                };
                let mut tx = state.pool.begin().await?;
                audit::append(&mut tx, state.clock.now(), entry).await?;
                tx.commit().await?;
            }
            return Err(refused);
        }
        Ok(Authorized(user.0, PhantomData))
    }
}

/// The path as the client sent it (nested routers see it without their prefix).
fn path(parts: &Parts) -> String {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |u| u.0.path().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A permission added to the list without labels for its area and entity fails here.
    #[test]
    fn every_permission_is_well_formed_unique_and_labelled() {
        let mut seen = std::collections::HashSet::new();
        for p in ALL {
            assert!(seen.insert(p.name), "duplicate {}", p.name);
            let parts: Vec<&str> = p.name.split(':').collect();
            assert_eq!(parts.len(), 3, "{}", p.name);
            assert!(!p.zh.is_empty() && !p.en.is_empty());
            for key in [parts[0].to_owned(), format!("{}:{}", parts[0], parts[1])] {
                assert!(
                    GROUPS.iter().any(|(k, _, _)| *k == key),
                    "{key} has no label in GROUPS"
                );
            }
        }
    }

    #[test]
    fn the_tree_holds_every_permission_once_under_its_area_and_entity() {
        let tree = tree();
        let leaves: Vec<&str> = tree
            .iter()
            .flat_map(|a| &a.children)
            .flat_map(|e| {
                assert!(
                    e.key
                        .starts_with(&format!("{}:", e.key.split(':').next().unwrap()))
                );
                &e.children
            })
            .map(|p| p.key.as_str())
            .collect();
        let all: Vec<&str> = ALL.iter().map(|p| p.name).collect();
        assert_eq!(leaves, all);
        let user = &tree[0]
            .children
            .iter()
            .find(|e| e.key == "system:user")
            .unwrap();
        assert_eq!((user.label_zh.as_str(), user.children.len()), ("用户", 6));
    }
}
