//! The demo bank's campaigns (one in each state a campaign can rest in), customers and inspections,
//! driven there through the real process (the same start and actions the API uses), so the inbox,
//! the monitor and the home page are alive on first start. Written once per database, after the
//! worker is up.

use chrono::{Duration, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::campaign::{self as store, DeliverySettings, NewCampaign, Rule};
use quanyi_api::AppState;
use quanyi_api::error::ApiError;
use quanyi_api::process::{act, actor_of};
use quanyi_workflows::approval::{Actor, Decision};
use quanyi_workflows::campaign::{Action, ActionRequest, CampaignAction};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::process::ApprovalAction;
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
