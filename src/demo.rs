//! The demo bank's campaigns and merchant applications: one in each state a campaign or an
//! application can rest in, and a merchant disabled and enabled again, each driven there through
//! the real process (the same start and actions the API uses), so the inbox, the monitor and the
//! home page are alive on first start. Written once per database, after the worker is up.

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
    }
    Ok(DEMO_CUSTOMERS)
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
