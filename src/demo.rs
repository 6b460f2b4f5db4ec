//! The demo bank's campaigns (one in each state a campaign can rest in), merchant applications (one
//! in each state an application can rest in, and a merchant disabled and enabled again), customers,
//! the mall and inspections, each driven there through the real process (the same start and
//! actions the API uses), so the inbox, the monitor and the home page are alive on first start.
//! Written once per database, after the worker is up.

use chrono::{Duration, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::campaign::{self as store, DeliverySettings, NewCampaign, Rule};
use quanyi_api::AppState;
use quanyi_api::error::ApiError;
use quanyi_api::process::{act, actor_of};
use quanyi_workflows::approval::{Actor, Decision};
use quanyi_workflows::campaign::{Action, ActionRequest, CampaignAction};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::merchant_status::StatusAction;
use quanyi_workflows::onboarding::ApplicantAction;
use quanyi_workflows::process::{ApprovalAction, NoOwn};
use uuid::Uuid;

/// Where a demo campaign is driven to.
#[derive(Clone, Copy)]
enum Goal {
    Draft,
    FirstReview,
    SecondReview,
    Scheduled,
    Running,
    Paused,
    Evaluated,
    Rejected,
    Cancelled,
    Returned,
    ChangeRequested,
}

struct Demo {
    name: &'static str,
    kind: &'static str,
    org: &'static str,
    /// Start and end, in hours from now.
    window: (i64, i64),
    goal: Goal,
}

const DEMOS: &[Demo] = &[
    Demo {
        name: "春节红包派发",
        kind: "grant",
        org: "SB0101",
        window: (240, 480),
        goal: Goal::Draft,
    },
    Demo {
        name: "信用卡新客礼",
        kind: "grant",
        org: "SB0101",
        window: (72, 720),
        goal: Goal::FirstReview,
    },
    Demo {
        name: "代发工资客户抽奖",
        kind: "lottery",
        org: "SB0102",
        window: (96, 720),
        goal: Goal::SecondReview,
    },
    Demo {
        name: "五一出行秒杀",
        kind: "seckill",
        org: "BR01",
        window: (120, 168),
        goal: Goal::Scheduled,
    },
    Demo {
        name: "开门红存款有礼",
        kind: "grant",
        org: "SB0101",
        window: (-24, 720),
        goal: Goal::Running,
    },
    Demo {
        name: "社保卡激活礼",
        kind: "grant",
        org: "SB0102",
        window: (-48, 480),
        goal: Goal::Paused,
    },
    Demo {
        name: "国庆消费季",
        kind: "lottery",
        org: "BR01",
        window: (-72, 0),
        goal: Goal::Evaluated,
    },
    Demo {
        name: "手机银行签到有礼",
        kind: "grant",
        org: "SB0101",
        window: (48, 240),
        goal: Goal::Rejected,
    },
    Demo {
        name: "网点周年庆",
        kind: "grant",
        org: "SB0101",
        window: (150, 200),
        goal: Goal::Cancelled,
    },
    Demo {
        name: "理财节 客户回馈",
        kind: "grant",
        org: "SB0102",
        window: (100, 400),
        goal: Goal::Returned,
    },
    Demo {
        name: "基金定投 月月礼",
        kind: "grant",
        org: "BR01",
        window: (-12, 300),
        goal: Goal::ChangeRequested,
    },
];

fn failed(what: &str) -> impl Fn(ApiError) -> String + '_ {
    move |e| format!("{what}: {}", e.code.code())
}

async fn staff(
    state: &AppState,
    username: &str,
) -> Result<(quanyi_activities::identity::User, Actor), String> {
    let id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&state.pool)
        .await
        .map_err(|e| format!("demo user {username}: {e}"))?;
    let user = quanyi_activities::identity::user(&state.pool, id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("demo user {username} is missing"))?;
    let (_, actor) = actor_of(state, &user).await.map_err(failed(username))?;
    Ok((user, actor))
}

fn seed_entry() -> Entry {
    Entry {
        username: Some("seed".into()),
        ..Entry::default()
    }
}

/// Seeds the demo campaigns unless the database has campaigns already; answers how many.
pub async fn seed_campaigns(state: &AppState) -> Result<usize, String> {
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM campaigns")
        .fetch_one(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(0);
    }
    let (planner_user, planner) = staff(state, "planner").await?;
    let (_, reviewer1) = staff(state, "reviewer1").await?;
    let (_, reviewer2) = staff(state, "reviewer2").await?;
    let now = Utc::now();
    for (n, demo) in DEMOS.iter().enumerate() {
        let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
            .bind(demo.org)
            .fetch_one(&state.pool)
            .await
            .map_err(|e| e.to_string())?;
        let end = if matches!(demo.goal, Goal::Evaluated) {
            now + Duration::seconds(5)
        } else {
            now + Duration::hours(demo.window.1)
        };
        let new = NewCampaign {
            name: demo.name.into(),
            kind: demo.kind.into(),
            org_id: org,
            channels: vec!["mobile_banking".into(), "wechat".into()],
            start_at: now + Duration::hours(demo.window.0),
            end_at: end,
            success_criteria: "活动期间新增签约客户 ≥ 500 户".into(),
            description: format!("演示活动：{}", demo.name),
            rules: vec![Rule {
                name: "满减券".into(),
                budget_fen: 1_000_000 * (n as i64 + 1),
                template_code: Some("DEMO-MJ20".into()),
            }],
            delivery: DeliverySettings {
                priority: 10 * (n as i16 + 1),
                entry_title: format!("{}（点击领取）", demo.name),
                entry_image_url: format!("/static/demo/campaign-{}.png", n + 1),
                entry_link: format!("/mobile/campaigns/{}", n + 1),
                benefit_summary: "满 100 减 20 元".into(),
                frequency_cap: Some(3),
            },
        };
        let id = store::create(&state.pool, &new, now, seed_entry())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|r| format!("demo campaign {}: {r:?}", demo.name))?;
        let csv: String = (0..200 + n * 37)
            .map(|i| format!("C{:09}\n", 100_000 + i * 7 + n))
            .collect();
        let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(csv))]);
        store::replace_customers(&state.pool, id, body, now, seed_entry())
            .await
            .map_err(|e| format!("demo list {}: {e}", demo.name))?;
        if matches!(demo.goal, Goal::Draft) {
            continue;
        }
        drive(
            state,
            id,
            demo.goal,
            &planner_user,
            &planner,
            &reviewer1,
            &reviewer2,
        )
        .await?;
    }
    Ok(DEMOS.len())
}

async fn drive(
    state: &AppState,
    id: Uuid,
    goal: Goal,
    planner_user: &quanyi_activities::identity::User,
    planner: &Actor,
    reviewer1: &Actor,
    reviewer2: &Actor,
) -> Result<(), String> {
    let record = store::detail(&state.pool, id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the demo campaign vanished")?;
    let wf = ProcessKind::Campaign.workflow_id(&id.to_string());
    quanyi_api::campaign::start(state, &record, planner, Some("请审批".into()))
        .await
        .map_err(failed("start"))?;
    let entry = |who: &Actor| Entry {
        username: Some(who.username.clone()),
        ..Entry::default()
    };
    let step = |who: &Actor, action: Action, comment: &str| ActionRequest {
        actor: who.clone(),
        action,
        comment: Some(comment.to_owned()),
    };
    let decide = |level: usize, decision: Decision| {
        Action::Approval(ApprovalAction::Decide {
            step: "review-1".into(),
            level,
            decision,
        })
    };
    match goal {
        Goal::Draft | Goal::FirstReview => return Ok(()),
        Goal::Rejected => {
            let r = step(reviewer1, decide(1, Decision::Reject), "预算依据不足，驳回");
            act(state, entry(reviewer1), &wf, r)
                .await
                .map_err(failed("reject"))?;
            return Ok(());
        }
        Goal::Returned => {
            let r = step(reviewer1, decide(1, Decision::Return), "请补充目标客群说明");
            act(state, entry(reviewer1), &wf, r)
                .await
                .map_err(failed("return"))?;
            return Ok(());
        }
        _ => {}
    }
    let r = step(reviewer1, decide(1, Decision::Approve), "同意");
    act(state, entry(reviewer1), &wf, r)
        .await
        .map_err(failed("初审"))?;
    if matches!(goal, Goal::SecondReview) {
        return Ok(());
    }
    let r = step(reviewer2, decide(2, Decision::Approve), "同意发布");
    act(state, entry(reviewer2), &wf, r)
        .await
        .map_err(failed("复核"))?;
    let follow = match goal {
        Goal::Paused => Some((CampaignAction::Pause, "渠道系统升级，暂停")),
        Goal::Cancelled => Some((CampaignAction::Cancel, "与总行活动重叠，取消")),
        Goal::ChangeRequested => Some((
            CampaignAction::Modify {
                end_at: Some(record.summary.end_at + Duration::days(30)),
                budget_fen: Some(record.summary.budget_fen * 2),
            },
            "效果良好，申请延期并追加预算",
        )),
        _ => None,
    };
    if let Some((action, comment)) = follow {
        if matches!(goal, Goal::Paused | Goal::ChangeRequested) {
            wait_for_state(state, &wf, "Running").await?;
        }
        let who = quanyi_api::identity::auth::actor(planner_user, ([127, 0, 0, 1], 0).into());
        act(state, who, &wf, step(planner, Action::Own(action), comment))
            .await
            .map_err(failed("planner's action"))?;
    }
    Ok(())
}

async fn wait_for_state(state: &AppState, wf: &str, wanted: &str) -> Result<(), String> {
    for _ in 0..100 {
        let now: Option<String> =
            sqlx::query_scalar("SELECT state FROM process_instances WHERE workflow_id = $1")
                .bind(wf)
                .fetch_optional(&state.pool)
                .await
                .map_err(|e| e.to_string())?;
        if now.as_deref() == Some(wanted) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("{wf} did not reach {wanted}"))
}

/// Surnames and given names the demo customers are made of (nobody's real data).
const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: &[&str] = &[
    "晓明", "丽华", "建国", "思远", "雨桐", "子涵", "志强", "欣怡",
];
/// The orgs the demo customers are served by, in turn.
const CUSTOMER_ORGS: &[&str] = &["SB0101", "SB0102", "SB0201", "SB0202"];
/// As many as the demo bank's coupon holders (`C10000000`…), and ten more without coupons.
const DEMO_CUSTOMERS: usize = 40;

/// Seeds the demo customers unless the database has customers already (or the installation has
/// no customers' keys): personal data sealed through the one module that may, and points from
/// their org's funding account through the ledger, so 客户信息 has pages worth opening. Answers
/// how many.
pub async fn seed_customers(state: &AppState) -> Result<usize, String> {
    use quanyi_activities::customers::{self, CustomerInput, PersonalData, Status};
    use quanyi_activities::identity::scope::DataScope;
    use quanyi_activities::points;
    use quanyi_workflows::domain::CustomerNo;

    let Some(keys) = state.settings.customer_keys.as_ref() else {
        return Ok(0);
    };
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(0);
    }
    let now = Utc::now();
    seed_points_program(state).await?;
    for i in 0..DEMO_CUSTOMERS {
        let no =
            CustomerNo::parse(&format!("C{:08}", 10_000_000 + i)).map_err(|e| e.to_string())?;
        let org_code = CUSTOMER_ORGS[i % CUSTOMER_ORGS.len()];
        let input = CustomerInput {
            customer_no: no.clone(),
            org_code: org_code.into(),
            status: if i % 13 == 12 {
                Status::Dormant
            } else {
                Status::Active
            },
            opened_on: chrono::NaiveDate::from_ymd_opt(
                2010 + (i % 15) as i32,
                1 + (i % 12) as u32,
                8,
            ),
            personal: PersonalData {
                name: Some(format!(
                    "{}{}",
                    SURNAMES[i % SURNAMES.len()],
                    GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()]
                )),
                phone: Some(format!("1380013{:04}", 1000 + i * 7)),
                id_number: None,
                card_numbers: Vec::new(),
            },
        };
        customers::upsert(
            &state.pool,
            keys,
            &DataScope::All,
            &input,
            now,
            seed_entry(),
        )
        .await
        .map_err(|e| e.to_string())?
        .map_err(|refusal| format!("demo customer {}: {refusal:?}", no.as_str()))?;
        let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
            .bind(org_code)
            .fetch_one(&state.pool)
            .await
            .map_err(|e| e.to_string())?;
        let key = format!("demo:earn:{}", no.as_str());
        let call = points::Call {
            key: &key,
            body: key.as_bytes(),
            actor: "seed",
            now,
            audit: Some(Entry {
                action: "points.transfer.earn",
                target: Some(key.clone()),
                ..seed_entry()
            }),
        };
        let points = 200 + (i as i64 * 137) % 2_800;
        points::earn(&state.pool, call, &no, org, points, "开户礼（演示）".into())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|refused| format!("demo points of {}: {refused:?}", no.as_str()))?;
        // the tier the points reach, and its benefits
        points::tiers::after_earning(&state.pool, &no, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(DEMO_CUSTOMERS)
}

/// The demo's points programme: three earning rules (card spends shared by the head office and
/// 城东分行, deposits, the daily check-in), three tiers with benefits on the demo coupons, and an
/// upgrade task. A part made before (an interrupted seeding) is left as it is.
async fn seed_points_program(state: &AppState) -> Result<(), String> {
    use quanyi_activities::points::rules::{self, Terms};
    use quanyi_activities::points::tiers::{self, TaskTerms, TierTerms};
    let now = Utc::now();
    let org = |code: &'static str| {
        let pool = state.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM orgs WHERE code = $1")
                .bind(code)
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let (ho, br01) = (org("HO").await?, org("BR01").await?);
    let base = Terms {
        name: String::new(),
        txn_type: String::new(),
        min_amount_fen: 0,
        fixed_points: 0,
        points_per_unit: 0,
        unit_fen: 100,
        multiplier_pct: 100,
        daily_cap: None,
        monthly_cap: None,
        valid_from: now - Duration::days(30),
        valid_to: now + Duration::days(365),
        campaign_id: None,
        hq_org_id: Some(ho),
        hq_pct: 100,
        branch_org_id: None,
        branch_pct: 0,
        merchant_id: None,
        merchant_pct: 0,
    };
    let rules = [
        (
            "CARD-SPEND",
            Terms {
                name: "信用卡消费积分（每元 1 分）".into(),
                txn_type: "card_spend".into(),
                points_per_unit: 1,
                daily_cap: Some(5000),
                monthly_cap: Some(50_000),
                hq_pct: 60,
                branch_org_id: Some(br01),
                branch_pct: 40,
                ..base.clone()
            },
        ),
        (
            "DEPOSIT",
            Terms {
                name: "存款积分（每 100 元 1 分）".into(),
                txn_type: "deposit".into(),
                points_per_unit: 1,
                unit_fen: 10_000,
                monthly_cap: Some(10_000),
                ..base.clone()
            },
        ),
        (
            "CHECK-IN",
            Terms {
                name: "每日签到 10 分".into(),
                txn_type: "check_in".into(),
                fixed_points: 10,
                daily_cap: Some(10),
                ..base.clone()
            },
        ),
    ];
    for (code, terms) in &rules {
        // a refusal: made by an earlier seeding
        let _ = rules::create(&state.pool, code, terms, now, seed_entry())
            .await
            .map_err(|e| e.to_string())?;
    }
    let levels = [
        ("silver", "银卡会员", 1, 500, None),
        ("gold", "金卡会员", 2, 1500, Some("DEMO-DJ10")),
        ("platinum", "白金会员", 3, 2500, Some("DEMO-MJ20")),
    ];
    let mut gold = None;
    for (code, name, rank, min, benefit) in levels {
        let terms = TierTerms {
            name: name.into(),
            rank,
            min_points_12m: min,
        };
        let Ok(id) = tiers::create_tier(&state.pool, code, &terms, now, seed_entry())
            .await
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        if code == "gold" {
            gold = Some(id);
        }
        if let Some(template) = benefit {
            let _ = tiers::set_benefits(&state.pool, id, &[template.into()], now, seed_entry())
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    if let Some(tier_id) = gold {
        let task = TaskTerms {
            name: "本月刷卡 3 次（每次满 50 元）升金卡".into(),
            txn_type: "card_spend".into(),
            min_amount_fen: 5000,
            required_count: 3,
            tier_id,
        };
        let _ = tiers::create_task(&state.pool, "SPEND3", &task, now, seed_entry())
            .await
            .map_err(|e| e.to_string())?;
    }
    // the demo core: its real-time feed earns by the rules (ui/e2e/points.mjs signs as it)
    let consumer = quanyi_activities::esb::NewConsumer {
        code: DEMO_CORE.into(),
        name: "核心系统（演示）".into(),
        services: vec![
            "points.transaction".into(),
            "points.balance".into(),
            "points.history".into(),
        ],
        source_networks: None,
        rate_per_second: 100,
        burst: 100,
        acting_username: "planner".into(),
    };
    let _ = quanyi_activities::esb::register_with_secret(
        &state.pool,
        &state.settings.data_key,
        consumer,
        demo_core_secret(),
        now,
        seed_entry(),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// The demo core's ESB consumer code.
const DEMO_CORE: &str = "demo_core";

/// The demo core's signing secret: SHA-256 of a fixed text and the demo password, which every demo
/// login shares and the browser tests know; a demo bank's secrets are no secret.
fn demo_core_secret() -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(
        format!(
            "quanyi-demo-esb:{DEMO_CORE}:{}",
            quanyi_activities::seed::DEMO_PASSWORD
        )
        .as_bytes(),
    )
    .to_vec()
}

/// The demo mall's supplier: its merchant code and its administrator's login.
pub const DEMO_SUPPLIER: (&str, &str) = ("GY001", "supplier");

/// One demo product: name, category, price in points (and fen), colours of its picture, and
/// where it is driven.
struct DemoProduct {
    name: &'static str,
    category: &'static str,
    points: i64,
    fen: i64,
    colours: ([u8; 3], [u8; 3]),
    goal: Shelf,
    /// Beside 积分好物: 活动 and 秒杀 put a listed product in the H5 home's zones.
    zone: Option<&'static str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shelf {
    Draft,
    FirstReview,
    SecondReview,
    Listed,
    PriceChangePending,
    Delisted,
}

const DEMO_PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        name: "明前龙井 250g 礼盒",
        category: "tea",
        points: 12_800,
        fen: 0,
        colours: ([120, 170, 90], [240, 235, 215]),
        goal: Shelf::PriceChangePending,
        zone: Some(quanyi_activities::mall::catalogue::ACTIVITY_TAG),
    },
    DemoProduct {
        name: "每日坚果 30 袋装",
        category: "snacks",
        points: 6_800,
        fen: 990,
        colours: ([200, 140, 70], [250, 240, 220]),
        goal: Shelf::Listed,
        zone: Some(quanyi_activities::mall::catalogue::SECKILL_TAG),
    },
    DemoProduct {
        name: "不锈钢不粘炒锅 32cm",
        category: "kitchen",
        points: 19_900,
        fen: 0,
        colours: ([90, 100, 115], [225, 228, 232]),
        goal: Shelf::FirstReview,
        zone: None,
    },
    DemoProduct {
        name: "降噪蓝牙耳机",
        category: "digital",
        points: 39_900,
        fen: 9_900,
        colours: ([40, 60, 90], [210, 220, 235]),
        goal: Shelf::SecondReview,
        zone: None,
    },
    DemoProduct {
        name: "广式手工月饼 6 枚",
        category: "snacks",
        points: 8_800,
        fen: 0,
        colours: ([190, 120, 40], [245, 225, 190]),
        goal: Shelf::Draft,
        zone: None,
    },
    DemoProduct {
        name: "真空保温杯 500ml",
        category: "kitchen",
        points: 5_800,
        fen: 0,
        colours: ([170, 40, 50], [240, 220, 220]),
        goal: Shelf::Delisted,
        zone: None,
    },
];

/// Keeps a demo picture as `owner`'s upload: its file id.
async fn demo_picture(
    state: &AppState,
    owner: Uuid,
    name: &str,
    (top, bottom): ([u8; 3], [u8; 3]),
    size: (u32, u32),
) -> Result<Uuid, String> {
    use quanyi_activities::files::{self, Intake, Owner};
    let store = &state.settings.files;
    let bytes = quanyi_activities::seed::demo_swatch(size.0, size.1, top, bottom);
    let mut intake = Intake::start(store, Some(name)).map_err(|e| e.to_string())?;
    intake.push(&bytes).await.map_err(|e| e.to_string())?;
    let record = files::keep(
        &state.pool,
        store,
        intake,
        Owner::User(owner),
        Utc::now(),
        seed_entry(),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(record.id)
}

/// Seeds the demo mall unless the database has products already: a supplier (`GY001`, its
/// administrator `supplier`) with products in every listing state — a draft, one at 审核, one at
/// 复核, two on sale (one with a price change waiting), one delisted by staff — categories,
/// banners and navigation. Everything goes through the same store functions and processes the
/// API uses. Answers how many products.
pub async fn seed_mall(state: &AppState) -> Result<usize, String> {
    use quanyi_activities::mall::catalogue::{self, BannerDraft, CategoryDraft};
    use quanyi_activities::mall::products::{self, Edited, ProductDraft, SkuDraft};
    let db = |e: sqlx::Error| e.to_string();
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&state.pool)
        .await
        .map_err(db)?;
    if existing > 0 {
        return Ok(0);
    }
    let (merchant_code, username) = DEMO_SUPPLIER;
    let supplier: Uuid = sqlx::query_scalar(
        "INSERT INTO merchants (code, name, org_id, is_supplier)
         SELECT $1, '城东优选供应商', id, true FROM orgs WHERE code = 'BR01'
         ON CONFLICT (code) DO UPDATE SET is_supplier = true RETURNING id",
    )
    .bind(merchant_code)
    .fetch_one(&state.pool)
    .await
    .map_err(db)?;
    sqlx::query(
        "WITH u AS (INSERT INTO users (username, display_name, org_id, kind, merchant_id, password_hash)
                    SELECT $1, '城东优选供应商管理员', org_id, 'merchant', $2, $3
                      FROM merchants WHERE id = $2
                    ON CONFLICT (username) DO NOTHING RETURNING id)
         INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM u, roles r WHERE r.code = 'merchant_admin'",
    )
    .bind(username)
    .bind(supplier)
    .bind(quanyi_activities::identity::password::hash(
        quanyi_activities::seed::DEMO_PASSWORD,
    ))
    .execute(&state.pool)
    .await
    .map_err(db)?;
    let now = Utc::now();
    for (code, parent, name, sort) in [
        ("food", None, "食品饮料", 1),
        ("tea", Some("food"), "茶叶", 1),
        ("snacks", Some("food"), "休闲零食", 2),
        ("home", None, "家居厨具", 2),
        ("kitchen", Some("home"), "厨房用品", 1),
        ("digital", None, "数码电器", 3),
    ] {
        let draft = CategoryDraft {
            code: code.into(),
            parent_code: parent.map(str::to_owned),
            name: name.into(),
            sort,
            hidden: false,
        };
        catalogue::save_category(&state.pool, &draft, false, now, seed_entry())
            .await
            .map_err(db)?
            .map_err(|r| format!("demo category {code}: {r:?}"))?;
    }
    let manager: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'merchant_manager'")
            .fetch_one(&state.pool)
            .await
            .map_err(db)?;
    for (n, (kind, title, link, colours)) in [
        (
            "banner",
            "新春好礼 积分兑",
            "/h5/category/food",
            ([200, 40, 40], [250, 210, 120]),
        ),
        (
            "banner",
            "好茶季 明前龙井",
            "/h5/category/tea",
            ([70, 140, 80], [235, 240, 220]),
        ),
        (
            "nav",
            "每日签到",
            "/h5/check-in",
            ([64, 158, 255], [220, 235, 255]),
        ),
        (
            "nav",
            "秒杀专区",
            "/h5/seckill",
            ([245, 108, 108], [255, 230, 230]),
        ),
        (
            "nav",
            "全部分类",
            "/h5/categories",
            ([103, 194, 58], [230, 245, 220]),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let size = if kind == "banner" {
            (750, 300)
        } else {
            (96, 96)
        };
        let image = demo_picture(state, manager, &format!("{kind}-{n}.png"), colours, size).await?;
        let draft = BannerDraft {
            kind: kind.into(),
            title: title.into(),
            image_id: Some(image),
            link: Some(link.into()),
            sort: i32::try_from(n).unwrap_or(0),
            starts_at: now - Duration::days(1),
            ends_at: now + Duration::days(60),
            enabled: true,
        };
        catalogue::save_banner(&state.pool, None, &draft, now, seed_entry())
            .await
            .map_err(db)?
            .map_err(|r| format!("demo banner {title}: {r:?}"))?;
    }

    let (supplier_user, _) = staff(state, username).await?;
    let (_, reviewer1) = staff(state, "reviewer1").await?;
    let (_, reviewer2) = staff(state, "reviewer2").await?;
    let by = quanyi_api::identity::auth::actor(&supplier_user, ([127, 0, 0, 1], 0).into());
    let decide =
        |who: &Actor, level: usize, comment: &str| quanyi_workflows::listing::ActionRequest {
            actor: who.clone(),
            action: quanyi_workflows::process::Action::Approval(ApprovalAction::Decide {
                step: "review-1".into(),
                level,
                decision: Decision::Approve,
            }),
            comment: Some(comment.to_owned()),
        };
    let entry = |who: &Actor| Entry {
        username: Some(who.username.clone()),
        ..Entry::default()
    };
    for (n, demo) in DEMO_PRODUCTS.iter().enumerate() {
        let image = demo_picture(
            state,
            supplier_user.id,
            &format!("product-{n}.png"),
            demo.colours,
            (600, 600),
        )
        .await?;
        let draft = ProductDraft {
            category_code: demo.category.into(),
            name: demo.name.into(),
            subtitle: Some("城东优选 · 积分好物".into()),
            description: quanyi_activities::mall::sanitise_description(&format!(
                "<p><b>{}</b></p><p>正品保障，积分兑换后 48 小时内发货。</p>",
                demo.name
            )),
            images: vec![image],
            tags: std::iter::once("积分好物")
                .chain(demo.zone)
                .map(str::to_owned)
                .collect(),
            skus: vec![SkuDraft {
                code: "STD".into(),
                spec: "标准装".into(),
                price_points: demo.points,
                price_fen: demo.fen,
                market_price_fen: Some(demo.points * 2),
                stock: 200,
            }],
        };
        let code = products::create(&state.pool, supplier, &draft, now, by.clone())
            .await
            .map_err(db)?
            .map_err(|r| format!("demo product {}: {r:?}", demo.name))?;
        if demo.goal == Shelf::Draft {
            continue;
        }
        let request = products::submit(&state.pool, supplier, &code, now, by.clone())
            .await
            .map_err(db)?
            .map_err(|r| format!("demo listing {}: {r:?}", demo.name))?;
        let pending = quanyi_api::mall::start_listing(state, &supplier_user, request, None)
            .await
            .map_err(failed("listing"))?;
        if demo.goal == Shelf::FirstReview {
            continue;
        }
        let wf = pending.workflow_id;
        act(
            state,
            entry(&reviewer1),
            &wf,
            decide(&reviewer1, 1, "资质齐全，同意"),
        )
        .await
        .map_err(failed("审核"))?;
        if demo.goal == Shelf::SecondReview {
            continue;
        }
        act(
            state,
            entry(&reviewer2),
            &wf,
            decide(&reviewer2, 2, "同意上架"),
        )
        .await
        .map_err(failed("复核"))?;
        match demo.goal {
            Shelf::PriceChangePending => {
                let mut cheaper = draft.clone();
                cheaper.skus[0].price_points = demo.points * 9 / 10;
                let edited = products::edit(
                    &state.pool,
                    supplier,
                    &code,
                    &cheaper,
                    Some("春节促销，积分价九折"),
                    Utc::now(),
                    by.clone(),
                )
                .await
                .map_err(db)?
                .map_err(|r| format!("demo price change: {r:?}"))?;
                if let Edited::Revision(request) = edited {
                    quanyi_api::mall::start_listing(
                        state,
                        &supplier_user,
                        request,
                        Some("春节促销，积分价九折".into()),
                    )
                    .await
                    .map_err(failed("price change"))?;
                }
            }
            Shelf::Delisted => {
                let staff_entry = Entry {
                    username: Some("merchant_manager".into()),
                    user_id: Some(manager),
                    ..Entry::default()
                };
                products::force_delist(
                    &state.pool,
                    &code,
                    "包装标识不规范，下架整改",
                    Utc::now(),
                    staff_entry,
                )
                .await
                .map_err(db)?
                .map_err(|r| format!("demo forced delist: {r:?}"))?;
            }
            _ => {}
        }
    }
    Ok(DEMO_PRODUCTS.len())
}

/// The demo checklist: what a branch's inspector checks at a merchant.
fn demo_checklist() -> Vec<quanyi_activities::inspection::ChecklistEntry> {
    use quanyi_activities::inspection::{ChecklistEntry, ItemKindView};
    let item = |key: &str, text: &str, kind| ChecklistEntry {
        key: key.into(),
        text: text.into(),
        kind,
        photo_required: false,
    };
    vec![
        item("1", "消防器材在有效期内", ItemKindView::PassFail),
        item(
            "2",
            "权益核销流程规范，收银员能正确核销",
            ItemKindView::PassFail,
        ),
        item("3", "店内权益宣传物料情况", ItemKindView::Text),
    ]
}

/// Where a demo inspection task is driven to.
#[derive(Clone, Copy)]
enum Inspected {
    Confirmed,
    Overdue,
    Returned,
    Rectifying,
}

/// Seeds the demo inspections unless there are plans already: a monthly plan for convenience
/// stores (with its Temporal Schedule), and tasks of M001 driven through the real process — one
/// confirmed, one overdue (reminded and escalated by the host's timers), one returned to its
/// inspector, one whose serious finding waits for the merchant's rectification. Answers how many
/// tasks.
pub async fn seed_inspections(state: &AppState) -> Result<usize, String> {
    use quanyi_activities::inspection::{self as inspection, Cycle, PlanInput, schedule};
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM inspection_plans")
        .fetch_one(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(0);
    }
    sqlx::query("UPDATE merchants SET business_category = '便利店' WHERE code = 'M001'")
        .execute(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    let (manager_user, _) = staff(state, "merchant_manager").await?;
    let scope = quanyi_activities::identity::scope::scope_of(&state.pool, manager_user.id)
        .await
        .map_err(|e| e.to_string())?;
    let now = Utc::now();
    let entry = |who: &str| Entry {
        username: Some(who.to_owned()),
        ..Entry::default()
    };
    let plan = PlanInput {
        name: "便利店月度巡查".into(),
        category: Some("便利店".into()),
        scope_org_id: None,
        cycle: Cycle::Monthly,
        interval_seconds: None,
        checklist: demo_checklist(),
        due_days: 7,
    };
    let plan_id = inspection::create_plan(
        &state.pool,
        &plan,
        manager_user.org_id,
        &scope,
        now,
        entry("merchant_manager"),
    )
    .await
    .map_err(|e| e.to_string())?
    .map_err(|r| format!("the demo plan: {r:?}"))?;
    let client = state.temporal.get().await.map_err(|e| e.to_string())?;
    let wanted = schedule::PlanSchedule {
        plan_id,
        active: true,
        cycle: Cycle::Monthly,
        interval_seconds: None,
    };
    schedule::upsert(&client, &wanted, &state.settings.task_queue)
        .await
        .map_err(|e| e.to_string())?;

    let (_, inspector) = staff(state, "inspector1").await?;
    let (_, reviewer) = staff(state, "reviewer1").await?;
    let (_, manager) = staff(state, "merchant_manager").await?;
    let goals = [
        Inspected::Confirmed,
        Inspected::Overdue,
        Inspected::Returned,
        Inspected::Rectifying,
    ];
    for goal in goals {
        let due_at = match goal {
            Inspected::Overdue => Utc::now() + Duration::seconds(20),
            _ => Utc::now() + Duration::days(5),
        };
        let (id, _) = inspection::issue(
            &state.pool,
            "M001",
            &demo_checklist(),
            due_at,
            Some("inspector1"),
            &scope,
            Utc::now(),
            entry("merchant_manager"),
        )
        .await
        .map_err(|e| e.to_string())?
        .map_err(|r| format!("the demo task: {r:?}"))?;
        let input = inspection::input_of(&state.pool, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the demo task vanished")?;
        quanyi_api::process::start(
            state,
            ProcessKind::Inspection,
            quanyi_workflows::inspection::InspectionWorkflow::run,
            input,
            &id.to_string(),
            &manager,
        )
        .await
        .map_err(failed("start the inspection"))?;
        inspection::mark_started(&state.pool, &[id.to_string()])
            .await
            .map_err(|e| e.to_string())?;
        drive_inspection(state, id, goal, &inspector, &reviewer).await?;
    }
    Ok(goals.len())
}

async fn drive_inspection(
    state: &AppState,
    id: Uuid,
    goal: Inspected,
    inspector: &Actor,
    reviewer: &Actor,
) -> Result<(), String> {
    use quanyi_workflows::inspection::{Answer, InspectionAction, ItemResult};
    if matches!(goal, Inspected::Overdue) {
        return Ok(());
    }
    let wf = ProcessKind::Inspection.workflow_id(&id.to_string());
    let serious = matches!(goal, Inspected::Rectifying);
    let answers = vec![
        Answer {
            key: "1".into(),
            result: Some(if serious {
                ItemResult::Fail
            } else {
                ItemResult::Pass
            }),
            text: serious.then(|| "灭火器已过期两个月".to_owned()),
            photos: Vec::new(),
            serious,
        },
        Answer {
            key: "2".into(),
            result: Some(ItemResult::Pass),
            text: None,
            photos: Vec::new(),
            serious: false,
        },
        Answer {
            key: "3".into(),
            result: None,
            text: Some("收银台旁张贴活动海报，宣传册充足".into()),
            photos: Vec::new(),
            serious: false,
        },
    ];
    let entry = |who: &Actor| Entry {
        username: Some(who.username.clone()),
        ..Entry::default()
    };
    let request = |who: &Actor, action| quanyi_workflows::inspection::ActionRequest {
        actor: who.clone(),
        action,
        comment: None,
    };
    act(
        state,
        entry(inspector),
        &wf,
        request(
            inspector,
            quanyi_workflows::process::Action::Own(InspectionAction::Submit { answers }),
        ),
    )
    .await
    .map_err(failed("submit the inspection"))?;
    let decide = |decision| {
        quanyi_workflows::process::Action::Approval(ApprovalAction::Decide {
            step: "review-1".into(),
            level: 1,
            decision,
        })
    };
    match goal {
        Inspected::Confirmed => {
            act(
                state,
                entry(reviewer),
                &wf,
                request(reviewer, decide(Decision::Approve)),
            )
            .await
            .map_err(failed("confirm"))?;
        }
        Inspected::Returned => {
            let mut r = request(reviewer, decide(Decision::Return));
            r.comment = Some("第 2 项请补充核销演示的说明".into());
            act(state, entry(reviewer), &wf, r)
                .await
                .map_err(failed("return"))?;
        }
        Inspected::Rectifying => {
            let action = InspectionAction::RequestRectification {
                requirement: "更换过期灭火器，并上传新灭火器及有效期照片".into(),
                deadline: Utc::now() + Duration::days(7),
            };
            act(
                state,
                entry(reviewer),
                &wf,
                request(reviewer, quanyi_workflows::process::Action::Own(action)),
            )
            .await
            .map_err(failed("ask for rectification"))?;
        }
        Inspected::Overdue => {}
    }
    Ok(())
}

/// Where a demo merchant application is driven to: one in each state an application can rest in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ApplicationGoal {
    Draft,
    FirstReview,
    SecondReview,
    Supplement,
    Exception,
    Opened,
    Rejected,
    Withdrawn,
    Expired,
}

struct DemoApplication {
    legal_name: &'static str,
    phone: &'static str,
    store: (&'static str, &'static str),
    /// The account's name: one holding 不符 is one the dev stack's core does not confirm.
    account_name: &'static str,
    goal: ApplicationGoal,
}

const DEMO_APPLICATIONS: &[DemoApplication] = &[
    DemoApplication {
        legal_name: "城东花艺工作室",
        phone: "13500000001",
        store: ("F001", "花艺人民路店"),
        account_name: "城东花艺工作室",
        goal: ApplicationGoal::Draft,
    },
    DemoApplication {
        legal_name: "城东鲜果商行有限公司",
        phone: "13500000002",
        store: ("G001", "鲜果人民路店"),
        account_name: "城东鲜果商行有限公司",
        goal: ApplicationGoal::FirstReview,
    },
    DemoApplication {
        legal_name: "新区烘焙坊",
        phone: "13500000003",
        store: ("B001", "烘焙新区店"),
        account_name: "新区烘焙坊",
        goal: ApplicationGoal::SecondReview,
    },
    DemoApplication {
        legal_name: "东街眼镜店",
        phone: "13500000004",
        store: ("E001", "眼镜东街店"),
        account_name: "东街眼镜店",
        goal: ApplicationGoal::Supplement,
    },
    DemoApplication {
        legal_name: "滨江茶社",
        phone: "13500000005",
        store: ("T001", "茶社滨江店"),
        account_name: "滨江茶社（户名不符）",
        goal: ApplicationGoal::Exception,
    },
    DemoApplication {
        legal_name: "城东书局有限公司",
        phone: "13500000006",
        store: ("S001", "书局人民路店"),
        account_name: "城东书局有限公司",
        goal: ApplicationGoal::Opened,
    },
    DemoApplication {
        legal_name: "夜市小吃摊",
        phone: "13500000007",
        store: ("N001", "夜市一号摊"),
        account_name: "夜市小吃摊",
        goal: ApplicationGoal::Rejected,
    },
    DemoApplication {
        legal_name: "城东洗衣店",
        phone: "13500000008",
        store: ("W001", "洗衣人民路店"),
        account_name: "城东洗衣店",
        goal: ApplicationGoal::Withdrawn,
    },
    DemoApplication {
        legal_name: "老街修表铺",
        phone: "13500000009",
        store: ("R001", "修表老街店"),
        account_name: "老街修表铺",
        goal: ApplicationGoal::Expired,
    },
];

/// A unified social credit code ending in its check digit, from its first 17 characters.
fn credit_code(first: &str) -> String {
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .map(|c| format!("{first}{c}"))
        .find(|code| quanyi_activities::onboarding::check::credit_code(code))
        .expect("one of the 31 characters is the check digit")
}

fn applicant_entry(application: &quanyi_activities::onboarding::Application) -> Entry {
    Entry {
        username: Some(format!(
            "applicant:{}",
            quanyi_activities::pii::mask(quanyi_activities::pii::Kind::Phone, &application.phone)
        )),
        org_id: application.org_id,
        ..Entry::default()
    }
}

/// Decides the open task of `workflow_id` (once the process has opened it) as `who`.
async fn decide_task(
    state: &AppState,
    workflow_id: &str,
    who: &Actor,
    decision: Decision,
    comment: &str,
) -> Result<(), String> {
    let mut open: Option<(String, i16)> = None;
    for _ in 0..100 {
        open = sqlx::query_as(
            "SELECT step, level FROM tasks WHERE workflow_id = $1 AND status = 'open'
              ORDER BY created_at DESC LIMIT 1",
        )
        .bind(workflow_id)
        .fetch_optional(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
        if open.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (step, level) = open.ok_or_else(|| format!("{workflow_id} opened no task"))?;
    let request: quanyi_workflows::process::ActionRequest<NoOwn> =
        quanyi_workflows::process::ActionRequest {
            actor: who.clone(),
            action: quanyi_workflows::process::Action::Approval(ApprovalAction::Decide {
                step,
                level: usize::try_from(level).unwrap_or(1),
                decision,
            }),
            comment: Some(comment.to_owned()),
        };
    let entry = Entry {
        username: Some(who.username.clone()),
        ..Entry::default()
    };
    act(state, entry, workflow_id, request)
        .await
        .map_err(failed("decide"))?;
    Ok(())
}

/// Seeds the demo merchant applications — one in each state: 草稿, 待初审, 待复核, 退回补件, 开户异常,
/// 已开通, 已驳回, 已撤回, 已失效 — and a merchant disabled and enabled again, each through its real
/// process (the same calls the API makes), so 商户入驻申请, the inbox and the merchant's history show
/// them. Unless the database has applications already; answers how many applications.
pub async fn seed_merchants(state: &AppState) -> Result<usize, String> {
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM onboarding_applications")
        .fetch_one(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(0);
    }
    let (_, reviewer1) = staff(state, "reviewer1").await?;
    let (_, reviewer2) = staff(state, "reviewer2").await?;
    // 已失效: an application whose applicant has two seconds to answer, not fifteen days
    let mut lapsing = state.clone();
    let mut settings = (*state.settings).clone();
    settings.onboarding_supplement = std::time::Duration::from_secs(2);
    lapsing.settings = std::sync::Arc::new(settings);
    for (n, demo) in DEMO_APPLICATIONS.iter().enumerate() {
        let now = Utc::now();
        let draft = quanyi_activities::onboarding::Draft {
            org_code: Some("BR01".into()),
            legal_name: Some(demo.legal_name.into()),
            credit_code: Some(credit_code(&format!("91310000MA1FL{:04}", n + 1))),
            legal_rep: Some("张三".into()),
            id_number: Some("11010519491231002X".into()),
            contact_phone: Some(demo.phone.into()),
            business_category: Some("零售".into()),
            address: Some("人民路 1 号".into()),
            stores: vec![quanyi_activities::onboarding::StoreDraft {
                code: demo.store.0.into(),
                name: demo.store.1.into(),
                address: Some("人民路 1 号".into()),
            }],
            bank_name: Some("城东银行".into()),
            account_name: Some(demo.account_name.into()),
            account_no: Some(format!("62220202001122{:05}", n + 1)),
        };
        let id = quanyi_activities::onboarding::save_draft(
            &state.pool,
            demo.phone,
            None,
            &draft,
            now,
            false,
        )
        .await
        .map_err(|e| e.to_string())?
        .map_err(|r| format!("demo application {}: {r:?}", demo.legal_name))?;
        if demo.goal == ApplicationGoal::Draft {
            continue;
        }
        let submitting = if demo.goal == ApplicationGoal::Expired {
            &lapsing
        } else {
            state
        };
        let application =
            quanyi_api::onboarding::submit_and_start(submitting, demo.phone, id, applicant_entry)
                .await
                .map_err(failed("submit"))?;
        let wf = ProcessKind::MerchantOnboarding.workflow_id(&id.to_string());
        match demo.goal {
            ApplicationGoal::Draft | ApplicationGoal::FirstReview => {}
            ApplicationGoal::Rejected => {
                decide_task(
                    state,
                    &wf,
                    &reviewer1,
                    Decision::Reject,
                    "经营范围不符合准入要求",
                )
                .await?;
            }
            ApplicationGoal::Supplement | ApplicationGoal::Expired => {
                decide_task(state, &wf, &reviewer1, Decision::Return, "请补充门头照片").await?;
            }
            ApplicationGoal::Withdrawn => {
                let request = quanyi_workflows::process::ActionRequest {
                    actor: quanyi_api::onboarding::applicant_actor(&application),
                    action: quanyi_workflows::process::Action::Own(
                        ApplicantAction::WithdrawApplication,
                    ),
                    comment: None,
                };
                act(state, applicant_entry(&application), &wf, request)
                    .await
                    .map_err(failed("withdraw"))?;
            }
            ApplicationGoal::SecondReview
            | ApplicationGoal::Exception
            | ApplicationGoal::Opened => {
                decide_task(state, &wf, &reviewer1, Decision::Approve, "材料齐全").await?;
                if demo.goal != ApplicationGoal::SecondReview {
                    decide_task(state, &wf, &reviewer2, Decision::Approve, "同意开户").await?;
                }
            }
        }
    }
    seed_merchant_status(state, &reviewer2).await?;
    Ok(DEMO_APPLICATIONS.len())
}

/// A demo merchant of 城西分行, disabled and enabled again through the merchant-status process,
/// so its history shows both.
async fn seed_merchant_status(state: &AppState, approver: &Actor) -> Result<(), String> {
    let org: Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'BR02'")
        .fetch_one(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    quanyi_activities::benefits::admin::create_merchant(
        &state.pool,
        "M009",
        "城西便利店",
        org,
        &[("W01".into(), "城西便利店一店".into())],
        Utc::now(),
        seed_entry(),
    )
    .await
    .map_err(|e| e.to_string())?
    .map_err(|r| format!("demo merchant M009: {r:?}"))?;
    let (manager_user, manager) = staff(state, "merchant_manager").await?;
    let by = Entry {
        username: Some(manager.username.clone()),
        ..Entry::default()
    };
    for (action, reason, comment) in [
        (
            StatusAction::Disable,
            Some("巡查发现超范围经营（演示）".to_owned()),
            "同意停用",
        ),
        (StatusAction::Enable, None, "整改完成，同意启用"),
    ] {
        let pending = quanyi_api::merchants::ask_status(
            state,
            &manager_user,
            "M009",
            action,
            reason,
            by.clone(),
        )
        .await
        .map_err(failed("merchant status"))?;
        decide_task(
            state,
            &pending.workflow_id,
            approver,
            Decision::Approve,
            comment,
        )
        .await?;
        wait_for_state(state, &pending.workflow_id, "Applied").await?;
    }
    Ok(())
}
