//! 操作日志's words: every audit action with its zh-CN and English name, and the names of the
//! fields its before/after data carry — one catalogue, as the error codes have theirs, served to
//! the UI (`GET /api/v1/system/audit-actions`) so the auditor reads the bank's words, not codes.
//! A test walks the source: an action written anywhere without a name here fails it.

use serde::Serialize;

/// An audit action and its names.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ActionLabel {
    /// `area.entity.verb`, as the log stores it.
    #[schema(value_type = String)]
    pub code: &'static str,
    #[schema(value_type = String)]
    pub label_zh: &'static str,
    #[schema(value_type = String)]
    pub label_en: &'static str,
}

const fn a(code: &'static str, label_zh: &'static str, label_en: &'static str) -> ActionLabel {
    ActionLabel {
        code,
        label_zh,
        label_en,
    }
}

/// Every action the code writes, by area, in the order the 操作 filter offers them.
pub const ACTIONS: &[ActionLabel] = &[
    a("auth.session.login", "登录", "Sign in"),
    a("auth.session.logout", "退出登录", "Sign out"),
    a("auth.session.reauth", "重新验证身份", "Re-authenticate"),
    a("auth.password.change", "修改密码", "Change password"),
    a("auth.totp.enrol", "绑定动态口令", "Enrol one-time codes"),
    a("auth.totp.verify", "验证动态口令", "Verify a one-time code"),
    a(
        "auth.totp.disable",
        "停用动态口令",
        "Turn off one-time codes",
    ),
    a("auth.permission.refused", "越权访问被拒", "Access refused"),
    a("system.user.create", "新增用户", "Create user"),
    a("system.user.enable", "启用用户", "Enable user"),
    a("system.user.disable", "停用用户", "Disable user"),
    a("system.user.reset_password", "重置密码", "Reset password"),
    a(
        "system.user.reset_totp",
        "重置动态口令",
        "Reset one-time codes",
    ),
    a("system.user.grant_role", "授予角色", "Grant role"),
    a("system.user.revoke_role", "撤销角色", "Revoke role"),
    a("system.user.unlock", "解锁用户", "Unlock user"),
    a("system.role.create", "新增角色", "Create role"),
    a("system.role.update", "修改角色", "Edit role"),
    a("system.org.create", "新增机构", "Create organisation"),
    a("system.org.update", "修改机构", "Edit organisation"),
    a("system.menu.update", "修改菜单", "Edit menu"),
    a("system.dictionary.put", "维护码值", "Edit dictionary"),
    a("system.parameter.read", "查看参数", "Read parameter"),
    a("system.parameter.update", "修改参数", "Edit parameter"),
    a("system.log.export", "导出日志", "Export log"),
    a("process.action.take", "流程办理", "Process action"),
    a(
        "process.policy.update",
        "修改审批策略",
        "Edit approval policy",
    ),
    a(
        "campaign.campaign.create",
        "新建营销活动",
        "Create campaign",
    ),
    a("campaign.campaign.update", "修改营销活动", "Edit campaign"),
    a(
        "campaign.customers.upload",
        "上传活动名单",
        "Upload customer list",
    ),
    a(
        "campaign.campaign.change",
        "活动变更生效",
        "Campaign change applied",
    ),
    a(
        "campaign.delivery.query",
        "活动投放查询",
        "Campaign delivery lookup",
    ),
    a("benefit.template.create", "新增权益", "Create benefit"),
    a("benefit.template.update", "修改权益", "Edit benefit"),
    a(
        "benefit.template.status",
        "权益上下架",
        "Change benefit status",
    ),
    a("benefit.stock.increase", "增加库存", "Add stock"),
    a("benefit.stock.withdraw", "收回库存", "Withdraw stock"),
    a(
        "benefit.stock.request",
        "申请增加库存",
        "Request a stock increase",
    ),
    a(
        "benefit.coupon.withdraw",
        "收回未使用券",
        "Withdraw unused coupons",
    ),
    a(
        "benefit.coupon.unmask",
        "查看完整券码",
        "Read a full coupon code",
    ),
    a("benefit.coupon.export", "导出发放明细", "Export coupons"),
    a(
        "benefit.redemption.export",
        "导出核销记录",
        "Export redemptions",
    ),
    a(
        "benefit.item.create",
        "新增实物奖品",
        "Create physical prize",
    ),
    a("benefit.merchant.create", "新增商户", "Create merchant"),
    a("points.transfer.earn", "积分入账", "Earn points"),
    a("points.transfer.hold", "积分冻结", "Hold points"),
    a(
        "points.transfer.capture",
        "冻结积分扣减",
        "Capture held points",
    ),
    a("points.transfer.void", "积分解冻", "Release held points"),
    a(
        "points.transfer.reverse",
        "积分冲正",
        "Reverse a points transfer",
    ),
    a("points.rule.create", "新增积分规则", "Create points rule"),
    a(
        "points.transfer.export",
        "导出积分流水",
        "Export points transactions",
    ),
    a("points.rule.update", "修改积分规则", "Edit points rule"),
    a("points.rule.enable", "启用积分规则", "Enable points rule"),
    a("points.rule.disable", "停用积分规则", "Disable points rule"),
    a(
        "points.exchange_rule.create",
        "新增积分兑换规则",
        "Create points exchange rule",
    ),
    a(
        "points.exchange_rule.update",
        "修改积分兑换规则",
        "Edit points exchange rule",
    ),
    a(
        "points.exchange_rule.enable",
        "启用积分兑换规则",
        "Enable points exchange rule",
    ),
    a(
        "points.exchange_rule.disable",
        "停用积分兑换规则",
        "Disable points exchange rule",
    ),
    a("tier.tier.create", "新增会员等级", "Create tier"),
    a("tier.tier.update", "修改会员等级", "Edit tier"),
    a("tier.benefit.update", "设置等级权益", "Set tier benefits"),
    a("tier.task.create", "新增升级任务", "Create upgrade task"),
    a("tier.task.enable", "启用升级任务", "Enable upgrade task"),
    a("tier.task.disable", "停用升级任务", "Disable upgrade task"),
    a("customer.customer.import", "导入客户", "Import customers"),
    a(
        "customer.session.open",
        "客户登录积分商城",
        "Customer opens the H5 mall",
    ),
    a(
        "customer.customer.upsert",
        "客户信息变更",
        "Create or change customer",
    ),
    a(
        "pii.customer.unmask",
        "查看客户完整个人信息",
        "See a customer's personal data",
    ),
    a("benefit.merchant.update", "修改商户", "Change merchant"),
    a(
        "benefit.merchant.status_request",
        "申请停用/启用商户",
        "Ask to disable or enable a merchant",
    ),
    a("benefit.merchant.disable", "停用商户", "Disable merchant"),
    a("benefit.merchant.enable", "启用商户", "Enable merchant"),
    a(
        "merchant.settlement.request",
        "申请变更结算账户",
        "Ask to change a settlement account",
    ),
    a(
        "merchant.settlement.change",
        "变更结算账户",
        "Change settlement account",
    ),
    a(
        "merchant.user.create",
        "新增商户收银员",
        "Add merchant cashier",
    ),
    a(
        "merchant.user.enable",
        "启用商户收银员",
        "Enable merchant cashier",
    ),
    a(
        "merchant.user.disable",
        "停用商户收银员",
        "Disable merchant cashier",
    ),
    a(
        "merchant.user.reset_password",
        "重置商户收银员密码",
        "Reset merchant cashier's password",
    ),
    a(
        "merchant.inspection_plan.create",
        "新增巡查计划",
        "Add inspection plan",
    ),
    a(
        "merchant.inspection_plan.update",
        "修改巡查计划",
        "Edit inspection plan",
    ),
    a(
        "merchant.inspection_plan.pause",
        "暂停巡查计划",
        "Pause inspection plan",
    ),
    a(
        "merchant.inspection_plan.resume",
        "恢复巡查计划",
        "Resume inspection plan",
    ),
    a(
        "merchant.inspection_plan.delete",
        "删除巡查计划",
        "Delete inspection plan",
    ),
    a(
        "merchant.inspection.issue",
        "下发巡查任务",
        "Issue inspection task",
    ),
    a(
        "merchant.inspection.export",
        "导出巡查任务",
        "Export inspection tasks",
    ),
    a("benefit.store.create", "新增门店", "Add store"),
    a("benefit.store.update", "修改门店", "Change store"),
    a(
        "benefit.client.register",
        "注册渠道接入方",
        "Register channel client",
    ),
    a(
        "esb.consumer.register",
        "注册 ESB 接入方",
        "Register ESB consumer",
    ),
    a(
        "esb.consumer.update",
        "修改 ESB 接入方",
        "Edit ESB consumer",
    ),
    a(
        "esb.consumer.enable",
        "启用 ESB 接入方",
        "Enable ESB consumer",
    ),
    a(
        "esb.consumer.disable",
        "停用 ESB 接入方",
        "Disable ESB consumer",
    ),
    a("esb.consumer.read", "查看 ESB 接入方", "Read ESB consumer"),
    a(
        "esb.consumer.secret.rotate",
        "更换 ESB 密钥",
        "Rotate ESB secret",
    ),
    a("file.file.upload", "上传文件", "Upload file"),
    a(
        "merchant.application.submit",
        "提交商户入驻申请",
        "Submit merchant application",
    ),
    a(
        "pii.merchant.unmask",
        "查看入驻申请完整个人信息",
        "Unmask merchant application",
    ),
    a(
        "benefit.merchant.supplier",
        "设置供应商",
        "Set or clear the supplier role",
    ),
    a("mall.order.ship", "订单发货", "Ship order"),
    a(
        "mall.order.address.read",
        "查看订单收货地址",
        "Read an order's delivery address",
    ),
    a("mall.product.create", "新建商品", "Create product"),
    a("mall.product.update", "修改商品草稿", "Edit product draft"),
    a("mall.product.delete", "删除商品", "Delete product"),
    a("mall.product.stock", "补充商品库存", "Add product stock"),
    a("mall.product.list", "商品上架", "List product"),
    a(
        "mall.product.revise",
        "商品变更生效",
        "Product revision goes live",
    ),
    a("mall.product.delist", "商品下架", "Delist product"),
    a(
        "mall.product.force_delist",
        "强制下架商品",
        "Force product off sale",
    ),
    a(
        "mall.listing.request",
        "提交商品上架/变更申请",
        "Request a listing or change",
    ),
    a("mall.category.create", "新增商品类目", "Add category"),
    a("mall.category.update", "修改商品类目", "Edit category"),
    a("mall.category.delete", "删除商品类目", "Remove category"),
    a("mall.tag.create", "新增商品标签", "Add tag"),
    a(
        "mall.banner.create",
        "新增导航栏/轮播图",
        "Add navigation or banner",
    ),
    a(
        "mall.banner.update",
        "修改导航栏/轮播图",
        "Edit navigation or banner",
    ),
    a(
        "mall.banner.delete",
        "删除导航栏/轮播图",
        "Remove navigation or banner",
    ),
    a("mall.review.approve", "评价审核通过", "Approve review"),
    a("mall.review.hide", "隐藏评价", "Hide review"),
];

/// The name of a field of an action's before/after data.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct FieldLabel {
    /// The key in the before/after data.
    #[schema(value_type = String)]
    pub name: &'static str,
    #[schema(value_type = String)]
    pub label_zh: &'static str,
    #[schema(value_type = String)]
    pub label_en: &'static str,
}

const fn f(name: &'static str, label_zh: &'static str, label_en: &'static str) -> FieldLabel {
    FieldLabel {
        name,
        label_zh,
        label_en,
    }
}

/// The fields the before/after data carry; one not named here shows by its key.
pub const FIELDS: &[FieldLabel] = &[
    f("action", "操作", "Action"),
    f("content_type", "文件类型", "File type"),
    f("size_bytes", "文件大小（字节）", "Size (bytes)"),
    f("sha256", "文件摘要", "SHA-256"),
    f(
        "owner_application_id",
        "所属入驻申请",
        "Onboarding application",
    ),
    f("comment", "意见", "Comment"),
    f("detail", "详情", "Detail"),
    f("to", "转办给", "Transferred to"),
    f("step", "审批环节", "Step"),
    f("level", "审批级别", "Level"),
    f("username", "用户名", "Username"),
    f("display_name", "姓名", "Name"),
    f("phone", "手机号", "Phone"),
    f("email", "邮箱", "E-mail"),
    f("name", "名称", "Name"),
    f("code", "编号", "Code"),
    f("kind", "类型", "Type"),
    f("status", "状态", "Status"),
    f("enabled", "启用", "Enabled"),
    f("reason", "原因", "Reason"),
    f("quantity", "数量", "Quantity"),
    f("request", "申请编号", "Request number"),
    f("coupons", "券数", "Coupons"),
    f("rows", "行数", "Rows"),
    f("filter", "查询条件", "Filter"),
    f("value", "值", "Value"),
    f("roles", "角色", "Roles"),
    f("permission", "权限", "Permission"),
    f("org_id", "机构", "Organisation"),
    f("sort", "排序", "Order"),
    f("label_zh", "中文名称", "Chinese name"),
    f("label_en", "英文名称", "English name"),
    f("locked_until", "锁定至", "Locked until"),
    f("consecutive_failures", "连续失败次数", "Failures in a row"),
    f(
        "totp_enabled_at",
        "动态口令启用时间",
        "One-time codes since",
    ),
    f("customers", "名单客户数", "Customers"),
    f("accepted", "导入条数", "Accepted"),
    f("channels", "投放渠道", "Channels"),
    f("start_at", "开始时间", "Start"),
    f("end_at", "结束时间", "End"),
    f("budget_fen", "预算", "Budget"),
    f("success_criteria", "成功标准", "Success criteria"),
    f("description", "活动说明", "Description"),
    f("rules", "权益规则", "Benefit rules"),
    f("delivery", "投放设置", "Delivery"),
    f("priority", "优先级", "Priority"),
    f("entry_title", "入口标题", "Entry title"),
    f("entry_image_url", "入口图片", "Entry image"),
    f("entry_link", "入口链接", "Entry link"),
    f("benefit_summary", "权益摘要", "Benefit summary"),
    f("frequency_cap", "每日展示上限", "Daily cap"),
    f("item_code", "实物奖品", "Prize"),
    f("face_value", "面额（分）", "Face value (fen)"),
    f("threshold", "使用门槛（分）", "Threshold (fen)"),
    f("discount_permille", "折扣（‰）", "Discount (per mille)"),
    f("claim_from", "领取开始", "Claim from"),
    f("claim_to", "领取结束", "Claim to"),
    f("valid_from", "有效期开始", "Valid from"),
    f("valid_to", "有效期结束", "Valid to"),
    f("valid_days", "有效天数", "Valid days"),
    f("initial_stock", "初始库存", "Initial stock"),
    f("shards", "库存分片", "Stock shards"),
    f("limit_per_day", "每日限领", "Limit a day"),
    f("limit_total", "每人限领", "Limit a customer"),
    f("limit_per_campaign", "每活动限领", "Limit a campaign"),
    f(
        "limit_per_merchant_day",
        "每商户每日限核销",
        "Limit a merchant a day",
    ),
    f("merchant_codes", "适用商户", "Merchants"),
    f("stores", "门店", "Stores"),
    f("levels", "审批层级", "Levels"),
    f("workflow_id", "流程", "Process"),
    f("fields", "查看的字段", "Fields seen"),
    f("changed", "变更的字段", "Fields changed"),
    f("outcome", "结果", "Outcome"),
    f("batch_run_id", "批量日志编号", "Batch run"),
    f("total_rows", "总行数", "Rows read"),
    f("inserted", "新增", "Inserted"),
    f("updated", "更新", "Updated"),
    f("unchanged", "未变化", "Unchanged"),
    f("rejected", "拒绝", "Rejected"),
    f("supplier", "供应商", "Supplier"),
    f("revision", "变更内容", "Revision"),
    f("skus", "规格", "SKUs"),
    f("sku", "规格编码", "SKU"),
    f("stock", "库存", "Stock"),
    f("category", "商品类目", "Category"),
    f("parent", "上级类目", "Parent"),
];

/// The action's names, if the catalogue has it.
pub fn label(code: &str) -> Option<&'static ActionLabel> {
    ACTIONS.iter().find(|a| a.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_action_and_field_is_named_once_in_both_languages() {
        let mut seen = HashSet::new();
        for a in ACTIONS {
            assert!(seen.insert(a.code), "{} is listed twice", a.code);
            assert!(
                !a.label_zh.is_empty() && !a.label_en.is_empty(),
                "{}",
                a.code
            );
            assert!(
                a.label_en.is_ascii(),
                "{}: the English name has Han characters",
                a.code
            );
        }
        let mut seen = HashSet::new();
        for f in FIELDS {
            assert!(seen.insert(f.name), "{} is listed twice", f.name);
            assert!(f.label_en.is_ascii(), "{}", f.name);
        }
    }
}
