//! The campaign's state machine (statig): pure, no clock, no I/O. Events come from the workflow
//! (human actions, timers, the approval step's outcomes); each transition emits the commands the
//! workflow carries out as activities. [`TRANSITIONS`] is the same machine as a table, for the
//! docs, the monitor's diagram and the tests that keep the two in step.

use crate::table::{Labels, Row, Table};
use serde::Serialize;
use statig::prelude::*;

/// What happens to a campaign. Unit variants only: who acted and why lives in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Event {
    /// The planner submits the draft for approval (again, after a return or a withdrawal).
    Submit,
    /// A review level approved and another level follows.
    ApproveLevel,
    /// The last review level approved.
    ApproveFinal,
    Reject,
    /// 退回修改: back to the planner with the reviewer's comment.
    Return,
    /// The submitter takes the campaign back while it is under review.
    Withdraw,
    /// Called off before it started.
    Cancel,
    /// The start time came.
    StartTime,
    Pause,
    Resume,
    /// The end time came.
    EndTime,
    /// A change of end time or budget is asked for; the campaign keeps its state meanwhile.
    RequestChange,
    ChangeApproved,
    /// A change or a termination was turned down.
    ChangeRejected,
    /// Ending a running campaign early is asked for; it needs one approval.
    RequestTerminate,
    TerminateApproved,
    /// The evaluation snapshot is recorded.
    Evaluated,
}

impl Event {
    pub const ALL: [Event; 17] = [
        Event::Submit,
        Event::ApproveLevel,
        Event::ApproveFinal,
        Event::Reject,
        Event::Return,
        Event::Withdraw,
        Event::Cancel,
        Event::StartTime,
        Event::Pause,
        Event::Resume,
        Event::EndTime,
        Event::RequestChange,
        Event::ChangeApproved,
        Event::ChangeRejected,
        Event::RequestTerminate,
        Event::TerminateApproved,
        Event::Evaluated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::ApproveLevel => "ApproveLevel",
            Event::ApproveFinal => "ApproveFinal",
            Event::Reject => "Reject",
            Event::Return => "Return",
            Event::Withdraw => "Withdraw",
            Event::Cancel => "Cancel",
            Event::StartTime => "StartTime",
            Event::Pause => "Pause",
            Event::Resume => "Resume",
            Event::EndTime => "EndTime",
            Event::RequestChange => "RequestChange",
            Event::ChangeApproved => "ChangeApproved",
            Event::ChangeRejected => "ChangeRejected",
            Event::RequestTerminate => "RequestTerminate",
            Event::TerminateApproved => "TerminateApproved",
            Event::Evaluated => "Evaluated",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Event::Submit => "提交审批",
            Event::ApproveLevel => "审批通过（下一级）",
            Event::ApproveFinal => "审批通过",
            Event::Reject => "驳回",
            Event::Return => "退回修改",
            Event::Withdraw => "撤回",
            Event::Cancel => "取消活动",
            Event::StartTime => "到达开始时间",
            Event::Pause => "暂停",
            Event::Resume => "恢复",
            Event::EndTime => "到达结束时间",
            Event::RequestChange => "申请变更",
            Event::ChangeApproved => "变更通过",
            Event::ChangeRejected => "变更驳回",
            Event::RequestTerminate => "申请终止",
            Event::TerminateApproved => "终止通过",
            Event::Evaluated => "完成评估",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::ApproveLevel => "Approve (next level)",
            Event::ApproveFinal => "Approve",
            Event::Reject => "Reject",
            Event::Return => "Return for changes",
            Event::Withdraw => "Withdraw",
            Event::Cancel => "Cancel",
            Event::StartTime => "Start time reached",
            Event::Pause => "Pause",
            Event::Resume => "Resume",
            Event::EndTime => "End time reached",
            Event::RequestChange => "Request a change",
            Event::ChangeApproved => "Change approved",
            Event::ChangeRejected => "Change turned down",
            Event::RequestTerminate => "Request termination",
            Event::TerminateApproved => "Termination approved",
            Event::Evaluated => "Evaluated",
        }
    }

    pub fn from_name(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// What a transition asks the workflow to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    /// Start a new round of review at its first level and open its task.
    OpenReview,
    /// Open the task of the review's next level.
    OpenNextLevel,
    /// Start the one-level approval of a change or a termination and open its task.
    OpenChange,
    /// Write the approved change into the campaign.
    ApplyChange,
    /// The approval is over (its last task is closed already).
    EndApproval,
    /// Close the open task unanswered and end the approval, if there is one.
    CancelApproval,
    /// Tell the submitter how their request went.
    NotifySubmitter,
    /// Record the evaluation snapshot (then `Evaluated` follows).
    Evaluate,
}

/// The machine; the context collects the commands a transition emits.
#[derive(Default)]
pub struct Campaign;

type Commands = Vec<Command>;

fn emit(context: &mut Commands, commands: &[Command], to: State) -> Outcome<State> {
    context.extend_from_slice(commands);
    Transition(to)
}

#[state_machine(
    initial = "State::draft()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
)]
impl Campaign {
    #[state]
    fn draft(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => emit(context, &[Command::OpenReview], State::first_review()),
            Event::Cancel => Transition(State::cancelled()),
            _ => Handled,
        }
    }

    #[state(superstate = "under_review")]
    fn first_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::ApproveLevel => emit(context, &[Command::OpenNextLevel], State::second_review()),
            _ => Super,
        }
    }

    #[state(superstate = "under_review")]
    fn second_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::ApproveLevel => emit(context, &[Command::OpenNextLevel], State::second_review()),
            _ => Super,
        }
    }

    #[superstate]
    fn under_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::ApproveFinal => emit(
                context,
                &[Command::EndApproval, Command::NotifySubmitter],
                State::scheduled(),
            ),
            Event::Reject => emit(
                context,
                &[Command::EndApproval, Command::NotifySubmitter],
                State::rejected(),
            ),
            Event::Return => emit(
                context,
                &[Command::EndApproval, Command::NotifySubmitter],
                State::draft(),
            ),
            Event::Withdraw => emit(context, &[Command::CancelApproval], State::draft()),
            _ => Handled,
        }
    }

    #[state(superstate = "changeable")]
    fn scheduled(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::StartTime => Transition(State::running()),
            Event::Cancel => emit(context, &[Command::CancelApproval], State::cancelled()),
            _ => Super,
        }
    }

    #[state(superstate = "live")]
    fn running(event: &Event) -> Outcome<State> {
        match event {
            Event::Pause => Transition(State::paused()),
            _ => Super,
        }
    }

    #[state(superstate = "live")]
    fn paused(event: &Event) -> Outcome<State> {
        match event {
            Event::Resume => Transition(State::running()),
            _ => Super,
        }
    }

    /// Running or paused: the end timer runs, and the campaign may be terminated early.
    #[superstate(superstate = "changeable")]
    fn live(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::EndTime => emit(
                context,
                &[Command::CancelApproval, Command::Evaluate],
                State::ended(),
            ),
            Event::RequestTerminate => {
                context.push(Command::OpenChange);
                Handled
            }
            Event::TerminateApproved => emit(
                context,
                &[
                    Command::EndApproval,
                    Command::NotifySubmitter,
                    Command::Evaluate,
                ],
                State::ended(),
            ),
            _ => Super,
        }
    }

    /// Scheduled, running or paused: the end time and the budget change through one approval.
    #[superstate]
    fn changeable(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::RequestChange => context.push(Command::OpenChange),
            Event::ChangeApproved => context.extend_from_slice(&[
                Command::EndApproval,
                Command::ApplyChange,
                Command::NotifySubmitter,
            ]),
            Event::ChangeRejected => {
                context.extend_from_slice(&[Command::EndApproval, Command::NotifySubmitter])
            }
            _ => {}
        }
        Handled
    }

    #[state]
    fn ended(event: &Event) -> Outcome<State> {
        match event {
            Event::Evaluated => Transition(State::evaluated()),
            _ => Handled,
        }
    }

    #[state]
    fn evaluated(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn rejected(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn cancelled(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

impl State {
    pub const ALL: [State; 10] = [
        State::Draft {},
        State::FirstReview {},
        State::SecondReview {},
        State::Scheduled {},
        State::Running {},
        State::Paused {},
        State::Ended {},
        State::Evaluated {},
        State::Rejected {},
        State::Cancelled {},
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Draft {} => "Draft",
            State::FirstReview {} => "FirstReview",
            State::SecondReview {} => "SecondReview",
            State::Scheduled {} => "Scheduled",
            State::Running {} => "Running",
            State::Paused {} => "Paused",
            State::Ended {} => "Ended",
            State::Evaluated {} => "Evaluated",
            State::Rejected {} => "Rejected",
            State::Cancelled {} => "Cancelled",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Draft {} => "草稿",
            State::FirstReview {} => "待初审",
            State::SecondReview {} => "待复核",
            State::Scheduled {} => "待发布",
            State::Running {} => "进行中",
            State::Paused {} => "已暂停",
            State::Ended {} => "已结束",
            State::Evaluated {} => "已评估",
            State::Rejected {} => "已驳回",
            State::Cancelled {} => "已取消",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            State::Draft {} => "Draft",
            State::FirstReview {} => "Awaiting first review",
            State::SecondReview {} => "Awaiting second review",
            State::Scheduled {} => "Scheduled",
            State::Running {} => "Running",
            State::Paused {} => "Paused",
            State::Ended {} => "Ended",
            State::Evaluated {} => "Evaluated",
            State::Rejected {} => "Rejected",
            State::Cancelled {} => "Cancelled",
        }
    }

    /// No event moves the campaign out of it; the workflow completes.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Evaluated {} | State::Rejected {} | State::Cancelled {}
        )
    }

    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One row of the transition table.
pub type Transition = Row<State, Event, Command>;

use crate::table::row as t;

use Command as C;
use Event as E;
const DRAFT: State = State::Draft {};
const FIRST: State = State::FirstReview {};
const SECOND: State = State::SecondReview {};
const SCHEDULED: State = State::Scheduled {};
const RUNNING: State = State::Running {};
const PAUSED: State = State::Paused {};
const ENDED: State = State::Ended {};
const EVALUATED: State = State::Evaluated {};
const REJECTED: State = State::Rejected {};
const CANCELLED: State = State::Cancelled {};

const DECIDED: &[Command] = &[C::EndApproval, C::NotifySubmitter];
const APPLIED: &[Command] = &[C::EndApproval, C::ApplyChange, C::NotifySubmitter];
const TERMINATED: &[Command] = &[C::EndApproval, C::NotifySubmitter, C::Evaluate];
const TIMED_OUT: &[Command] = &[C::CancelApproval, C::Evaluate];

/// Every transition the machine makes; any (state, event) pair not here leaves the state alone
/// and emits nothing. The tests drive the machine through every pair and compare.
pub const TRANSITIONS: &[Transition] = &[
    t(DRAFT, E::Submit, FIRST, &[C::OpenReview]),
    t(DRAFT, E::Cancel, CANCELLED, &[]),
    t(FIRST, E::ApproveLevel, SECOND, &[C::OpenNextLevel]),
    t(FIRST, E::ApproveFinal, SCHEDULED, DECIDED),
    t(FIRST, E::Reject, REJECTED, DECIDED),
    t(FIRST, E::Return, DRAFT, DECIDED),
    t(FIRST, E::Withdraw, DRAFT, &[C::CancelApproval]),
    t(SECOND, E::ApproveLevel, SECOND, &[C::OpenNextLevel]),
    t(SECOND, E::ApproveFinal, SCHEDULED, DECIDED),
    t(SECOND, E::Reject, REJECTED, DECIDED),
    t(SECOND, E::Return, DRAFT, DECIDED),
    t(SECOND, E::Withdraw, DRAFT, &[C::CancelApproval]),
    t(SCHEDULED, E::StartTime, RUNNING, &[]),
    t(SCHEDULED, E::Cancel, CANCELLED, &[C::CancelApproval]),
    t(SCHEDULED, E::RequestChange, SCHEDULED, &[C::OpenChange]),
    t(SCHEDULED, E::ChangeApproved, SCHEDULED, APPLIED),
    t(SCHEDULED, E::ChangeRejected, SCHEDULED, DECIDED),
    t(RUNNING, E::Pause, PAUSED, &[]),
    t(RUNNING, E::EndTime, ENDED, TIMED_OUT),
    t(RUNNING, E::RequestTerminate, RUNNING, &[C::OpenChange]),
    t(RUNNING, E::TerminateApproved, ENDED, TERMINATED),
    t(RUNNING, E::RequestChange, RUNNING, &[C::OpenChange]),
    t(RUNNING, E::ChangeApproved, RUNNING, APPLIED),
    t(RUNNING, E::ChangeRejected, RUNNING, DECIDED),
    t(PAUSED, E::Resume, RUNNING, &[]),
    t(PAUSED, E::EndTime, ENDED, TIMED_OUT),
    t(PAUSED, E::RequestTerminate, PAUSED, &[C::OpenChange]),
    t(PAUSED, E::TerminateApproved, ENDED, TERMINATED),
    t(PAUSED, E::RequestChange, PAUSED, &[C::OpenChange]),
    t(PAUSED, E::ChangeApproved, PAUSED, APPLIED),
    t(PAUSED, E::ChangeRejected, PAUSED, DECIDED),
    t(ENDED, E::Evaluated, EVALUATED, &[]),
];

/// The table's row for `event` in `from`, if the machine acts on it there.
pub fn transition(from: State, event: Event) -> Option<&'static Transition> {
    Campaign::row(from, event)
}

impl Labels for State {
    fn name(self) -> &'static str {
        State::name(self)
    }
    fn label_zh(self) -> &'static str {
        State::label_zh(self)
    }
    fn label_en(self) -> &'static str {
        State::label_en(self)
    }
}

impl Labels for Event {
    fn name(self) -> &'static str {
        Event::name(self)
    }
    fn label_zh(self) -> &'static str {
        Event::label_zh(self)
    }
    fn label_en(self) -> &'static str {
        Event::label_en(self)
    }
}

impl Table for Campaign {
    type State = State;
    type Event = Event;
    type Command = Command;
    const STATES: &'static [State] = &State::ALL;
    const ROWS: &'static [Transition] = TRANSITIONS;
    const SUBMIT: Event = Event::Submit;
    const WITHDRAW: Event = Event::Withdraw;

    fn is_terminal(state: State) -> bool {
        state.is_terminal()
    }
}

/// A machine standing in `state`, reached from Draft along the table (the machine has no other
/// way in: it is the one the workflow restores after a replay).
pub fn machine_in(state: State) -> StateMachine<Campaign> {
    let mut machine = Campaign.state_machine();
    for event in path_to(state).expect("every state is reachable from Draft") {
        machine.handle_with_context(&event, &mut Vec::new());
    }
    machine
}

/// The shortest list of events that leads from Draft to `target` along the table.
pub fn path_to(target: State) -> Option<Vec<Event>> {
    let mut paths: Vec<(State, Vec<Event>)> = vec![(DRAFT, Vec::new())];
    let mut seen = vec![DRAFT];
    let mut at = 0;
    while at < paths.len() {
        let (state, path) = paths[at].clone();
        if state == target {
            return Some(path);
        }
        for row in TRANSITIONS.iter().filter(|t| t.from == state) {
            if !seen.contains(&row.to) {
                seen.push(row.to);
                let mut next = path.clone();
                next.push(row.event);
                paths.push((row.to, next));
            }
        }
        at += 1;
    }
    None
}

/// The machine as documentation: a Mermaid state diagram and the transition table in Markdown,
/// what `docs/processes/campaign.md` carries between its generated-section markers.
pub fn document() -> String {
    let mut out = String::from("```mermaid\nstateDiagram-v2\n    [*] --> Draft\n");
    for t in TRANSITIONS {
        out.push_str(&format!(
            "    {} --> {}: {}\n",
            t.from.name(),
            t.to.name(),
            t.event.label_zh()
        ));
    }
    for s in State::ALL.iter().filter(|s| s.is_terminal()) {
        out.push_str(&format!("    {} --> [*]\n", s.name()));
    }
    out.push_str("```\n\n| state | 状态 | terminal |\n|---|---|---|\n");
    for s in State::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            s.name(),
            s.label_zh(),
            if s.is_terminal() { "yes" } else { "" }
        ));
    }
    out.push_str("\n| from | event | 事件 | to | commands |\n|---|---|---|---|---|\n");
    for t in TRANSITIONS {
        let commands: Vec<String> = t.commands.iter().map(|c| format!("`{c:?}`")).collect();
        out.push_str(&format!(
            "| `{}` | `{}` | {} | `{}` | {} |\n",
            t.from.name(),
            t.event.name(),
            t.event.label_zh(),
            t.to.name(),
            commands.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BEGIN: &str = "<!-- generated from workflows/src/campaign/machine.rs: begin -->\n";
    const END: &str = "<!-- generated: end -->";

    /// The page's diagram and tables are the machine's; `UPDATE_DOCS=1` rewrites them.
    #[test]
    fn the_process_document_shows_the_machine_as_it_is() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/processes/campaign.md");
        let page = std::fs::read_to_string(&path).expect("docs/processes/campaign.md");
        let (head, rest) = page.split_once(BEGIN).expect("the begin marker");
        let (_, tail) = rest.split_once(END).expect("the end marker");
        let expected = format!("{head}{BEGIN}{}{END}{tail}", document());
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        assert!(
            page == expected,
            "docs/processes/campaign.md disagrees with the machine: run UPDATE_DOCS=1 cargo test -p quanyi-workflows"
        );
    }

    fn step(machine: &mut StateMachine<Campaign>, event: Event) -> Vec<Command> {
        let mut commands = Vec::new();
        machine.handle_with_context(&event, &mut commands);
        commands
    }

    /// Every (state, event) pair: the machine does exactly what the table says, and nothing where
    /// the table is silent.
    #[test]
    fn the_machine_and_the_table_agree_on_every_state_and_event() {
        for state in State::ALL {
            for event in Event::ALL {
                let mut machine = machine_in(state);
                assert_eq!(*machine.state(), state);
                let commands = step(&mut machine, event);
                match transition(state, event) {
                    Some(row) => {
                        assert_eq!(*machine.state(), row.to, "{state:?} --{event:?}-->");
                        assert_eq!(commands, row.commands, "{state:?} --{event:?}--> commands");
                    }
                    None => {
                        assert_eq!(
                            *machine.state(),
                            state,
                            "{event:?} is not allowed in {state:?}"
                        );
                        assert!(
                            commands.is_empty(),
                            "{state:?} --{event:?}--> emits nothing"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_table_has_one_row_per_pair_and_terminal_states_have_none() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in &TRANSITIONS[i + 1..] {
                assert!(
                    (a.from, a.event) != (b.from, b.event),
                    "{:?} {:?} twice",
                    a.from,
                    a.event
                );
            }
            assert!(!a.from.is_terminal(), "{:?} is terminal", a.from);
        }
        for state in State::ALL {
            assert!(path_to(state).is_some(), "{state:?} unreachable");
        }
    }

    #[test]
    fn the_main_road_draft_to_evaluated() {
        let mut m = Campaign.state_machine();
        assert_eq!(step(&mut m, Event::Submit), vec![Command::OpenReview]);
        assert_eq!(
            step(&mut m, Event::ApproveLevel),
            vec![Command::OpenNextLevel]
        );
        assert_eq!(*m.state(), State::second_review());
        assert_eq!(
            step(&mut m, Event::ApproveFinal),
            vec![Command::EndApproval, Command::NotifySubmitter]
        );
        step(&mut m, Event::StartTime);
        step(&mut m, Event::Pause);
        assert_eq!(*m.state(), State::paused());
        step(&mut m, Event::Resume);
        assert_eq!(
            step(&mut m, Event::EndTime),
            vec![Command::CancelApproval, Command::Evaluate]
        );
        step(&mut m, Event::Evaluated);
        assert_eq!(*m.state(), State::evaluated());
        assert!(m.state().is_terminal());
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::from_name(s.name()), Some(s));
        }
        for e in Event::ALL {
            assert_eq!(Event::from_name(e.name()), Some(e));
        }
    }

    #[test]
    fn the_transition_table_snapshot() {
        let rows: Vec<String> = TRANSITIONS
            .iter()
            .map(|t| {
                format!(
                    "{:<13} --{:<17}--> {:<13} {:?}",
                    t.from.name(),
                    t.event.name(),
                    t.to.name(),
                    t.commands
                )
            })
            .collect();
        insta::assert_snapshot!(rows.join("\n"));
    }

    proptest! {
        /// Random event sequences only ever follow the table.
        #[test]
        fn random_event_sequences_only_follow_the_table(
            events in proptest::collection::vec(proptest::sample::select(Event::ALL.to_vec()), 0..60)
        ) {
            let mut machine = Campaign.state_machine();
            for event in events {
                let before = *machine.state();
                let commands = step(&mut machine, event);
                let after = *machine.state();
                match transition(before, event) {
                    Some(row) => {
                        prop_assert_eq!(after, row.to);
                        prop_assert_eq!(commands.as_slice(), row.commands);
                    }
                    None => {
                        prop_assert_eq!(after, before);
                        prop_assert!(commands.is_empty());
                    }
                }
            }
        }
    }
}
