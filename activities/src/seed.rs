//! The demo bank: a small org tree, roles and staff logins, a merchant, and demo coupons, written
//! once per database.

use crate::audit::Entry;
use crate::crypto::DataKey;
use crate::identity::password;
use sqlx::PgPool;

/// The password of every demo login. Printed by `quanyi dev`; never used outside the demo bank.
pub const DEMO_PASSWORD: &str = "Quanyi@2026";

/// A demo login as `quanyi dev` prints it.
pub struct DemoLogin {
    pub username: &'static str,
    pub display_name: &'static str,
    pub org: &'static str,
    pub role: &'static str,
}

pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        username: "admin",
        display_name: "系统管理员",
        org: "总行",
        role: "admin",
    },
    DemoLogin {
        username: "auditor",
        display_name: "审计员",
        org: "总行",
        role: "auditor",
    },
    DemoLogin {
        username: "planner",
        display_name: "城东分行营销策划",
        org: "城东分行",
        role: "planner",
    },
    DemoLogin {
        username: "reviewer1",
        display_name: "城东分行营销初审",
        org: "城东分行",
        role: "first_reviewer",
    },
    DemoLogin {
        username: "reviewer2",
        display_name: "总行营销复核",
        org: "总行",
        role: "second_reviewer",
    },
    DemoLogin {
        username: "monitor",
        display_name: "运营监控",
        org: "总行",
        role: "monitor",
    },
    DemoLogin {
        username: "merchant_manager",
        display_name: "总行商户管理岗",
        org: "总行",
        role: "merchant_manager",
    },
    DemoLogin {
        username: "inspector1",
        display_name: "城东分行巡查员",
        org: "城东分行",
        role: "inspector",
    },
    DemoLogin {
        username: "inspector2",
        display_name: "总行巡查员",
        org: "总行",
        role: "inspector",
    },
    DemoLogin {
        username: "m001_admin",
        display_name: "城东便利店管理员",
        org: "城东分行",
        role: "merchant_admin",
    },
    DemoLogin {
        username: "clerk",
        display_name: "城东便利店收银员",
        org: "城东分行",
        role: "merchant_clerk",
    },
];

const ORGS: &[(&str, Option<&str>, &str, i16)] = &[
    ("HO", None, "总行", 1),
    ("BR01", Some("HO"), "城东分行", 2),
    ("BR02", Some("HO"), "城西分行", 2),
    ("SB0101", Some("BR01"), "城东分行营业部", 3),
    ("SB0102", Some("BR01"), "城东新区支行", 3),
    ("SB0201", Some("BR02"), "城西分行营业部", 3),
    ("SB0202", Some("BR02"), "高新区支行", 3),
];

/// A demo role: code, name, data scope, separation-of-duties side, permissions.
type RoleSeed = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

const ROLES: &[RoleSeed] = &[
    (
        "admin",
        "系统管理员",
        "all",
        Some("administration"),
        &[
            "system:status:view",
            "system:org:view",
            "system:org:create",
            "system:org:update",
            "system:user:view",
            "system:user:create",
            "system:user:reset_password",
            "system:user:reset_totp",
            "pii:user:unmask",
            "system:user:unlock",
            "system:user:disable",
            "system:role:view",
            "system:role:grant",
            "system:role:create",
            "system:role:update",
            "system:menu:view",
            "system:menu:update",
            "system:log:view",
            "system:parameter:view",
            "system:parameter:update",
            "system:dictionary:update",
            "process:policy:view",
            "process:policy:update",
            "esb:consumer:manage",
            "esb:log:view",
            "system:notification:view",
            "esb:outbound:view",
        ],
    ),
    (
        "auditor",
        "审计员",
        "all",
        Some("audit"),
        &[
            "system:audit:view",
            "system:log:view",
            "system:log:export",
            "system:parameter:view",
            "system:org:view",
        ],
    ),
    (
        "planner",
        "营销策划",
        "org_and_below",
        None,
        &[
            "system:org:view",
            "benefit:template:view",
            "benefit:template:create",
            "benefit:template:update",
            "benefit:stock:view",
            "benefit:stock:update",
            "benefit:coupon:view",
            "benefit:coupon:export",
            "benefit:coupon:withdraw",
            "benefit:redemption:view",
            "campaign:campaign:view",
            "campaign:campaign:create",
            "campaign:campaign:update",
            "campaign:campaign:submit",
            "campaign:campaign:operate",
            "campaign:delivery:view",
            "task:task:view",
            "points:account:view",
            "points:transfer:earn",
            "points:transfer:spend",
            "points:transfer:reverse",
            "points:rule:view",
            "points:rule:manage",
            "points:account:export",
            "tier:tier:view",
            "tier:tier:manage",
            "customer:customer:view",
            "customer:customer:import",
            "customer:customer:update",
            "pii:customer:unmask",
            "merchant:application:apply",
        ],
    ),
    (
        "first_reviewer",
        "营销初审",
        "org_and_below",
        None,
        &[
            "system:org:view",
            "campaign:campaign:view",
            "task:task:view",
            "task:task:approve",
            "merchant:application:view",
            "merchant:inspection:view",
        ],
    ),
    (
        "second_reviewer",
        "营销复核",
        "all",
        None,
        &[
            "system:org:view",
            "campaign:campaign:view",
            "task:task:view",
            "task:task:approve",
            "merchant:application:view",
            "pii:merchant:unmask",
            "merchant:inspection:view",
        ],
    ),
    (
        "monitor",
        "运营监控",
        "all",
        None,
        &[
            "system:status:view",
            "system:org:view",
            "benefit:template:view",
            "benefit:stock:view",
            "benefit:coupon:view",
            "benefit:redemption:view",
            "campaign:campaign:view",
            "campaign:delivery:view",
            "process:instance:view",
            "process:policy:view",
            "system:notification:view",
            "esb:outbound:view",
            "points:account:view",
            "points:rule:view",
            "tier:tier:view",
            "customer:customer:view",
            "merchant:inspection:view",
        ],
    ),
    (
        "merchant_manager",
        "商户管理岗",
        "all",
        None,
        &[
            "system:org:view",
            "benefit:template:view",
            "benefit:merchant:manage",
            "benefit:client:manage",
            "benefit:redemption:view",
            "product:product:view",
            "product:catalogue:manage",
            "listing:product:delist",
            "product:review:moderate",
            "merchant:inspection:view",
            "merchant:inspection:manage",
            "merchant:inspection:export",
        ],
    ),
    (
        "merchant_admin",
        "商户管理员",
        "self",
        None,
        &[
            "merchant:user:manage",
            "merchant:settlement:request",
            "product:product:supply",
            "merchant:portal:view",
            "benefit:coupon:redeem",
            "benefit:redemption:view",
            "merchant:inspection:answer",
        ],
    ),
    (
        "inspector",
        "巡查员",
        "org_and_below",
        None,
        &[
            "system:org:view",
            "task:task:view",
            "merchant:inspection:view",
            "merchant:inspection:execute",
        ],
    ),
    (
        "merchant_clerk",
        "商户收银员",
        "self",
        None,
        &["benefit:coupon:redeem", "benefit:redemption:view"],
    ),
];

/// Contact details of the demo staff (fictional numbers), shown masked in the user list.
const CONTACTS: &[(&str, &str, &str)] = &[
    ("admin", "13800138000", "admin@quanyi.example"),
    ("auditor", "13900139001", "auditor@quanyi.example"),
    ("planner", "13700137002", "planner@quanyi.example"),
    ("reviewer1", "13600136003", "reviewer1@quanyi.example"),
    ("reviewer2", "13500135004", "reviewer2@quanyi.example"),
    ("inspector1", "13200132007", "inspector1@quanyi.example"),
    ("inspector2", "13200132008", "inspector2@quanyi.example"),
    ("m001_admin", "13300133005", "admin@m001.example"),
    ("clerk", "13300133006", "clerk@m001.example"),
];

/// What seeding did.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Seeded,
    AlreadySeeded,
}

/// Seeds the demo bank unless this database has been seeded before; one transaction.
#[tracing::instrument(skip(pool, key))]
pub async fn seed_demo_bank(pool: &PgPool, key: &DataKey) -> Result<SeedOutcome, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let first = sqlx::query!(
        r#"INSERT INTO app_meta (key, value) VALUES ('demo_seed', jsonb_build_object('at', now()))
           ON CONFLICT (key) DO NOTHING"#
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        return Ok(SeedOutcome::AlreadySeeded);
    }
    for (code, parent, name, level) in ORGS {
        sqlx::query!(
            r#"INSERT INTO orgs (code, parent_id, name, level, path)
               SELECT $1, p.id, $3, $4, coalesce(p.path, '/') || $1 || '/'
                 FROM (SELECT NULL) AS one
                 LEFT JOIN orgs p ON p.code = $2"#,
            code,
            *parent,
            name,
            level
        )
        .execute(&mut *tx)
        .await?;
    }
    for (code, name, scope, duty, permissions) in ROLES {
        let role_id = sqlx::query_scalar!(
            "INSERT INTO roles (code, name, data_scope, duty) VALUES ($1, $2, $3, $4) RETURNING id",
            code,
            name,
            scope,
            *duty
        )
        .fetch_one(&mut *tx)
        .await?;
        for permission in *permissions {
            sqlx::query!(
                "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)",
                role_id,
                permission
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    for login in DEMO_LOGINS {
        sqlx::query!(
            r#"WITH u AS (
                 INSERT INTO users (username, display_name, org_id, kind, password_hash)
                 SELECT $1, $2, id, 'staff', $4 FROM orgs WHERE name = $3
                 RETURNING id)
               INSERT INTO user_roles (user_id, role_id)
               SELECT u.id, r.id FROM u, roles r WHERE r.code = $5"#,
            login.username,
            login.display_name,
            login.org,
            password::hash(DEMO_PASSWORD),
            login.role
        )
        .execute(&mut *tx)
        .await?;
    }
    // SEC-2: administrators and auditors sign in with a second factor, enrolled at first sign-in
    sqlx::query!("UPDATE roles SET require_totp = true WHERE code IN ('admin', 'auditor')")
        .execute(&mut *tx)
        .await?;
    for (username, phone, email) in CONTACTS {
        sqlx::query!(
            "UPDATE users SET phone = $2, email = $3 WHERE username = $1",
            username,
            phone,
            email
        )
        .execute(&mut *tx)
        .await?;
    }
    // a demo merchant with two stores; its administrator and its cashier sign in as merchant users
    sqlx::query!(
        "WITH m AS (INSERT INTO merchants (code, name, org_id)
                    SELECT 'M001', '城东便利店', id FROM orgs WHERE code = 'BR01' RETURNING id)
         INSERT INTO stores (merchant_id, code, name)
         SELECT m.id, s.code, s.name FROM m,
                (VALUES ('S001', '城东便利店人民路店'), ('S002', '城东便利店新区店')) AS s (code, name)"
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE users SET kind = 'merchant', merchant_id = (SELECT id FROM merchants WHERE code = 'M001')
          WHERE username IN ('clerk', 'm001_admin')"
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    demo_benefits(pool, key).await?;
    Ok(SeedOutcome::Seeded)
}

/// The demo's mobile banking: the channel client the demo claims are made by, and whose key
/// `quanyi dev`'s H5 demo page signs customer assertions with.
pub const DEMO_CHANNEL_CLIENT: &str = "demo_mobile";

/// Demo coupons: three templates made thirty days ago, a channel client (its secret is random: the
/// demo's claims are made here, not over HTTP), thirty claims — one a day over the last thirty
/// days, so that 权益库存变动查询's chart has a history — and a few redemptions at the demo merchant.
async fn demo_benefits(pool: &PgPool, key: &DataKey) -> Result<(), sqlx::Error> {
    use crate::benefits::{admin, claim, clients, redeem};
    use quanyi_workflows::domain::{CustomerNo, Fen, Invalid, TemplateCode};
    let invalid = |e: Invalid| sqlx::Error::Decode(Box::new(e));
    let now = chrono::Utc::now();
    // the templates' history starts a month ago
    let created = now - chrono::Duration::days(30);
    let seed = Entry {
        username: Some("seed".into()),
        ..Entry::default()
    };
    let org = sqlx::query_scalar!("SELECT id FROM orgs WHERE code = 'HO'")
        .fetch_one(pool)
        .await?;
    let codes: Vec<TemplateCode> = ["DEMO-MJ20", "DEMO-ZK85", "DEMO-DJ10"]
        .into_iter()
        .map(TemplateCode::parse)
        .collect::<Result<_, _>>()
        .map_err(invalid)?;
    let template = |code: &TemplateCode, name: &str, kind: &str, face: i64, threshold, permille| {
        admin::NewTemplate {
            code: code.clone(),
            item_code: Some("DEMO-COUPON".into()),
            name: name.into(),
            kind: kind.into(),
            face_value: face,
            threshold,
            discount_permille: permille,
            claim_from: created - chrono::Duration::days(1),
            claim_to: now + chrono::Duration::days(60),
            valid_from: None,
            valid_to: None,
            valid_days: Some(30),
            initial_stock: 1000,
            shards: 4,
            limit_per_day: Some(1),
            limit_total: Some(3),
            limit_per_campaign: None,
            limit_per_merchant_day: None,
            merchant_codes: vec!["M001".into()],
            active: true,
        }
    };
    let _ = admin::create_item(
        pool,
        "DEMO-COUPON",
        "门店消费优惠券",
        "城东便利店的满减、折扣与代金券",
        now,
        seed.clone(),
    )
    .await?;
    for t in [
        template(&codes[0], "满100减20", "threshold", 2000, 10000, None),
        template(
            &codes[1],
            "全场8.5折（最高减50元）",
            "discount",
            5000,
            0,
            Some(850),
        ),
        template(&codes[2], "10元代金券", "cash", 1000, 0, None),
    ] {
        // a refusal here means an earlier, interrupted seeding already made it
        let _ = admin::create_template(pool, &t, org, created, seed.clone()).await?;
    }
    let client = clients::NewClient {
        code: DEMO_CHANNEL_CLIENT.into(),
        name: "手机银行（演示）".into(),
        kind: clients::ClientKind::Channel,
        merchant_id: None,
    };
    let Ok((client_id, _)) = clients::register(pool, key, client, created, seed.clone()).await?
    else {
        return Ok(());
    };
    let clerk = sqlx::query_scalar!("SELECT id FROM users WHERE username = 'clerk'")
        .fetch_one(pool)
        .await?;
    let merchant = sqlx::query_scalar!("SELECT id FROM merchants WHERE code = 'M001'")
        .fetch_one(pool)
        .await?;
    for i in 0..30 {
        // one claim a day, the last two hours ago
        let at = now - chrono::Duration::days(29 - i as i64) - chrono::Duration::hours(2);
        let request_id = format!("demo-{i:04}");
        let customer = CustomerNo::parse(&format!("C{:08}", 10_000_000 + i)).map_err(invalid)?;
        let request = claim::ClaimRequest {
            client_id,
            request_id: &request_id,
            body: request_id.as_bytes(),
            template_code: &codes[i % 3],
            customer_no: &customer,
            campaign_id: None,
            nonce: None,
        };
        let Ok(coupon) = claim::claim(pool, &request, at).await? else {
            continue;
        };
        if i % 4 == 0 {
            let redeem = redeem::RedeemRequest {
                merchant_id: merchant,
                by: redeem::Redeemer::User(clerk),
                request_id: &request_id,
                coupon: &coupon.coupon_code,
                store_code: "S001",
                order_amount: Fen::new(12_800).map_err(invalid)?,
                order_ref: &format!("POS-DEMO-{i:04}"),
                nonce: None,
            };
            let _ = redeem::redeem(pool, &redeem, at + chrono::Duration::hours(1)).await?;
        }
    }
    Ok(())
}

/// A `width`×`height` PNG of two bands of colour, for the demo mall's product and banner images.
pub fn demo_swatch(width: u32, height: u32, top: [u8; 3], bottom: [u8; 3]) -> Vec<u8> {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        let colour = if y < height * 2 / 3 { top } else { bottom };
        for _ in 0..width {
            data.extend_from_slice(&colour);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    if let Ok(mut writer) = encoder.write_header() {
        // writing into a Vec cannot fail but for a wrong length, which this is not
        let _ = writer.write_image_data(&data);
    }
    out
}
