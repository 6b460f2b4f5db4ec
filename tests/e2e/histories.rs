//! The committed workflow histories replay against today's code (`RECORD_HISTORIES=1` on the
//! tests that record them refreshes them): a change that would break running processes fails
//! here first. Each kind's history from before one-step bookkeeping (activity per entry) and from
//! after (one local activity per step, behind the `one-step-bookkeeping` patch marker) is kept,
//! and from before and after an action became one update (`act` then `settled`; `apply`).

use quanyi_workflows::account_change::AccountChangeWorkflow;
use quanyi_workflows::campaign::CampaignWorkflow;
use quanyi_workflows::inspection::InspectionWorkflow;
use quanyi_workflows::listing::ListingWorkflow;
use quanyi_workflows::merchant_status::MerchantStatusWorkflow;
use quanyi_workflows::onboarding::OnboardingWorkflow;
use quanyi_workflows::stock::StockChangeWorkflow;
use serde_json::Value;
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

/// Every committed history of a shipped process, and what it records.
pub const HISTORIES: &[(&str, &str)] = &[
    (
        "campaign.json",
        "a campaign from before one-step bookkeeping, its worker killed",
    ),
    (
        "campaign-one-step.json",
        "a campaign with one-step bookkeeping (`act`, then `settled`), its worker killed",
    ),
    (
        "campaign-apply.json",
        "a campaign whose actions each are one update `apply`, its worker killed",
    ),
    (
        "campaign-returned.json",
        "a campaign returned for changes (its planner's rework task, `returned-task`), submitted again, approved and evaluated",
    ),
    (
        "stock-change.json",
        "a stock change approved at once (`act`, then `settled`)",
    ),
    (
        "stock-change-apply.json",
        "a stock change approved at once by one update `apply`",
    ),
    (
        "merchant-onboarding.json",
        "a merchant application approved by 初审 and 复核, provisioned after the core was down for two calls, opened",
    ),
    (
        "merchant-status.json",
        "a merchant's disabling approved by one update `apply` (two approvals at once, one recorded)",
    ),
    (
        "settlement-account-change.json",
        "a settlement account change approved, checked after the core was down for two calls, applied",
    ),
    (
        "listing.json",
        "a product's first listing approved by 审核 and 复核 (two 复核 approvals at once, one recorded)",
    ),
    (
        "inspection.json",
        "an inspection submitted with a photo, returned, submitted again, confirmed (two confirmations at once, one recorded)",
    ),
];

pub fn path(file: &str) -> std::path::PathBuf {
    quanyi_tests::harness::repo_root()
        .join("tests/histories")
        .join(file)
}

pub fn replayer() -> WorkflowReplayer {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<CampaignWorkflow>()
        .expect("the campaign workflow registers")
        .register_workflow::<StockChangeWorkflow>()
        .expect("the stock-change workflow registers")
        .register_workflow::<OnboardingWorkflow>()
        .expect("the onboarding workflow registers")
        .register_workflow::<MerchantStatusWorkflow>()
        .expect("the merchant-status workflow registers")
        .register_workflow::<AccountChangeWorkflow>()
        .expect("the settlement-account-change workflow registers")
        .register_workflow::<ListingWorkflow>()
        .expect("the listing workflow registers")
        .register_workflow::<InspectionWorkflow>()
        .expect("the inspection workflow registers")
        .build();
    WorkflowReplayer::new(options).expect("a replayer")
}

async fn replay(json: &[u8]) -> Result<(), String> {
    let history = WorkflowHistory::from_json(json).map_err(|e| e.to_string())?;
    replayer()
        .replay_workflow(history)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

#[tokio::test]
async fn every_committed_history_replays() {
    for (file, what) in HISTORIES {
        let json = std::fs::read(path(file))
            .unwrap_or_else(|e| panic!("tests/histories/{file} is committed: {e}"));
        if let Err(e) = replay(&json).await {
            panic!("{file} ({what}) does not replay: {e}");
        }
    }
}

/// The replay test catches what it is for: each history, with the first activity its workflow
/// scheduled renamed (as a change of the workflow's code would), no longer replays.
#[tokio::test]
async fn a_history_that_no_longer_matches_the_code_fails_the_replay() {
    for (file, _) in HISTORIES {
        let json = std::fs::read(path(file)).unwrap();
        let mut history: Value = serde_json::from_slice(&json).unwrap();
        let scheduled = history["events"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find_map(|e| {
                e.pointer_mut("/attributes/ActivityTaskScheduledEventAttributes/activity_type")
            })
            .unwrap_or_else(|| panic!("{file} schedules an activity"));
        scheduled["name"] = "process.renamed".into();
        let changed = serde_json::to_vec(&history).unwrap();
        assert!(
            replay(&changed).await.is_err(),
            "{file}: a renamed activity must not replay"
        );
    }
}
