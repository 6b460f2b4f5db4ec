//! The approval step every process shares (WF-7): an ordered list of levels from the process's
//! policy, each naming the role that may act and the org rule that places it; an SLA per level with
//! a reminder before the breach and an escalation at it; nobody acts on their own submission; one
//! decision per level, the first wins; transfer 转办 to another eligible user. Pure: the workflow
//! holds an [`ApprovalStep`], asks it who may act and what a decision does, and runs the effects.

use crate::process::{TaskChange, TaskOpening, TaskUpdate};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where a level's approvers sit, relative to the org that owns the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRule {
    /// The owning org and everything below it.
    CampaignOrg,
    /// The branch (分行) the owning org belongs to, and everything below it.
    Branch,
    /// Head office (总行) itself.
    HeadOffice,
}

impl OrgRule {
    pub const ALL: [OrgRule; 3] = [OrgRule::CampaignOrg, OrgRule::Branch, OrgRule::HeadOffice];

    pub fn code(self) -> &'static str {
        match self {
            OrgRule::CampaignOrg => "campaign_org",
            OrgRule::Branch => "branch",
            OrgRule::HeadOffice => "head_office",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgRule::CampaignOrg => "发起机构及下级",
            OrgRule::Branch => "所属分行",
            OrgRule::HeadOffice => "总行",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            OrgRule::CampaignOrg => "The owning org and below",
            OrgRule::Branch => "The owning org's branch",
            OrgRule::HeadOffice => "Head office",
        }
    }
}

/// One level of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// What the bank calls the level: 初审, 复核, 变更审批.
    pub name: String,
    /// The code of the role whose holders may act.
    pub role: String,
    pub org_rule: OrgRule,
    /// How long the level may take (the API speaks minutes; tests use seconds).
    pub sla_seconds: u32,
    /// How long before the breach the reminder goes out; 0 for none.
    pub remind_before_seconds: u32,
    /// At the breach, let the superior org's holders of the role act too.
    pub escalate: bool,
}

/// The ordered levels a process's approval walks through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub levels: Vec<Level>,
}

/// An org as the approval step needs it: its id and its materialized path (`/HO/BR01/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub id: String,
    pub path: String,
    /// 1 head office, 2 branch, 3 sub-branch.
    pub level: i16,
}

/// The org that owns the process and its ancestors, nearest first, up to head office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgChain(pub Vec<OrgRef>);

impl OrgChain {
    /// The org whose users may act under `rule`, and whether users below it may too.
    pub fn place(&self, rule: OrgRule) -> Scope {
        let owner = &self.0[0];
        match rule {
            OrgRule::CampaignOrg => Scope::below(owner),
            OrgRule::Branch => {
                let branch = self.0.iter().find(|o| o.level == 2).unwrap_or(owner);
                Scope::below(branch)
            }
            OrgRule::HeadOffice => Scope::exactly(self.0.last().unwrap_or(owner)),
        }
    }

    /// The org directly above `org` in this chain, if any.
    pub fn superior_of(&self, org: &OrgRef) -> Option<&OrgRef> {
        let at = self.0.iter().position(|o| o.id == org.id)?;
        self.0.get(at + 1)
    }
}

/// The orgs a level's approvers must belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub org: OrgRef,
    pub include_descendants: bool,
}

impl Scope {
    fn below(org: &OrgRef) -> Self {
        Self {
            org: org.clone(),
            include_descendants: true,
        }
    }

    fn exactly(org: &OrgRef) -> Self {
        Self {
            org: org.clone(),
            include_descendants: false,
        }
    }

    pub fn contains(&self, org_path: &str) -> bool {
        org_path == self.org.path
            || (self.include_descendants && org_path.starts_with(&self.org.path))
    }
}

/// Who is acting, as the API vouches for it from the session: the workflow cannot look it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub org_path: String,
    /// The codes of the roles the user holds.
    pub roles: Vec<String>,
}

/// Why an action is refused: data with the stable code the API answers. A validator's refusal
/// crosses the update boundary as its JSON (the update's failure message) and is read back with
/// [`Refusal::decode`], never by searching the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code")]
pub enum Refusal {
    /// The process's state does not allow the action now.
    #[serde(rename = "QY-PROC-0002")]
    WrongState,
    /// Nobody acts on their own submission.
    #[serde(rename = "QY-PROC-0003")]
    OwnSubmission,
    /// The actor lacks the level's role or sits outside its orgs (or the task went to someone else).
    #[serde(rename = "QY-PROC-0004")]
    NotEligible,
    /// The level was decided already (or the task is not the open one).
    #[serde(rename = "QY-PROC-0005")]
    AlreadyDecided,
    /// A transfer to someone who could not act on the task.
    #[serde(rename = "QY-PROC-0006")]
    TargetNotEligible,
    /// A field of the action is wrong: `field` names it, `reason` is the field's error code
    /// (e.g. `QY-CAMP-0008` for an end time before the start).
    #[serde(rename = "field")]
    Field { field: String, reason: String },
}

impl Refusal {
    /// The refusal a validator's failure message carries, if it is one of ours.
    pub fn decode(message: &str) -> Option<Refusal> {
        serde_json::from_str(message).ok()
    }

    pub fn field(field: &str, reason: &str) -> Refusal {
        Refusal::Field {
            field: field.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&json)
    }
}

impl std::error::Error for Refusal {}

/// A decision on a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    Return,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::Return => "return",
        }
    }
}

/// The open level of a running approval: the task the inbox shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenLevel {
    /// 0-based index into the policy's levels.
    pub index: usize,
    pub scope: Scope,
    /// Set by escalation: the superior org's holders of the role may act too.
    pub escalated_to: Option<OrgRef>,
    /// Set by a transfer: only this user may act.
    pub assignee: Option<Actor>,
    pub opened_at: DateTime<Utc>,
    pub reminded: bool,
    pub escalated: bool,
    /// A decision was accepted and waits for the workflow to carry it out.
    pub decided: bool,
}

/// An approval in progress: which policy, which round (a process may go through approval again
/// after being returned), who submitted, and the open level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStep {
    /// `review`, `change`: names the task step with the round, e.g. `review-2`.
    pub kind: String,
    pub round: u32,
    pub policy: Policy,
    pub chain: OrgChain,
    pub submitted_by: Actor,
    pub open: OpenLevel,
}

/// What a decision does to the approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Approved, and another level follows.
    NextLevel,
    /// Approved at the last level.
    Approved,
    Rejected,
    Returned,
}

/// A timer the open level wants: the reminder before the breach, or the escalation at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaTimer {
    Remind,
    Escalate,
}

impl ApprovalStep {
    /// Starts an approval at its first level.
    pub fn start(
        kind: &str,
        round: u32,
        policy: Policy,
        chain: OrgChain,
        submitted_by: Actor,
        at: DateTime<Utc>,
    ) -> Self {
        let scope = chain.place(policy.levels[0].org_rule);
        Self {
            kind: kind.to_owned(),
            round,
            policy,
            chain,
            submitted_by,
            open: OpenLevel {
                index: 0,
                scope,
                escalated_to: None,
                assignee: None,
                opened_at: at,
                reminded: false,
                escalated: false,
                decided: false,
            },
        }
    }

    /// The task step this approval's levels are opened under, e.g. `review-1`.
    pub fn step(&self) -> String {
        format!("{}-{}", self.kind, self.round)
    }

    pub fn level(&self) -> &Level {
        &self.policy.levels[self.open.index]
    }

    pub fn is_last_level(&self) -> bool {
        self.open.index + 1 == self.policy.levels.len()
    }

    pub fn due_at(&self) -> DateTime<Utc> {
        self.open.opened_at + Duration::seconds(i64::from(self.level().sla_seconds))
    }

    fn remind_at(&self) -> Option<DateTime<Utc>> {
        let before = self.level().remind_before_seconds;
        (before > 0).then(|| self.due_at() - Duration::seconds(i64::from(before)))
    }

    /// The next SLA timer of the open level and when it fires, if any is left.
    pub fn next_timer(&self) -> Option<(SlaTimer, DateTime<Utc>)> {
        if self.open.decided {
            return None;
        }
        if !self.open.reminded
            && let Some(at) = self.remind_at()
        {
            return Some((SlaTimer::Remind, at));
        }
        (!self.open.escalated).then(|| (SlaTimer::Escalate, self.due_at()))
    }

    /// Whether `who` could act on the open level, whoever submitted.
    fn holds_level(&self, who: &Actor) -> bool {
        let level = self.level();
        if !who.roles.contains(&level.role) {
            return false;
        }
        self.open.scope.contains(&who.org_path)
            || self
                .open
                .escalated_to
                .as_ref()
                .is_some_and(|o| o.path == who.org_path)
    }

    /// Whether `who` may decide the open level now, with the task `step`/`level` they saw.
    pub fn check_decision(&self, who: &Actor, step: &str, level: usize) -> Result<(), Refusal> {
        if self.open.decided || step != self.step() || level != self.open.index + 1 {
            return Err(Refusal::AlreadyDecided);
        }
        if who.user_id == self.submitted_by.user_id {
            return Err(Refusal::OwnSubmission);
        }
        match &self.open.assignee {
            Some(assignee) if assignee.user_id != who.user_id => Err(Refusal::NotEligible),
            Some(_) => Ok(()),
            None if self.holds_level(who) => Ok(()),
            None => Err(Refusal::NotEligible),
        }
    }

    /// Whether `who` may hand the open level to `to`.
    pub fn check_transfer(
        &self,
        who: &Actor,
        step: &str,
        level: usize,
        to: &Actor,
    ) -> Result<(), Refusal> {
        self.check_decision(who, step, level)?;
        if to.user_id == who.user_id
            || to.user_id == self.submitted_by.user_id
            || !self.holds_level(to)
        {
            return Err(Refusal::TargetNotEligible);
        }
        Ok(())
    }

    /// Whether `who` may withdraw the approval: only its submitter, while no decision waits.
    pub fn check_withdraw(&self, who: &Actor) -> Result<(), Refusal> {
        if who.user_id != self.submitted_by.user_id {
            return Err(Refusal::NotEligible);
        }
        if self.open.decided {
            return Err(Refusal::AlreadyDecided);
        }
        Ok(())
    }

    /// What a decision does; moves to the next level on an approval that is not the last.
    pub fn decide(&mut self, decision: Decision, at: DateTime<Utc>) -> Outcome {
        match decision {
            Decision::Approve if self.is_last_level() => Outcome::Approved,
            Decision::Approve => {
                let index = self.open.index + 1;
                let scope = self.chain.place(self.policy.levels[index].org_rule);
                self.open = OpenLevel {
                    index,
                    scope,
                    escalated_to: None,
                    assignee: None,
                    opened_at: at,
                    reminded: false,
                    escalated: false,
                    decided: false,
                };
                Outcome::NextLevel
            }
            Decision::Reject => Outcome::Rejected,
            Decision::Return => Outcome::Returned,
        }
    }

    /// The inbox task of the open level.
    pub fn task_opening(&self, workflow_id: &str, title: &str, at: DateTime<Utc>) -> TaskOpening {
        let level = self.level();
        TaskOpening {
            workflow_id: workflow_id.to_owned(),
            step: self.step(),
            level: self.task_level(),
            level_name: level.name.clone(),
            title: title.to_owned(),
            candidate_roles: vec![level.role.clone()],
            org_scope: self.open.scope.org.id.clone(),
            include_descendants: self.open.scope.include_descendants,
            submitted_by: self.submitted_by.username.clone(),
            due_at: Some(self.due_at()),
            at,
            kind: crate::process::TaskKind::Approval,
            assignee: None,
            comment: None,
        }
    }

    /// The open level's number as its task carries it (from 1).
    pub fn task_level(&self) -> i16 {
        (self.open.index + 1) as i16
    }

    /// A change to the open level's task.
    pub fn task_update(
        &self,
        workflow_id: &str,
        change: TaskChange,
        at: DateTime<Utc>,
    ) -> TaskUpdate {
        TaskUpdate {
            workflow_id: workflow_id.to_owned(),
            step: self.step(),
            level: self.task_level(),
            change,
            at,
        }
    }

    /// The SLA timer `timer` fired: marks the level and tells the task what happened.
    pub fn sla_fired(
        &mut self,
        timer: SlaTimer,
        workflow_id: &str,
        at: DateTime<Utc>,
    ) -> TaskUpdate {
        let change = match timer {
            SlaTimer::Remind => {
                self.reminded();
                TaskChange::Reminded
            }
            SlaTimer::Escalate => TaskChange::Escalated {
                superior_org: self.escalate().map(|o| o.id),
            },
        };
        self.task_update(workflow_id, change, at)
    }

    /// Marks the reminder sent.
    pub fn reminded(&mut self) {
        self.open.reminded = true;
    }

    /// Marks the level overdue; returns the superior org now allowed to act, if the level
    /// escalates and there is one.
    pub fn escalate(&mut self) -> Option<OrgRef> {
        self.open.reminded = true;
        self.open.escalated = true;
        if !self.level().escalate {
            return None;
        }
        let superior = self.chain.superior_of(&self.open.scope.org).cloned();
        self.open.escalated_to = superior.clone();
        superior
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, path: &str, level: i16) -> OrgRef {
        OrgRef {
            id: id.into(),
            path: path.into(),
            level,
        }
    }

    fn chain() -> OrgChain {
        OrgChain(vec![
            org("sb", "/HO/BR01/SB0101/", 3),
            org("br", "/HO/BR01/", 2),
            org("ho", "/HO/", 1),
        ])
    }

    fn actor(id: &str, org_path: &str, roles: &[&str]) -> Actor {
        Actor {
            user_id: id.into(),
            username: id.into(),
            display_name: id.into(),
            org_path: org_path.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn policy() -> Policy {
        Policy {
            levels: vec![
                Level {
                    name: "初审".into(),
                    role: "first".into(),
                    org_rule: OrgRule::Branch,
                    sla_seconds: 3600,
                    remind_before_seconds: 600,
                    escalate: true,
                },
                Level {
                    name: "复核".into(),
                    role: "second".into(),
                    org_rule: OrgRule::HeadOffice,
                    sla_seconds: 3600,
                    remind_before_seconds: 0,
                    escalate: true,
                },
            ],
        }
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn step() -> ApprovalStep {
        ApprovalStep::start(
            "review",
            1,
            policy(),
            chain(),
            actor("planner", "/HO/BR01/SB0101/", &["planner", "first"]),
            at(0),
        )
    }

    #[test]
    fn org_rules_place_the_approvers() {
        assert_eq!(
            chain().place(OrgRule::CampaignOrg),
            Scope {
                org: org("sb", "/HO/BR01/SB0101/", 3),
                include_descendants: true
            }
        );
        assert_eq!(chain().place(OrgRule::Branch).org.id, "br");
        assert!(chain().place(OrgRule::Branch).include_descendants);
        let ho = chain().place(OrgRule::HeadOffice);
        assert_eq!(ho.org.id, "ho");
        assert!(ho.contains("/HO/"));
        assert!(!ho.contains("/HO/BR01/"), "head office means head office");
        // a campaign of head office itself: its branch rule falls back to head office
        let own = OrgChain(vec![org("ho", "/HO/", 1)]);
        assert_eq!(own.place(OrgRule::Branch).org.id, "ho");
    }

    #[test]
    fn only_an_eligible_other_user_decides_the_open_level_once() {
        let mut s = step();
        let branch_first = actor("r1", "/HO/BR01/", &["first"]);
        let sub_branch_first = actor("r1b", "/HO/BR01/SB0102/", &["first"]);
        let other_branch = actor("x", "/HO/BR02/", &["first"]);
        let wrong_role = actor("y", "/HO/BR01/", &["second"]);
        let submitter = s.submitted_by.clone();
        assert_eq!(s.check_decision(&branch_first, "review-1", 1), Ok(()));
        assert_eq!(s.check_decision(&sub_branch_first, "review-1", 1), Ok(()));
        assert_eq!(
            s.check_decision(&submitter, "review-1", 1),
            Err(Refusal::OwnSubmission),
            "the submitter holds the role but cannot approve their own submission"
        );
        assert_eq!(
            s.check_decision(&other_branch, "review-1", 1),
            Err(Refusal::NotEligible)
        );
        assert_eq!(
            s.check_decision(&wrong_role, "review-1", 1),
            Err(Refusal::NotEligible)
        );
        assert_eq!(
            s.check_decision(&branch_first, "review-1", 2),
            Err(Refusal::AlreadyDecided),
            "a task that is not the open level"
        );
        s.open.decided = true;
        assert_eq!(
            s.check_decision(&branch_first, "review-1", 1),
            Err(Refusal::AlreadyDecided)
        );
    }

    #[test]
    fn approvals_walk_the_levels_and_the_last_approves() {
        let mut s = step();
        assert_eq!(s.decide(Decision::Approve, at(5)), Outcome::NextLevel);
        assert_eq!(s.open.index, 1);
        assert_eq!(s.open.opened_at, at(5));
        assert_eq!(s.open.scope.org.id, "ho");
        let head = actor("r2", "/HO/", &["second"]);
        assert_eq!(s.check_decision(&head, "review-1", 2), Ok(()));
        assert_eq!(s.decide(Decision::Approve, at(9)), Outcome::Approved);
        let mut r = step();
        assert_eq!(r.decide(Decision::Reject, at(1)), Outcome::Rejected);
        let mut b = step();
        assert_eq!(b.decide(Decision::Return, at(1)), Outcome::Returned);
    }

    #[test]
    fn a_transfer_goes_only_to_someone_who_could_act() {
        let mut s = step();
        let r1 = actor("r1", "/HO/BR01/", &["first"]);
        let r1b = actor("r1b", "/HO/BR01/SB0102/", &["first"]);
        let other = actor("x", "/HO/BR02/", &["first"]);
        assert_eq!(
            s.check_transfer(&r1, "review-1", 1, &other),
            Err(Refusal::TargetNotEligible)
        );
        assert_eq!(
            s.check_transfer(&r1, "review-1", 1, &s.submitted_by.clone()),
            Err(Refusal::TargetNotEligible)
        );
        assert_eq!(s.check_transfer(&r1, "review-1", 1, &r1b), Ok(()));
        s.open.assignee = Some(r1b.clone());
        assert_eq!(
            s.check_decision(&r1, "review-1", 1),
            Err(Refusal::NotEligible),
            "after a transfer only the assignee acts"
        );
        assert_eq!(s.check_decision(&r1b, "review-1", 1), Ok(()));
    }

    #[test]
    fn the_sla_reminds_then_escalates_to_the_superior_org_once() {
        let mut s = step();
        assert_eq!(s.next_timer(), Some((SlaTimer::Remind, at(50))));
        s.reminded();
        assert_eq!(s.next_timer(), Some((SlaTimer::Escalate, at(60))));
        let head_first = actor("h", "/HO/", &["first"]);
        assert_eq!(
            s.check_decision(&head_first, "review-1", 1),
            Err(Refusal::NotEligible)
        );
        assert_eq!(s.escalate().map(|o| o.id), Some("ho".into()));
        assert_eq!(s.next_timer(), None);
        assert_eq!(
            s.check_decision(&head_first, "review-1", 1),
            Ok(()),
            "escalation lets the superior org's role holders act"
        );
        // the second level has no reminder: its first timer is the breach
        s.decide(Decision::Approve, at(70));
        assert_eq!(s.next_timer(), Some((SlaTimer::Escalate, at(130))));
        assert_eq!(s.escalate(), None, "head office has no superior");
    }

    #[test]
    fn only_the_submitter_withdraws_and_not_after_a_decision() {
        let mut s = step();
        let r1 = actor("r1", "/HO/BR01/", &["first"]);
        assert_eq!(s.check_withdraw(&r1), Err(Refusal::NotEligible));
        assert_eq!(s.check_withdraw(&s.submitted_by.clone()), Ok(()));
        s.open.decided = true;
        assert_eq!(
            s.check_withdraw(&s.submitted_by.clone()),
            Err(Refusal::AlreadyDecided)
        );
    }

    #[test]
    fn refusals_cross_a_validator_message_as_data() {
        for r in [
            Refusal::WrongState,
            Refusal::OwnSubmission,
            Refusal::NotEligible,
            Refusal::AlreadyDecided,
            Refusal::TargetNotEligible,
            Refusal::field("end_at", "QY-CAMP-0008"),
        ] {
            assert_eq!(Refusal::decode(&r.to_string()), Some(r));
        }
        assert_eq!(
            Refusal::NotEligible.to_string(),
            r#"{"code":"QY-PROC-0004"}"#
        );
        assert_eq!(Refusal::decode("QY-PROC-0004"), None, "text is not data");
        assert_eq!(Refusal::decode("something else"), None);
    }
}
