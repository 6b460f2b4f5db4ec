//! Each active inspection plan is a Temporal Schedule (`plan-schedule-<plan id>`) whose action
//! starts the plan's round ([`InspectionRoundWorkflow`]) on the app's task queue: on the 1st of
//! each month or quarter at 08:00 Beijing time, or every `interval_seconds` when the plan has one
//! (tests, demos; the round still creates tasks once per calendar cycle). The API creates,
//! changes, pauses and deletes the schedule with its plan; [`reconcile`] at worker start makes
//! every schedule of this task queue match the plans, so the two never drift.

use super::Cycle;
use futures::StreamExt;
use quanyi_workflows::inspection::{InspectionRoundWorkflow, RoundInput, round_workflow_id};
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_client::schedules::{
    CreateScheduleOptions, ListSchedulesOptions, ScheduleAction, ScheduleCalendarSpec,
    ScheduleDescriptionAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use uuid::Uuid;

const PREFIX: &str = "plan-schedule-";

/// The schedule of plan `plan_id`.
pub fn schedule_id(plan_id: Uuid) -> String {
    format!("{PREFIX}{plan_id}")
}

/// What a plan's schedule is made of.
#[derive(Debug, Clone, Copy)]
pub struct PlanSchedule {
    pub plan_id: Uuid,
    pub active: bool,
    pub cycle: Cycle,
    pub interval_seconds: Option<i32>,
}

fn spec(plan: &PlanSchedule) -> ScheduleSpec {
    if let Some(seconds) = plan.interval_seconds {
        return ScheduleSpec::from_interval(Duration::from_secs(
            u64::try_from(seconds.max(5)).unwrap_or(5),
        ));
    }
    let months = match plan.cycle {
        Cycle::Monthly => "*",
        Cycle::Quarterly => "1,4,7,10",
    };
    let calendar = ScheduleCalendarSpec::builder()
        .second("0")
        .minute("0")
        .hour("8")
        .day_of_month("1")
        .month(months)
        .build();
    ScheduleSpec::builder()
        .calendars(vec![calendar])
        .timezone_name("Asia/Shanghai")
        .build()
}

fn action(plan: &PlanSchedule, task_queue: &str) -> ScheduleAction {
    let plan_id = plan.plan_id.to_string();
    ScheduleAction::start_workflow(
        InspectionRoundWorkflow::run,
        RoundInput {
            plan_id: plan_id.clone(),
        },
        task_queue,
        round_workflow_id(&plan_id),
    )
}

fn not_found(e: &ScheduleError) -> bool {
    matches!(e, ScheduleError::Rpc(s) if s.code() == temporalio_client::tonic::Code::NotFound)
}

/// Creates the plan's schedule, or makes the existing one match the plan (its timing, its action,
/// paused or not).
pub async fn upsert(
    client: &Client,
    plan: &PlanSchedule,
    task_queue: &str,
) -> Result<(), ScheduleError> {
    let id = schedule_id(plan.plan_id);
    let handle = client.get_schedule_handle(id.clone());
    match handle.describe(Default::default()).await {
        Ok(_) => {
            let (spec, action, paused) = (spec(plan), action(plan, task_queue), !plan.active);
            handle
                .update(
                    move |u| {
                        u.set_spec(spec)
                            .set_action(action)
                            .set_paused(paused)
                            .set_overlap_policy(ScheduleOverlapPolicy::Skip);
                    },
                    Default::default(),
                )
                .await
        }
        Err(e) if not_found(&e) => {
            let options = CreateScheduleOptions::builder()
                .action(action(plan, task_queue))
                .spec(spec(plan))
                .paused(!plan.active)
                .overlap_policy(ScheduleOverlapPolicy::Skip)
                .note("巡查计划")
                .build();
            client.create_schedule(id, options).await.map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// Deletes the plan's schedule; one already gone is fine.
pub async fn delete(client: &Client, plan_id: Uuid) -> Result<(), ScheduleError> {
    match client
        .get_schedule_handle(schedule_id(plan_id))
        .delete(Default::default())
        .await
    {
        Err(e) if not_found(&e) => Ok(()),
        other => other,
    }
}

/// What [`reconcile`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub upserted: usize,
    pub deleted: usize,
}

/// Makes the schedules of `task_queue` match the plans: every plan's schedule created or brought
/// in line, and the schedules of plans no longer there deleted.
pub async fn reconcile(
    client: &Client,
    pool: &PgPool,
    task_queue: &str,
) -> Result<Reconciled, Box<dyn std::error::Error + Send + Sync>> {
    let plans = super::all_plans(pool).await?;
    let mut done = Reconciled::default();
    let mut known = HashSet::new();
    for (plan_id, active, cycle, interval_seconds) in plans {
        let plan = PlanSchedule {
            plan_id,
            active,
            cycle,
            interval_seconds,
        };
        upsert(client, &plan, task_queue).await?;
        known.insert(schedule_id(plan_id));
        done.upserted += 1;
    }
    let mut listed = client.list_schedules(ListSchedulesOptions::default());
    let mut orphans = Vec::new();
    while let Some(summary) = listed.next().await {
        let id = summary?.schedule_id().to_owned();
        if id.starts_with(PREFIX) && !known.contains(&id) {
            orphans.push(id);
        }
    }
    for id in orphans {
        let handle = client.get_schedule_handle(id);
        let description = match handle.describe(Default::default()).await {
            Ok(d) => d,
            Err(e) if not_found(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        // another installation's (or test's) schedules on the same namespace are not ours
        let ScheduleDescriptionAction::StartWorkflow(start) = description.action() else {
            continue;
        };
        if start.task_queue() == task_queue {
            match handle.delete(Default::default()).await {
                Err(e) if !not_found(&e) => return Err(e.into()),
                _ => done.deleted += 1,
            }
        }
    }
    Ok(done)
}
