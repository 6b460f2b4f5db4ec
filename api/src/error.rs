//! The one error type of the HTTP edge and the catalogue of its stable codes. Handlers return
//! `ApiError`; the `render` middleware turns every error response — ours and axum's own — into
//! `{code, message, request_id}` in the caller's language.

use crate::extract::is_json;
use crate::request_id::RequestId;
use axum::extract::Request;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The language of messages: zh-CN unless the caller prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The best of zh-CN and en by the `Accept-Language` q-values; zh-CN when neither is named.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let Some(value) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $status:ident, $zh:literal, $en:literal;)*) => {
        /// Every error code the API can answer with. Codes are stable: never reuse or renumber one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// The entry for a code string (validation rules name their code as text).
            pub fn from_code(code: &str) -> Option<ErrorCode> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }

            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((ErrorCode::$variant, Lang::Zh) => $zh, (ErrorCode::$variant, Lang::En) => $en,)*
                }
            }
        }
    };
}

catalogue! {
    MalformedJson = "QY-REQ-0001", BAD_REQUEST,
        "请求体不是合法的 JSON", "The request body is not valid JSON";
    InvalidBody = "QY-REQ-0002", UNPROCESSABLE_ENTITY,
        "请求体字段缺失或格式不正确", "A field of the request body is missing or has the wrong type";
    UnsupportedMediaType = "QY-REQ-0003", UNSUPPORTED_MEDIA_TYPE,
        "请求须为 application/json 格式", "The request must be application/json";
    PayloadTooLarge = "QY-REQ-0004", PAYLOAD_TOO_LARGE,
        "请求体超过大小限制", "The request body is larger than allowed";
    InvalidQuery = "QY-REQ-0005", BAD_REQUEST,
        "查询参数不正确", "A query parameter is missing or malformed";
    InvalidPath = "QY-REQ-0006", BAD_REQUEST,
        "路径参数不正确", "A path parameter is malformed";
    NotFound = "QY-REQ-0007", NOT_FOUND,
        "请求的接口不存在", "No such endpoint";
    MethodNotAllowed = "QY-REQ-0008", METHOD_NOT_ALLOWED,
        "接口不支持该请求方法", "This endpoint does not accept that method";
    CsrfHeaderMissing = "QY-REQ-0009", FORBIDDEN,
        "请求缺少防跨站伪造标头", "The request lacks the anti-forgery header";
    BadRequest = "QY-REQ-0010", BAD_REQUEST,
        "请求不正确", "The request is not valid";
    NotAuthenticated = "QY-AUTH-0001", UNAUTHORIZED,
        "未登录或会话已过期，请重新登录", "Not signed in, or the session has expired";
    BadCredentials = "QY-AUTH-0002", UNAUTHORIZED,
        "用户名和/或密码错误", "Wrong username and/or password";
    Forbidden = "QY-AUTH-0003", FORBIDDEN,
        "没有执行此操作的权限", "You do not have permission to do this";
    ReauthRequired = "QY-AUTH-0004", UNAUTHORIZED,
        "长时间未操作，请重新输入密码验证身份", "You were idle too long; enter your password again";
    SessionReplaced = "QY-AUTH-0005", UNAUTHORIZED,
        "您的账号已在其他地方登录，本会话已结束", "Your account signed in elsewhere; this session has ended";
    BadCaptcha = "QY-AUTH-0006", BAD_REQUEST,
        "验证码错误或已过期", "The captcha is wrong or has expired";
    AccountLocked = "QY-AUTH-0007", LOCKED,
        "登录失败次数过多，账号已锁定，请稍后再试或联系管理员解锁",
        "Too many failed sign-ins: the account is locked; try later or ask an administrator";
    TooManyAttempts = "QY-AUTH-0008", TOO_MANY_REQUESTS,
        "该地址登录尝试过于频繁，请稍后再试", "Too many sign-in attempts from this address; try later";
    PasswordChangeRequired = "QY-AUTH-0009", FORBIDDEN,
        "请先修改初始密码或已过期的密码", "Change your initial or expired password first";
    SessionExpired = "QY-AUTH-0010", UNAUTHORIZED,
        "会话已达到最长时限，请重新登录", "The session reached its time limit; sign in again";
    StepUpRequired = "QY-AUTH-0011", FORBIDDEN,
        "该操作需要重新验证身份：请先输入密码确认", "This operation needs you to confirm your password first";
    SecondFactorRequired = "QY-AUTH-0012", FORBIDDEN,
        "请输入动态验证码完成登录", "Enter the code from your authenticator app to finish signing in";
    TotpEnrolmentRequired = "QY-AUTH-0013", FORBIDDEN,
        "您的角色要求启用动态验证码，请先完成绑定", "Your role requires a second factor: set up your authenticator app first";
    WrongTotpCode = "QY-AUTH-0014", UNAUTHORIZED,
        "动态验证码或恢复码错误", "Wrong authenticator or recovery code";
    TotpAlreadyEnabled = "QY-AUTH-0015", CONFLICT,
        "已启用动态验证码；如需更换，请先关闭", "The second factor is already on; turn it off before enrolling again";
    TotpNotEnrolling = "QY-AUTH-0016", CONFLICT,
        "请先开始绑定动态验证码", "Start the enrolment first";
    TotpRequiredByRole = "QY-AUTH-0017", CONFLICT,
        "您的角色要求启用动态验证码，不能关闭", "Your role requires the second factor; it cannot be turned off";
    InvalidCredentialsShape = "QY-AUTH-0018", UNPROCESSABLE_ENTITY,
        "请提供密码或动态验证码之一", "Give either the password or an authenticator code";
    PasswordTooShort = "QY-PWD-0001", UNPROCESSABLE_ENTITY,
        "密码长度不足 8 位", "The password must be at least 8 characters long";
    PasswordTooFewClasses = "QY-PWD-0002", UNPROCESSABLE_ENTITY,
        "密码须包含大写字母、小写字母、数字、特殊字符中的至少三类",
        "The password needs 3 of: upper case, lower case, digits, symbols";
    PasswordContainsUsername = "QY-PWD-0003", UNPROCESSABLE_ENTITY,
        "密码不能包含用户名", "The password must not contain the username";
    PasswordReused = "QY-PWD-0004", UNPROCESSABLE_ENTITY,
        "不能使用最近 5 次用过的密码", "The password must differ from the last 5";
    PasswordTooSoon = "QY-PWD-0005", UNPROCESSABLE_ENTITY,
        "密码修改间隔不能少于 1 天", "The password was changed less than a day ago";
    PasswordOldWrong = "QY-PWD-0006", UNPROCESSABLE_ENTITY,
        "原密码错误", "The current password is wrong";
    ProcessAlreadyStarted = "QY-PROC-0001", CONFLICT,
        "该业务的流程已经发起，不能重复发起", "A process for this business key has already been started";
    OutOfScope = "QY-SYS-1001", NOT_FOUND,
        "机构或用户不存在，或不在您的数据权限范围内", "No such org or user within your data scope";
    UsernameTaken = "QY-SYS-1002", CONFLICT,
        "用户名已存在", "That username is taken";
    UnknownRole = "QY-SYS-1003", UNPROCESSABLE_ENTITY,
        "角色不存在", "No such role";
    OwnAccount = "QY-SYS-1004", FORBIDDEN,
        "不能为自己授权或重置自己的密码", "You cannot grant roles to yourself or reset your own password here";
    DutiesConflict = "QY-SYS-1005", CONFLICT,
        "职责分离：同一账号不能同时拥有管理员角色和审计员角色",
        "Separation of duties: one account cannot hold an administrator role and the auditor role";
    InvalidUsername = "QY-SYS-1006", UNPROCESSABLE_ENTITY,
        "用户名须为 3–32 位小写字母、数字、点、下划线或连字符，以字母开头",
        "A username is 3–32 lower-case letters, digits, dots, underscores or hyphens, starting with a letter";
    InvalidDisplayName = "QY-SYS-1007", UNPROCESSABLE_ENTITY,
        "姓名须为 1–50 个字符", "A display name is 1–50 characters";
    UnknownParameter = "QY-SYS-1008", NOT_FOUND,
        "参数不存在", "No such parameter";
    ParameterOutOfRange = "QY-SYS-1009", UNPROCESSABLE_ENTITY,
        "参数值超出允许范围", "The value is outside the parameter's allowed range";
    UnknownDictionary = "QY-SYS-1010", NOT_FOUND,
        "码值类型不存在", "No such code list";
    BuiltinDictionary = "QY-SYS-1011", CONFLICT,
        "静态码值由系统维护，不能修改", "Static code lists are maintained by the software and cannot be edited";
    InvalidDictionaryItem = "QY-SYS-1012", UNPROCESSABLE_ENTITY,
        "码值编码须为 1–32 位小写字母、数字或下划线，中文名称 1–50 字，英文名称 1–100 字",
        "A code is 1–32 lower-case letters, digits or underscores; labels are 1–50 (zh) and 1–100 (en) characters";
    InvalidOrgCode = "QY-SYS-1013", UNPROCESSABLE_ENTITY,
        "机构编码须为 1–32 位字母、数字、下划线或连字符", "An org code is 1–32 letters, digits, underscores or hyphens";
    InvalidOrgName = "QY-SYS-1014", UNPROCESSABLE_ENTITY,
        "机构名称须为 1–100 个字符", "An org name is 1–100 characters";
    OrgCodeTaken = "QY-SYS-1015", CONFLICT,
        "机构编码已存在", "That org code is taken";
    SubBranchHasNoChildren = "QY-SYS-1016", CONFLICT,
        "支行下不能再设下级机构", "A sub-branch cannot have orgs below it";
    UnknownPermission = "QY-SYS-1017", UNPROCESSABLE_ENTITY,
        "权限不存在", "No such permission";
    RoleDutyFixed = "QY-SYS-1018", CONFLICT,
        "角色的职责（管理或审计）在创建时确定，不能修改", "A role's duty (administration or audit) is fixed when it is created";
    RoleDutiesCombined = "QY-SYS-1019", CONFLICT,
        "职责分离：同一角色不能同时拥有用户、角色或参数管理权限与操作日志查看权限",
        "Separation of duties: one role cannot hold user, role or parameter administration together with the operation log";
    PermissionOutsideDuty = "QY-SYS-1020", CONFLICT,
        "用户、角色和参数管理权限只能属于管理职责的角色，操作日志查看权限只能属于审计职责的角色",
        "User, role and parameter administration belong only to administration roles, the operation log only to audit roles";
    OwnRole = "QY-SYS-1021", FORBIDDEN,
        "不能修改自己持有的角色", "You cannot edit a role you hold";
    InvalidRoleCode = "QY-SYS-1022", UNPROCESSABLE_ENTITY,
        "角色编码须为 2–32 位小写字母、数字或下划线，以字母开头",
        "A role code is 2–32 lower-case letters, digits or underscores, starting with a letter";
    InvalidRoleName = "QY-SYS-1023", UNPROCESSABLE_ENTITY,
        "角色名称须为 1–50 个字符", "A role name is 1–50 characters";
    RoleCodeTaken = "QY-SYS-1024", CONFLICT,
        "角色编码已存在", "That role code is taken";
    UnknownMenu = "QY-SYS-1025", NOT_FOUND,
        "菜单不存在", "No such menu entry";
    InvalidMenuEntry = "QY-SYS-1026", UNPROCESSABLE_ENTITY,
        "菜单中文名称须为 1–50 字，英文名称 1–100 字，排序为 0–9999",
        "Menu titles are 1–50 (zh) and 1–100 (en) characters; the order is 0–9999";
    ButtonAlwaysShown = "QY-SYS-1027", CONFLICT,
        "按钮按权限显示，不能单独隐藏", "Buttons show by permission and cannot be hidden on their own";
    InvalidPhone = "QY-SYS-1028", UNPROCESSABLE_ENTITY,
        "手机号须为 11 位中国大陆手机号码", "A phone number is 11 digits, a mainland China mobile number";
    InvalidEmail = "QY-SYS-1029", UNPROCESSABLE_ENTITY,
        "电子邮箱格式不正确（最长 100 字符）", "Not a valid e-mail address (at most 100 characters)";
    UnknownClient = "QY-CLI-0001", UNAUTHORIZED,
        "接入方不存在或已停用", "Unknown or disabled client";
    BadSignature = "QY-CLI-0002", UNAUTHORIZED,
        "请求签名不正确", "The request signature is wrong";
    StaleTimestamp = "QY-CLI-0003", UNAUTHORIZED,
        "请求时间戳与服务器时间相差超过 5 分钟", "The request timestamp is more than 5 minutes off";
    NonceReused = "QY-CLI-0004", UNAUTHORIZED,
        "请求随机数已使用过（疑似重放）", "The nonce was used before (a replay?)";
    SignatureHeaderMissing = "QY-CLI-0005", UNAUTHORIZED,
        "缺少或格式不正确的签名标头（X-Qy-Client、X-Qy-Timestamp、X-Qy-Nonce、X-Qy-Signature）",
        "A signing header is missing or malformed (X-Qy-Client, X-Qy-Timestamp, X-Qy-Nonce, X-Qy-Signature)";
    WrongClientKind = "QY-CLI-0006", FORBIDDEN,
        "该接入方不能调用此服务", "This client may not call this service";
    TemplateCodeTaken = "QY-BEN-1001", CONFLICT,
        "优惠券编码已存在", "That template code is taken";
    UnknownTemplate = "QY-BEN-1002", NOT_FOUND,
        "优惠券不存在", "No such coupon template";
    UnknownMerchant = "QY-BEN-1003", UNPROCESSABLE_ENTITY,
        "商户不存在", "No such merchant";
    NotEnoughStock = "QY-BEN-1004", CONFLICT,
        "未领取的库存不足", "Not that much unclaimed stock";
    TemplateWrongStatus = "QY-BEN-1005", CONFLICT,
        "优惠券当前状态不允许此操作", "The template's status does not allow this";
    InvalidTemplate = "QY-BEN-1006", UNPROCESSABLE_ENTITY,
        "优惠券字段不正确", "A template field is not valid";
    InvalidAmount = "QY-BEN-1007", UNPROCESSABLE_ENTITY,
        "金额须为 0 至 10^12 分之间的整数", "An amount is a whole number of fen from 0 to 10^12";
    InvalidWindow = "QY-BEN-1008", UNPROCESSABLE_ENTITY,
        "时间段不正确：开始须早于结束；有效期为固定时段或领取后天数之一",
        "A window must start before it ends; validity is a fixed window or a number of days, not both";
    MerchantCodeTaken = "QY-BEN-1009", CONFLICT,
        "商户编码已存在", "That merchant code is taken";
    ClientCodeTaken = "QY-BEN-1010", CONFLICT,
        "接入方编码已存在", "That client code is taken";
    UnknownItem = "QY-BEN-1011", UNPROCESSABLE_ENTITY,
        "权益品目不存在或编码/名称不正确", "No such benefit item, or its code or name is not valid";
    ItemCodeTaken = "QY-BEN-1012", CONFLICT,
        "权益品目编码已存在", "That benefit item code is taken";
    TemplateTermsFrozen = "QY-BEN-1013", CONFLICT,
        "已有客户领取，面额、门槛、折扣和有效期不能再修改",
        "Coupons have been claimed: face value, threshold, discount and validity can no longer change";
    StoreCodeTaken = "QY-BEN-1020", CONFLICT,
        "该商户已有此门店编码", "The merchant already has a store with that code";
    NoSuchMerchant = "QY-BEN-1021", NOT_FOUND,
        "商户不存在", "No such merchant";
    NoSuchStore = "QY-BEN-1022", NOT_FOUND,
        "门店不存在", "No such store";
    SoldOut = "QY-BEN-2001", CONFLICT,
        "已抢光", "Sold out";
    DailyLimitReached = "QY-BEN-2002", CONFLICT,
        "已达到每人每日领取上限", "The customer's daily limit for this coupon is reached";
    TotalLimitReached = "QY-BEN-2003", CONFLICT,
        "已达到每人领取上限", "The customer's limit for this coupon is reached";
    TemplateNotClaimable = "QY-BEN-2004", NOT_FOUND,
        "优惠券不存在或未上架", "No such coupon, or it is not active";
    OutsideClaimWindow = "QY-BEN-2005", CONFLICT,
        "不在领取时间内", "Outside the claim window";
    RequestIdReused = "QY-BEN-2006", CONFLICT,
        "请求编号已用于另一笔不同的请求", "The request id was used for a different request";
    CampaignLimitReached = "QY-BEN-2007", CONFLICT,
        "已达到本活动每人领取上限", "The customer's limit for this coupon in this campaign is reached";
    UnknownCoupon = "QY-BEN-3001", NOT_FOUND,
        "券码不存在", "No such coupon code";
    CouponUsed = "QY-BEN-3002", CONFLICT,
        "券已使用", "The coupon is already used";
    CouponNotValidNow = "QY-BEN-3003", CONFLICT,
        "券不在有效期内", "The coupon is not valid now";
    MerchantNotEligible = "QY-BEN-3004", FORBIDDEN,
        "该券不能在本商户使用", "The coupon cannot be used at this merchant";
    BelowThreshold = "QY-BEN-3005", CONFLICT,
        "订单金额未达到使用门槛", "The order is below the coupon's threshold";
    CouponWithdrawn = "QY-BEN-3006", CONFLICT,
        "券已收回", "The coupon was withdrawn";
    ReversalWindowPassed = "QY-BEN-3007", CONFLICT,
        "已超过冲正时限", "The reversal window has passed";
    UnknownRedemption = "QY-BEN-3008", NOT_FOUND,
        "核销记录不存在", "No such redemption for this merchant";
    UnknownStore = "QY-BEN-3009", UNPROCESSABLE_ENTITY,
        "门店不存在或已停用", "No such store, or it is disabled";
    MerchantDailyLimitReached = "QY-BEN-3011", CONFLICT,
        "该券今日在本商户的核销次数已达上限", "This coupon's redemptions at this merchant today reached their limit";
    NotAMerchantUser = "QY-BEN-3010", FORBIDDEN,
        "当前用户不属于任何商户", "You do not belong to a merchant";
    WrongProcessState = "QY-PROC-0002", CONFLICT,
        "流程当前状态不允许此操作", "The process's state does not allow this now";
    OwnSubmission = "QY-PROC-0003", FORBIDDEN,
        "不能审批本人提交的申请", "Nobody approves their own submission";
    NotEligibleApprover = "QY-PROC-0004", FORBIDDEN,
        "您不是该审批环节的处理人（角色或机构不符）", "You may not act on this step (role or org)";
    AlreadyDecided = "QY-PROC-0005", CONFLICT,
        "该审批环节已处理", "This approval step is decided already";
    TransferTargetNotEligible = "QY-PROC-0006", UNPROCESSABLE_ENTITY,
        "转办对象不能处理该任务", "The user you transfer to may not act on this task";
    UnknownProcess = "QY-PROC-0007", NOT_FOUND,
        "流程不存在", "No such process";
    UnknownTask = "QY-PROC-0008", NOT_FOUND,
        "任务不存在", "No such task";
    InvalidPolicy = "QY-PROC-0009", UNPROCESSABLE_ENTITY,
        "审批策略不正确", "The approval policy is not valid";
    CommentRequired = "QY-PROC-0010", UNPROCESSABLE_ENTITY,
        "驳回或退回须填写意见（1–500 字）", "Rejecting or returning needs a comment (1–500 characters)";
    UnknownCampaign = "QY-CAMP-0001", NOT_FOUND,
        "营销活动不存在", "No such campaign";
    UnknownCampaignOrg = "QY-CAMP-0002", UNPROCESSABLE_ENTITY,
        "机构不存在或不在您的数据范围内", "No such org in your data scope";
    CampaignNotDraft = "QY-CAMP-0003", CONFLICT,
        "活动已提交，只能通过流程变更", "The campaign is submitted: it changes only through its process";
    UnknownRuleTemplate = "QY-CAMP-0004", UNPROCESSABLE_ENTITY,
        "权益规则中的优惠券不存在", "A rule names a coupon template that does not exist";
    InvalidCampaign = "QY-CAMP-0006", UNPROCESSABLE_ENTITY,
        "活动字段不正确", "A campaign field is not valid";
    InvalidCustomerFile = "QY-CAMP-0007", UNPROCESSABLE_ENTITY,
        "名单文件须为文本（UTF-8 或 GBK）或 Excel（.xlsx）文件，每行一个客户号",
        "The list must be a text file (UTF-8 or GBK) or an Excel workbook (.xlsx), one customer number per row";
    InvalidCampaignTime = "QY-CAMP-0008", UNPROCESSABLE_ENTITY,
        "结束时间须晚于开始时间和当前时间", "The end time must be after the start time and after now";
    UnknownChannel = "QY-CAMP-0009", NOT_FOUND,
        "渠道不存在或已停用", "No such channel, or it is disabled";
    InvalidCustomerNo = "QY-CAMP-0010", UNPROCESSABLE_ENTITY,
        "客户号须为 6–32 位字母或数字", "A customer number is 6–32 letters or digits";
    CampaignWithoutCustomers = "QY-CAMP-0011", CONFLICT,
        "活动名单为空：请先上传客户名单再提交审批",
        "The campaign's customer list is empty: upload one before submitting";
    NoCustomersImported = "QY-CAMP-0012", UNPROCESSABLE_ENTITY,
        "名单文件中没有有效的客户号，未导入；原名单保持不变",
        "No line of the file holds a valid customer number: nothing was imported and the list is unchanged";
    UnknownActingUser = "QY-ESB-0001", UNPROCESSABLE_ENTITY,
        "代理用户不存在或已停用", "No such active user to act as";
    InvalidSourceNetwork = "QY-ESB-0002", UNPROCESSABLE_ENTITY,
        "来源地址白名单须为 IP 地址或网段（如 10.1.2.0/24），至多 50 个",
        "Source networks are IP addresses or networks (10.1.2.0/24), at most 50";
    UnknownEsbService = "QY-ESB-0003", UNPROCESSABLE_ENTITY,
        "服务码不存在（须为服务目录中的 1–20 个服务）", "Name 1–20 services of the catalogue";
    InvalidRateLimit = "QY-ESB-0004", UNPROCESSABLE_ENTITY,
        "限流须为每秒 1–100000 次，突发 1–100000 次", "The rate limit is 1–100000 a second, the burst 1–100000";
    InvalidConsumerName = "QY-ESB-0005", UNPROCESSABLE_ENTITY,
        "接入系统名称须为 1–100 个字符", "A consumer's name is 1–100 characters";
    UnknownEsbConsumer = "QY-ESB-0006", NOT_FOUND,
        "ESB 接入系统不存在", "No such ESB consumer";
    UnknownEsbMessage = "QY-ESB-0007", NOT_FOUND,
        "报文不存在", "No such message in the log";
    PrivilegedActingUser = "QY-ESB-0008", UNPROCESSABLE_ENTITY,
        "代理用户不能持有需要动态验证码或具有管理、审计职责的角色",
        "The acting user may not hold a role that requires a second factor or carries an administration or audit duty";
    LedgerKeyReused = "QY-LED-0001", CONFLICT,
        "请求编号已用于另一笔不同的交易", "The request id was used for a different transaction";
    InsufficientPoints = "QY-LED-0002", CONFLICT,
        "可用余额不足", "Not enough available balance";
    UnknownLedgerAccount = "QY-LED-0003", UNPROCESSABLE_ENTITY,
        "账户不存在", "No such account";
    LedgerUnitMismatch = "QY-LED-0004", UNPROCESSABLE_ENTITY,
        "两个账户的计量单位不同", "The two accounts count different units";
    UnknownHold = "QY-LED-0005", NOT_FOUND,
        "冻结记录不存在", "No such hold";
    HoldResolved = "QY-LED-0006", CONFLICT,
        "该冻结已扣减、解冻或过期", "The hold was captured, voided or expired already";
    HoldExpired = "QY-LED-0007", CONFLICT,
        "该冻结已超时，不能再扣减", "The hold timed out and can no longer be captured";
    ExceedsHold = "QY-LED-0008", UNPROCESSABLE_ENTITY,
        "扣减数超过冻结数", "More than the hold reserved";
    InvalidPoints = "QY-LED-0009", UNPROCESSABLE_ENTITY,
        "数额须为 1 至 10^12 之间的整数", "An amount is a whole number from 1 to 10^12";
    SameLedgerAccount = "QY-LED-0010", UNPROCESSABLE_ENTITY,
        "借方和贷方不能是同一账户", "Debit and credit must be different accounts";
    UnknownLedgerTransfer = "QY-LED-0011", NOT_FOUND,
        "交易不存在", "No such transaction";
    NotReversible = "QY-LED-0012", CONFLICT,
        "只有已入账的发放或扣减可以冲正", "Only a posted earning or capture can be reversed";
    AlreadyReversed = "QY-LED-0013", CONFLICT,
        "该交易已冲正", "The transaction was reversed already";
    InvalidRequestId = "QY-LED-0014", UNPROCESSABLE_ENTITY,
        "请求编号须为 1–64 位字母、数字或 _.:-", "A request id is 1–64 letters, digits or _.:-";
    InvalidHoldTimeout = "QY-LED-0015", UNPROCESSABLE_ENTITY,
        "冻结时长须为 1 秒至 30 天", "A hold lasts from 1 second to 30 days";
    UnknownFundingOrg = "QY-LED-0016", UNPROCESSABLE_ENTITY,
        "出资机构不存在或不在您的数据范围内", "No such funding org in your data scope";
    InvalidMemo = "QY-LED-0017", UNPROCESSABLE_ENTITY,
        "备注最长 200 个字符", "A memo is at most 200 characters";
    NothingToReverse = "QY-LED-0018", CONFLICT,
        "该笔发放的积分已全部使用或过期，无可冲正", "The points of the earning were all spent or expired: nothing to reverse";
    PointShares = "QY-PTS-0001", UNPROCESSABLE_ENTITY,
        "分摊比例须为 0–100 的整数，总行、分行、商户合计 100",
        "Cost shares are whole percentages 0–100: head office, branch and merchant sum to 100";
    PointShareParty = "QY-PTS-0002", UNPROCESSABLE_ENTITY,
        "有分摊比例的一方须指定机构或商户，未分摊的一方不得指定",
        "A party with a share names its org or merchant; a party without one names none";
    PointRuleWindow = "QY-PTS-0003", UNPROCESSABLE_ENTITY,
        "有效期结束须晚于开始", "The validity window ends after it starts";
    PointRuleNoPoints = "QY-PTS-0004", UNPROCESSABLE_ENTITY,
        "须设置固定积分或每单位积分", "A rule gives fixed points or points per unit";
    PointTxnType = "QY-PTS-0005", UNPROCESSABLE_ENTITY,
        "交易类型须为 2–32 位小写字母、数字或下划线，以字母开头",
        "A transaction type is 2–32 lower-case letters, digits or underscores, starting with a letter";
    PointRuleName = "QY-PTS-0006", UNPROCESSABLE_ENTITY,
        "规则名称须为 1–100 个字符，不含控制字符", "A rule's name is 1–100 characters without control characters";
    PointRuleNumbers = "QY-PTS-0007", UNPROCESSABLE_ENTITY,
        "积分数、单位金额、倍数或上限超出范围", "A points number, unit, multiplier or cap is out of range";
    PointRuleCode = "QY-PTS-0008", UNPROCESSABLE_ENTITY,
        "规则编号须为 2–32 位字母、数字、_ 或 -", "A rule code is 2–32 letters, digits, _ or -";
    PointRuleCodeTaken = "QY-PTS-0009", CONFLICT,
        "规则编号已存在", "The rule code is taken";
    UnknownPointRule = "QY-PTS-0010", NOT_FOUND,
        "积分规则不存在", "No such points rule";
    PointRuleStale = "QY-PTS-0011", CONFLICT,
        "规则已被他人修改，请刷新后重试", "Someone changed the rule since you read it; reload and try again";
    PointRuleMerchant = "QY-PTS-0012", UNPROCESSABLE_ENTITY,
        "商户不存在", "No such merchant";
    PointRuleCampaign = "QY-PTS-0013", UNPROCESSABLE_ENTITY,
        "营销活动不存在", "No such campaign";
    PointTxnIdReused = "QY-PTS-0014", CONFLICT,
        "该交易流水号已用于另一笔不同的交易", "The transaction id was used for a different transaction";
    InvalidPointTxn = "QY-PTS-0015", UNPROCESSABLE_ENTITY,
        "交易流水号须为 1–64 位字母、数字或 _.:-，金额 0 至 10^12 分，交易时间不晚于当前",
        "A transaction id is 1–64 letters, digits or _.:-, the amount 0 to 10^12 fen, the time not in the future";
    PointExchangeTarget = "QY-PTS-0016", UNPROCESSABLE_ENTITY,
        "兑换对象须为商城商品（mall_product）或优惠券（coupon）",
        "An exchange rule's target is mall_product or coupon";
    TierCodeTaken = "QY-TIER-0001", CONFLICT,
        "等级编号已存在", "The tier code is taken";
    TierRankTaken = "QY-TIER-0002", CONFLICT,
        "已有相同级别的等级", "Another tier has that rank";
    UnknownTier = "QY-TIER-0003", NOT_FOUND,
        "会员等级不存在", "No such tier";
    UnknownTierTemplate = "QY-TIER-0004", UNPROCESSABLE_ENTITY,
        "优惠券不存在", "No such coupon template";
    UnknownUpgradeTask = "QY-TIER-0005", NOT_FOUND,
        "升级任务不存在", "No such upgrade task";
    InvalidTierCode = "QY-TIER-0006", UNPROCESSABLE_ENTITY,
        "编号须为 1–32 位小写字母、数字或下划线（任务：2–32 位字母、数字、_ 或 -）",
        "A tier code is 1–32 lower-case letters, digits or underscores (a task's: 2–32 letters, digits, _ or -)";
    InvalidTierName = "QY-TIER-0007", UNPROCESSABLE_ENTITY,
        "名称须为 1–50 个字符（任务 1–100 个），不含控制字符", "A name is 1–50 characters (a task's 1–100) without control characters";
    InvalidTierNumbers = "QY-TIER-0008", UNPROCESSABLE_ENTITY,
        "级别须为 1–100，积分门槛 0 至 10^12，任务次数 1–1000", "A rank is 1–100, a points threshold 0 to 10^12, a task's count 1–1000";
    UnknownCustomer = "QY-CUST-0001", NOT_FOUND,
        "客户不存在或不在您的数据范围内", "No such customer in your data scope";
    CustomerKeysMissing = "QY-CUST-0002", SERVICE_UNAVAILABLE,
        "客户个人信息密钥未配置，请联系运维（api.pii_key、api.mapping_key）",
        "The customers' personal-data keys are not configured (api.pii_key, api.mapping_key); contact operations";
    InvalidCustomerImport = "QY-CUST-0003", UNPROCESSABLE_ENTITY,
        "导入文件须为 UTF-8 编码的 CSV：首行为表头，含 customer_no 和 org_code 列，至少一行数据，每行不超过 8192 字节",
        "The extract is a UTF-8 CSV file: a header naming customer_no and org_code, at least one data line, lines of at most 8192 bytes";
    UnknownCustomerOrg = "QY-CUST-0004", UNPROCESSABLE_ENTITY,
        "机构不存在或不在您的数据范围内（或该客户归属的机构不在范围内）",
        "No such org in your data scope (or the customer is served by an org outside it)";
    InvalidCustomerName = "QY-CUST-0005", UNPROCESSABLE_ENTITY,
        "姓名须为 1–50 个字符，不含控制字符", "A name is 1–50 characters without control characters";
    InvalidCustomerPhone = "QY-CUST-0006", UNPROCESSABLE_ENTITY,
        "手机号须为 11 位大陆手机号码", "A phone number is an 11-digit mainland mobile number";
    InvalidIdNumber = "QY-CUST-0007", UNPROCESSABLE_ENTITY,
        "证件号码须为 18 位身份证号，出生日期和校验位正确",
        "An ID number is an 18-character resident ID with a valid birth date and check digit";
    InvalidCardNumber = "QY-CUST-0008", UNPROCESSABLE_ENTITY,
        "卡号须为 12–19 位数字且校验位正确，最多 20 张",
        "A card number is 12–19 digits with a valid check digit; at most 20 cards";
    InvalidCustomerStatus = "QY-CUST-0009", UNPROCESSABLE_ENTITY,
        "客户状态须为 active、dormant 或 closed", "A customer's status is active, dormant or closed";
    FileEmpty = "QY-FILE-0001", UNPROCESSABLE_ENTITY,
        "文件为空", "The file is empty";
    FileTooLarge = "QY-FILE-0002", PAYLOAD_TOO_LARGE,
        "文件超过大小上限", "The file is larger than allowed";
    FileKindNotAllowed = "QY-FILE-0003", UNSUPPORTED_MEDIA_TYPE,
        "只接受 JPEG、PNG 图片和 PDF 文件（按文件内容判断，与扩展名无关）",
        "Only JPEG and PNG images and PDF files are accepted (told by the content, not the name)";
    FilePolyglot = "QY-FILE-0004", UNPROCESSABLE_ENTITY,
        "文件中夹带网页、脚本或图片结束后的附加内容，已拒绝",
        "The file hides markup, script or data after the image's end, and is refused";
    FileBadName = "QY-FILE-0005", UNPROCESSABLE_ENTITY,
        "文件名不能为空、超过 200 字，或含有路径（/、\\、..）和控制字符",
        "A file name is 1–200 characters with no path (/, \\, ..) and no control character";
    FileDamaged = "QY-FILE-0006", UNPROCESSABLE_ENTITY,
        "图片文件已损坏或不完整", "The image is damaged or incomplete";
    UnknownFile = "QY-FILE-0007", NOT_FOUND,
        "文件不存在", "No such file";
    FileMissing = "QY-FILE-0008", BAD_REQUEST,
        "请求须为 multipart/form-data，并在 file 字段中附上文件",
        "Send multipart/form-data with the file in the field `file`";
    CodeThrottledPhone = "QY-ONB-0001", TOO_MANY_REQUESTS,
        "该手机号获取验证码过于频繁，请稍后再试", "This phone asked for codes too often; try later";
    CodeThrottledAddress = "QY-ONB-0002", TOO_MANY_REQUESTS,
        "该地址获取验证码过于频繁，请稍后再试", "Too many codes asked from this address; try later";
    WrongSmsCode = "QY-ONB-0003", UNAUTHORIZED,
        "短信验证码错误或已过期", "The SMS code is wrong or has expired";
    ApplicantNotSignedIn = "QY-ONB-0004", UNAUTHORIZED,
        "请先用手机号和短信验证码登录", "Sign in with your phone and an SMS code first";
    UnknownApplication = "QY-ONB-0005", NOT_FOUND,
        "入驻申请不存在", "No such merchant application";
    ApplicationNotEditable = "QY-ONB-0006", CONFLICT,
        "申请已提交，只能在退回补件时修改", "The application is submitted: it changes only when material is requested";
    ApplicationIncomplete = "QY-ONB-0007", UNPROCESSABLE_ENTITY,
        "申请信息不完整，不能提交", "The application is incomplete and cannot be submitted";
    InvalidCreditCode = "QY-ONB-0008", UNPROCESSABLE_ENTITY,
        "统一社会信用代码不正确（18 位，含校验码）", "Not a valid unified social credit code (18 characters with its check digit)";
    InvalidApplicantIdNumber = "QY-ONB-0009", UNPROCESSABLE_ENTITY,
        "身份证号码不正确（18 位，含校验码）", "Not a valid resident ID number (18 characters with its check digit)";
    InvalidApplicationField = "QY-ONB-0010", UNPROCESSABLE_ENTITY,
        "申请字段不能为空或超过长度上限", "An application field is empty or too long";
    InvalidAccountNo = "QY-ONB-0011", UNPROCESSABLE_ENTITY,
        "结算账号须为 8–32 位数字", "An account number is 8–32 digits";
    UnknownBranch = "QY-ONB-0012", UNPROCESSABLE_ENTITY,
        "所属区域须为一家分行", "The area must be one of the branches";
    InvalidStoreDraft = "QY-ONB-0013", UNPROCESSABLE_ENTITY,
        "门店编码须为 1–32 位字母、数字、下划线或连字符且不重复，名称 1–100 字，地址至多 200 字，至多 50 家",
        "A store code is 1–32 letters, digits, _ or - and unique, its name 1–100 and address up to 200 characters; 50 stores at most";
    MerchantDisabled = "QY-MER-0001", FORBIDDEN,
        "商户已停用：暂停核销、接口调用和商户用户登录", "The merchant is disabled: its redemptions, signed-API calls and users' sessions are refused";
    MerchantStatusUnchanged = "QY-MER-0002", CONFLICT,
        "商户已是该状态", "The merchant is in that state already";
    MerchantRequestPending = "QY-MER-0003", CONFLICT,
        "该商户已有同类申请在审批中", "A request of this kind for the merchant is waiting for its approval";
    MerchantStatusByApproval = "QY-MER-0004", CONFLICT,
        "商户停用和启用须提交审批", "A merchant is disabled or enabled through its approval";
    DisableReasonRequired = "QY-MER-0005", UNPROCESSABLE_ENTITY,
        "停用须填写原因（1–500 字）", "Disabling needs a reason (1–500 characters)";
    UnknownMerchantRequest = "QY-MER-0006", NOT_FOUND,
        "没有这个商户申请（或不在您的数据范围内）", "No such merchant request (within your data scope)";
    UnknownMerchantUser = "QY-MER-0010", NOT_FOUND,
        "本商户没有这个收银员", "No such cashier of your merchant";
    MerchantUserNoPhone = "QY-MER-0011", CONFLICT,
        "该用户没有手机号，无法发送临时密码", "The user has no phone to send a one-time password to";
    SameSettlementAccount = "QY-MER-0020", CONFLICT,
        "新结算账户与现有账户相同", "The new settlement account is the one in place";
    NoSuchProduct = "QY-MALL-0001", NOT_FOUND,
        "没有这个商品（或不是本供应商的商品）", "No such product (of your supplier)";
    UnknownMallCategory = "QY-MALL-0002", UNPROCESSABLE_ENTITY,
        "商品类目不存在", "No such product category";
    InvalidPrice = "QY-MALL-0003", UNPROCESSABLE_ENTITY,
        "价格须为 0–100,000,000 的整数，积分价与现金价至少一项大于零",
        "A price is a whole number from 0 to 100,000,000, and the points or the cash price is above zero";
    NotAnImage = "QY-MALL-0004", UNPROCESSABLE_ENTITY,
        "商品图片须为本供应商用户上传的图片（JPEG 或 PNG），至多 9 张",
        "Product images are JPEG or PNG files your supplier's users uploaded, 9 at most";
    ListingIncomplete = "QY-MALL-0005", UNPROCESSABLE_ENTITY,
        "上架前须有商品图片、规格和商品详情", "A listing needs images, SKUs and a description";
    ProductWrongStatus = "QY-MALL-0006", CONFLICT,
        "商品当前状态不允许此操作", "The product's state does not allow this";
    ListingRequestPending = "QY-MALL-0007", CONFLICT,
        "该商品已有申请在审批中", "A request of this product is waiting for its approval";
    NoSuchSku = "QY-MALL-0008", NOT_FOUND,
        "该商品没有这个规格", "The product has no such SKU";
    RevisionUnchanged = "QY-MALL-0009", CONFLICT,
        "变更内容与在售版本相同", "The revision is the version on sale";
    NotASupplier = "QY-MALL-0010", FORBIDDEN,
        "本商户不是供应商（或已停用），不能维护商品", "Your merchant is not an active supplier";
    InvalidProduct = "QY-MALL-0011", UNPROCESSABLE_ENTITY,
        "商品名称 1–100 字，副标题至多 200 字，详情至多 20000 字，规格编码 1–32 位字母、数字、下划线或连字符且不重复，规格说明 1–100 字，至多 50 个规格、10 个标签（每个 1–20 字）",
        "A name is 1–100 characters, a subtitle up to 200, a description up to 20,000; SKU codes are 1–32 letters, digits, _ or - and unique, specs 1–100 characters; 50 SKUs and 10 tags (1–20 characters each) at most";
    ReasonRequired = "QY-MALL-0012", UNPROCESSABLE_ENTITY,
        "须填写原因（1–500 字）", "A reason is needed (1–500 characters)";
    MallCategoryTaken = "QY-MALL-0013", CONFLICT,
        "该类目编码已存在", "A category of that code exists";
    NoSuchMallCategory = "QY-MALL-0014", NOT_FOUND,
        "没有这个商品类目", "No such product category";
    MallCategoryInUse = "QY-MALL-0015", CONFLICT,
        "类目下还有商品或子类目", "The category still has products or subcategories";
    InvalidMallCategory = "QY-MALL-0016", UNPROCESSABLE_ENTITY,
        "类目编码 1–32 位小写字母、数字、下划线或连字符，名称 1–50 字，上级类目不能是自己或下级",
        "A category code is 1–32 lowercase letters, digits, _ or -, its name 1–50 characters, and its parent neither itself nor below it";
    InvalidBanner = "QY-MALL-0017", UNPROCESSABLE_ENTITY,
        "标题 1–50 字，图片须为员工上传的图片，链接须为站内路径或 https 地址，结束时间须晚于开始时间",
        "A title is 1–50 characters, the image one staff uploaded, the link a path in the mall or an https address, and the end after the start";
    NoSuchCatalogueItem = "QY-MALL-0018", NOT_FOUND,
        "没有这条导航、轮播图或评价", "No such navigation entry, banner or review";
    MallTagTaken = "QY-MALL-0019", CONFLICT,
        "该标签已存在", "The tag exists";
    InvalidMallStock = "QY-MALL-0020", UNPROCESSABLE_ENTITY,
        "补充库存须为 1–1,000,000,000", "Stock added is from 1 to 1,000,000,000";
    InvalidSearch = "QY-MALL-0038", UNPROCESSABLE_ENTITY,
        "搜索词须为 1–20 个字", "A search term is 1–20 characters";
    AssertionMalformed = "QY-SHOP-0001", UNAUTHORIZED,
        "登录凭证格式不正确", "The sign-in assertion is malformed";
    AssertionExpired = "QY-SHOP-0002", UNAUTHORIZED,
        "登录凭证已过期或尚未生效，请从手机银行重新进入", "The sign-in assertion has expired or is not valid yet: open the mall from mobile banking again";
    AssertionWrongAudience = "QY-SHOP-0003", UNAUTHORIZED,
        "登录凭证不是签发给积分商城的", "The sign-in assertion is not for the H5 mall";
    AssertionUnknownCustomer = "QY-SHOP-0004", UNAUTHORIZED,
        "客户不存在或已销户", "No such customer, or the customer's accounts are closed";
    CustomerNotSignedIn = "QY-SHOP-0005", UNAUTHORIZED,
        "请从手机银行进入积分商城", "Not signed in: open the mall from mobile banking";
    OrderRequestIdReused = "QY-MALL-0021", CONFLICT,
        "该请求号已用于另一笔订单", "The request id was used for another order";
    NotOnSale = "QY-MALL-0022", UNPROCESSABLE_ENTITY,
        "商品或规格不存在或未上架", "A product or SKU does not exist or is not on sale";
    MallSoldOut = "QY-MALL-0023", CONFLICT,
        "库存不足", "Not enough stock";
    OrderPointsShort = "QY-MALL-0024", CONFLICT,
        "可用积分不足", "Not enough points available";
    MixedSuppliers = "QY-MALL-0025", UNPROCESSABLE_ENTITY,
        "一笔订单只能包含同一供应商的商品", "One order holds one supplier's goods";
    UnknownAddress = "QY-MALL-0026", UNPROCESSABLE_ENTITY,
        "收货地址不存在", "No such delivery address";
    CouponUnusable = "QY-MALL-0027", UNPROCESSABLE_ENTITY,
        "该优惠券不可用于本订单（不属于您、已使用、不在有效期或未达门槛）",
        "The coupon cannot be used on this order (not yours, used, not valid now, or below its threshold)";
    CouponLocked = "QY-MALL-0028", CONFLICT,
        "该优惠券已被另一笔订单占用", "Another order holds the coupon";
    NoSuchOrder = "QY-MALL-0029", NOT_FOUND,
        "没有这笔订单", "No such order";
    OrderWrongState = "QY-MALL-0030", CONFLICT,
        "订单当前状态不允许此操作", "The order's state does not allow this";
    PayWindowOver = "QY-MALL-0031", CONFLICT,
        "订单已超过支付时限", "The order's time to pay is over";
    PaymentUnavailable = "QY-MALL-0032", SERVICE_UNAVAILABLE,
        "支付服务暂不可用，请稍后再试", "Payment is unavailable; try again later";
    InvalidOrder = "QY-MALL-0033", UNPROCESSABLE_ENTITY,
        "订单须有 1–20 行，每行数量 1–99", "An order has 1–20 lines of 1–99 units each";
    InvalidAddress = "QY-MALL-0034", UNPROCESSABLE_ENTITY,
        "收货人 1–20 字，手机号为 11 位大陆手机号，地区 1–100 字，详细地址 1–200 字",
        "A recipient of 1–20 characters, an 11-digit mainland mobile, a region of 1–100 and an address of 1–200 characters";
    TooManyAddresses = "QY-MALL-0035", CONFLICT,
        "收货地址最多 20 个", "20 addresses at most";
    InvalidShipment = "QY-MALL-0036", UNPROCESSABLE_ENTITY,
        "物流公司 1–50 字，运单号 4–40 位字母、数字或连字符",
        "A carrier of 1–50 characters and a tracking number of 4–40 letters, digits or hyphens";
    BadQpayNotice = "QY-MALL-0037", UNAUTHORIZED,
        "支付通知签名无效或已过期", "The payment notice's signature is invalid or stale";
    UnknownInspectionPlan = "QY-INS-0001", NOT_FOUND,
        "没有这个巡查计划（或不在您的数据范围内）", "No such inspection plan (within your data scope)";
    UnknownInspectionTask = "QY-INS-0002", NOT_FOUND,
        "没有这个巡查任务（或不在您的数据范围内）", "No such inspection task (within your data scope)";
    IncompleteChecklist = "QY-INS-0003", UNPROCESSABLE_ENTITY,
        "检查表未填写完整：每项须作答一次，合格项须选合格/不合格，文字项须填写，要求拍照的须附照片（每项至多 9 张）",
        "The checklist is incomplete: each item answered once, pass/fail items passed or failed, text items written, photos where required (9 at most)";
    InvalidChecklist = "QY-INS-0004", UNPROCESSABLE_ENTITY,
        "检查表模板须有 1–50 项，每项编号唯一、内容 1–200 字",
        "A checklist template has 1–50 items, each with a unique key and a text of 1–200 characters";
    InspectionPlanNameTaken = "QY-INS-0005", CONFLICT,
        "已有同名巡查计划", "An inspection plan has that name already";
    InspectionFileNotYours = "QY-INS-0006", UNPROCESSABLE_ENTITY,
        "照片或附件须是您本人上传的文件", "Photos and evidence must be files you uploaded";
    InvalidInspectionDeadline = "QY-INS-0007", UNPROCESSABLE_ENTITY,
        "期限须晚于当前时间且在 90 天内", "The deadline must be in the future and within 90 days";
    NotAnInspector = "QY-INS-0008", UNPROCESSABLE_ENTITY,
        "指定的巡查员不是该商户所属分行的巡查员", "The inspector named is not an inspector of the merchant's branch";
    NoSeriousFinding = "QY-INS-0009", CONFLICT,
        "该巡查任务没有严重问题，不能一键停用商户", "The inspection found nothing serious: no one-click disabling";
    InvalidPage = "QY-REQ-0011", BAD_REQUEST,
        "分页参数不正确：page 为 1–10000，page_size 为 1–100", "Paging: page 1–10000 and page_size 1–100";
    ControlCharacter = "QY-REQ-0012", UNPROCESSABLE_ENTITY,
        "字段含有不允许的控制字符（如 U+0000）", "A field holds a control character that is not allowed (such as U+0000)";
    DuplicateKey = "QY-REQ-0013", UNPROCESSABLE_ENTITY,
        "JSON 对象中有重复的字段名", "A JSON object names the same field twice";
    Internal = "QY-SYS-0001", INTERNAL_SERVER_ERROR,
        "系统内部错误，请凭请求编号联系运维", "Internal error; quote the request id to support";
    DatabaseUnavailable = "QY-SYS-0002", SERVICE_UNAVAILABLE,
        "数据库暂不可用，请稍后重试", "The database is unavailable; try again shortly";
    TemporalUnavailable = "QY-SYS-0003", SERVICE_UNAVAILABLE,
        "流程引擎暂不可用，请稍后重试", "The workflow engine is unavailable; try again shortly";
    UiNotBuilt = "QY-SYS-0004", SERVICE_UNAVAILABLE,
        "管理界面尚未构建：请在 ui/ 目录执行 npm ci && npm run build",
        "The admin UI is not built: run npm ci && npm run build in ui/";
}

impl ErrorCode {
    /// The code for an error response that carries none of ours (axum's own, or a layer's).
    fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::InvalidBody,
            StatusCode::UNAUTHORIZED => ErrorCode::NotAuthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::DatabaseUnavailable,
            s if s.is_client_error() => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

/// One field that failed validation (SEC-8): its name (a JSON path for nested fields) and the
/// code of the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
}

/// An error answer: a code, and for a body that failed validation the fields at fault. The
/// message and request id are added on the way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub fields: Vec<FieldError>,
    /// Values the refusal is about (`threshold` of QY-BEN-3005), answered as `params`.
    pub params: Vec<(&'static str, String)>,
}

impl ApiError {
    /// Refuses a body whose `fields` broke their rules; the answer's code is the first field's.
    pub fn fields(fields: Vec<FieldError>) -> ApiError {
        ApiError {
            code: fields.first().map_or(ErrorCode::InvalidBody, |f| f.code),
            fields,
            params: Vec::new(),
        }
    }

    /// The refusal with a value it is about, for the caller to word its message with.
    pub fn with_param(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.params.push((name, value.into()));
        self
    }
}

#[derive(Clone)]
struct FieldErrors(Vec<FieldError>);

#[derive(Clone)]
struct ErrorParams(Vec<(&'static str, String)>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.code.status().into_response();
        response.extensions_mut().insert(self.code);
        if !self.fields.is_empty() {
            response.extensions_mut().insert(FieldErrors(self.fields));
        }
        if !self.params.is_empty() {
            response.extensions_mut().insert(ErrorParams(self.params));
        }
        response
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError {
            code,
            fields: Vec::new(),
            params: Vec::new(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::error!(error = %e, "database unavailable");
                ErrorCode::DatabaseUnavailable.into()
            }
            // PostgreSQL going down under a request (a restart, a failover to a standby): the
            // request failed as a whole and may be sent again, as for a connection that is gone
            sqlx::Error::Database(ref db) if db.code().is_some_and(|c| server_unavailable(&c)) => {
                tracing::error!(error = %e, "database unavailable");
                ErrorCode::DatabaseUnavailable.into()
            }
            e => {
                tracing::error!(error = %e, "database error");
                ErrorCode::Internal.into()
            }
        }
    }
}

/// SQLSTATEs of a server that is shutting down, starting up or gone: class 08 (connection
/// exception) and 57P01–57P05 (admin_shutdown, crash_shutdown, cannot_connect_now,
/// database_dropped, idle_session_timeout). The transaction did not commit.
fn server_unavailable(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || sqlstate.starts_with("57P")
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        tracing::info!(rejection = %rejection.body_text(), "query string refused");
        ErrorCode::InvalidQuery.into()
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        tracing::info!(rejection = %rejection.body_text(), "path refused");
        ErrorCode::InvalidPath.into()
    }
}

/// The error body every endpoint answers with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code `QY-<AREA>-<NNNN>`; every one is in the catalogue `docs/errors.md`.
    pub code: &'static str,
    /// Human-readable message in the caller's language (zh-CN default, `Accept-Language: en`).
    pub message: &'static str,
    /// The request id (`x-request-id`) to quote to support.
    pub request_id: String,
    /// For a body that failed validation: each field at fault with its own code and message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
    /// Values the refusal is about, for a client's own wording: `threshold` (fen) with
    /// QY-BEN-3005.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    /// The field's name in the request body (`roles[2]` for an element).
    pub field: String,
    pub code: &'static str,
    pub message: &'static str,
}

/// Middleware: every error response leaves as `{code, message, request_id}` JSON — ours by
/// their code, anything else (axum's rejections, 404, 405, layers) by its status.
pub async fn render(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let code = match response.extensions().get::<ErrorCode>() {
        Some(code) => *code,
        None if is_json(response.headers()) => return response,
        None => ErrorCode::for_status(status),
    };
    let (mut parts, _) = response.into_parts();
    let fields = parts
        .extensions
        .remove::<FieldErrors>()
        .map(|f| f.0)
        .unwrap_or_default();
    let params = parts
        .extensions
        .remove::<ErrorParams>()
        .map(|p| p.0.into_iter().collect())
        .unwrap_or_default();
    let body = ErrorBody {
        code: code.code(),
        message: code.message(lang),
        request_id,
        fields: fields
            .into_iter()
            .map(|f| FieldErrorBody {
                field: f.field,
                code: f.code.code(),
                message: f.code.message(lang),
            })
            .collect(),
        params,
    };
    let bytes = serde_json::to_vec(&body).expect("the error body always serializes");
    parts.status = code.status();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    parts.extensions.insert(code);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn lang(value: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).unwrap(),
        );
        Lang::from_headers(&headers)
    }

    #[test]
    fn a_server_shutting_down_or_gone_is_unavailable_a_refused_statement_is_not() {
        // terminating connection due to administrator command (pg_ctl stop -m fast, a restart)
        assert!(server_unavailable("57P01"));
        assert!(server_unavailable("57P02"));
        // the database system is starting up
        assert!(server_unavailable("57P03"));
        assert!(server_unavailable("08006"));
        // unique violation, serialization failure, query canceled: answers of a live server
        assert!(!server_unavailable("23505"));
        assert!(!server_unavailable("40001"));
        assert!(!server_unavailable("57014"));
    }

    #[test]
    fn english_only_when_the_caller_prefers_it() {
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Zh);
        assert_eq!(lang("en"), Lang::En);
        assert_eq!(lang("en-US,en;q=0.9"), Lang::En);
        assert_eq!(lang("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(lang("en;q=0.5,zh-CN;q=0.9"), Lang::Zh);
        assert_eq!(lang("fr-FR,en;q=0.3"), Lang::En);
        assert_eq!(lang("fr-FR"), Lang::Zh);
    }

    #[test]
    fn codes_are_unique_well_formed_and_errors() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate code {}", code.code());
            let parts: Vec<&str> = code.code().split('-').collect();
            assert_eq!(parts.len(), 3, "{}", code.code());
            assert_eq!(parts[0], "QY");
            assert!(parts[1].chars().all(|c| c.is_ascii_uppercase()));
            assert!(parts[2].len() == 4 && parts[2].chars().all(|c| c.is_ascii_digit()));
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(!code.message(Lang::Zh).is_empty() && !code.message(Lang::En).is_empty());
        }
    }

    const BEGIN: &str = "<!-- generated from ErrorCode::ALL in api/src/error.rs: begin -->\n";
    const END: &str = "<!-- generated: end -->";

    /// The areas of the codes, in the order docs/errors.md shows them.
    const AREAS: &[(&str, &str)] = &[
        ("REQ", "The request itself · 请求"),
        ("AUTH", "Sign-in and sessions · 登录与会话"),
        ("PWD", "Passwords · 密码"),
        ("SYS", "System and system administration · 系统管理"),
        ("CLI", "Signed clients (channel API) · 接入方签名"),
        (
            "BEN",
            "Benefits: templates, stock, claims, redemptions · 权益",
        ),
        ("CAMP", "Campaigns · 营销活动"),
        ("PROC", "Processes and approvals · 流程与审批"),
        ("ESB", "ESB administration · 接口服务管理"),
        ("LED", "The ledger and points · 账务与积分"),
        ("PTS", "Points rules and core transactions · 积分规则"),
        ("TIER", "Tiers, tier benefits and upgrade tasks · 用户等级"),
        ("CUST", "Customers and their personal data · 客户"),
        ("FILE", "Files · 文件"),
        ("ONB", "Merchant onboarding · 商户入驻"),
        (
            "MER",
            "Merchants: status, users, settlement account · 商户管理",
        ),
        ("MALL", "The mall: catalogue, products, listing · 积分商城"),
        ("SHOP", "The customers' H5 mall: sessions · 客户端积分商城"),
        ("INS", "Inspections and rectifications · 巡查与整改"),
    ];

    /// The tables of docs/errors.md: one per area, every code in `ErrorCode::ALL`, by code.
    fn catalogue_tables() -> String {
        let mut out = String::new();
        for (area, title) in AREAS {
            let mut codes: Vec<ErrorCode> = ErrorCode::ALL
                .iter()
                .copied()
                .filter(|c| c.code().split('-').nth(1) == Some(area))
                .collect();
            codes.sort_by_key(|c| c.code());
            out.push_str(&format!(
                "\n### QY-{area}: {title}\n\n| Code | HTTP | 中文 | English |\n| --- | --- | --- | --- |\n"
            ));
            for c in codes {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    c.code(),
                    c.status().as_u16(),
                    c.message(Lang::Zh).replace('|', "\\|"),
                    c.message(Lang::En).replace('|', "\\|"),
                ));
            }
        }
        out.push('\n');
        out
    }

    /// docs/errors.md lists every code as the catalogue has it; `UPDATE_DOCS=1` rewrites its tables.
    #[test]
    fn the_error_document_lists_every_code_as_the_catalogue_has_it() {
        for code in ErrorCode::ALL {
            let area = code.code().split('-').nth(1).unwrap_or_default();
            assert!(
                AREAS.iter().any(|(a, _)| *a == area),
                "{}: name its area in AREAS",
                code.code()
            );
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/errors.md");
        let page = std::fs::read_to_string(&path).expect("docs/errors.md");
        let (head, rest) = page.split_once(BEGIN).expect("the begin marker");
        let (_, tail) = rest.split_once(END).expect("the end marker");
        let expected = format!("{head}{BEGIN}{}{END}{tail}", catalogue_tables());
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        assert!(
            page == expected,
            "docs/errors.md disagrees with ErrorCode::ALL: run UPDATE_DOCS=1 cargo test -p quanyi-api error"
        );
    }

    /// The catalogue is data that clients rely on: any change shows up in review.
    #[test]
    fn error_catalogue() {
        let table: Vec<serde_json::Value> = ErrorCode::ALL
            .iter()
            .map(|c| {
                serde_json::json!({
                    "code": c.code(),
                    "status": c.status().as_u16(),
                    "zh-CN": c.message(Lang::Zh),
                    "en": c.message(Lang::En),
                })
            })
            .collect();
        insta::assert_yaml_snapshot!(table);
    }
}
