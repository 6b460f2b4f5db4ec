//! The settlement-account change's state machine (statig): pure, no clock, no I/O;
//! [`TRANSITIONS`] is the same machine as a table.
//!
//! 已申请 → 审批中 → 核验中 → 已变更. Rejected or withdrawn while reviewed, it ends 已驳回 or 已撤回;
//! an account the core banking system does not confirm opens 核验异常, a staff task: checked again
//! (核验中) or rejected.

use crate::table::{Labels, Row, Table, row};
use serde::Serialize;
use statig::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    Submit,
    /// The review approved.
    ApproveFinal,
    Reject,
    Withdraw,
    /// The core confirmed the account: it replaced the old one.
    Matched,
    /// The core did not confirm the account.
    Mismatch,
    /// 核验异常 handled: check again.
    Retry,
}

impl Event {
    pub const ALL: [Event; 7] = [
        Event::Submit,
        Event::ApproveFinal,
        Event::Reject,
        Event::Withdraw,
        Event::Matched,
        Event::Mismatch,
        Event::Retry,
    ];
}

impl Labels for Event {
    fn name(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::ApproveFinal => "ApproveFinal",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
            Event::Matched => "Matched",
            Event::Mismatch => "Mismatch",
            Event::Retry => "Retry",
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            Event::Submit => "提交申请",
            Event::ApproveFinal => "审批通过",
            Event::Reject => "驳回",
            Event::Withdraw => "撤回",
            Event::Matched => "核验通过",
            Event::Mismatch => "账户核验不符",
            Event::Retry => "重新核验",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::ApproveFinal => "Approve",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
            Event::Matched => "Account confirmed",
            Event::Mismatch => "Account not confirmed",
            Event::Retry => "Check again",
        }
    }
}

/// What a transition asks the workflow to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    OpenReview,
    /// The open approval's last task is closed: end it.
    EndReview,
    /// Close the open approval's task unanswered (withdrawn).
    CancelReview,
    /// Check the account with the core (and, confirmed, replace the old one).
    Check,
    OpenException,
    /// Record the request as ended without its account (rejected or withdrawn).
    Close,
    NotifySubmitter,
}

#[derive(Default)]
pub struct AccountChange;

type Commands = Vec<Command>;

#[state_machine(
    initial = "State::requested()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
)]
impl AccountChange {
    #[state]
    fn requested(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => {
                context.push(Command::OpenReview);
                Transition(State::under_review())
            }
            _ => Handled,
        }
    }

    #[state]
    fn under_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::ApproveFinal => {
                context.extend_from_slice(&[Command::EndReview, Command::Check]);
                Transition(State::checking())
            }
            Event::Reject => {
                context.extend_from_slice(&[
                    Command::EndReview,
                    Command::Close,
                    Command::NotifySubmitter,
                ]);
                Transition(State::rejected())
            }
            Event::Withdraw => {
                context.extend_from_slice(&[Command::CancelReview, Command::Close]);
                Transition(State::withdrawn())
            }
            _ => Handled,
        }
    }

    #[state]
    fn checking(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Matched => {
                context.push(Command::NotifySubmitter);
                Transition(State::applied())
            }
            Event::Mismatch => {
                context.push(Command::OpenException);
                Transition(State::exception())
            }
            _ => Handled,
        }
    }

    #[state]
    fn exception(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Retry => {
                context.extend_from_slice(&[Command::EndReview, Command::Check]);
                Transition(State::checking())
            }
            Event::Reject => {
                context.extend_from_slice(&[
                    Command::EndReview,
                    Command::Close,
                    Command::NotifySubmitter,
                ]);
                Transition(State::rejected())
            }
            _ => Handled,
        }
    }

    #[state]
    fn applied(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn rejected(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn withdrawn(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

impl State {
    pub const ALL: [State; 7] = [
        State::Requested {},
        State::UnderReview {},
        State::Checking {},
        State::Exception {},
        State::Applied {},
        State::Rejected {},
        State::Withdrawn {},
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Applied {} | State::Rejected {} | State::Withdrawn {}
        )
    }
}

impl Labels for State {
    fn name(self) -> &'static str {
        match self {
            State::Requested {} => "Requested",
            State::UnderReview {} => "UnderReview",
            State::Checking {} => "Checking",
            State::Exception {} => "Exception",
            State::Applied {} => "Applied",
            State::Rejected {} => "Rejected",
            State::Withdrawn {} => "Withdrawn",
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            State::Requested {} => "已申请",
            State::UnderReview {} => "审批中",
            State::Checking {} => "核验中",
            State::Exception {} => "核验异常",
            State::Applied {} => "已变更",
            State::Rejected {} => "已驳回",
            State::Withdrawn {} => "已撤回",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            State::Requested {} => "Requested",
            State::UnderReview {} => "Under review",
            State::Checking {} => "Checking with the core",
            State::Exception {} => "Account not confirmed",
            State::Applied {} => "Changed",
            State::Rejected {} => "Rejected",
            State::Withdrawn {} => "Withdrawn",
        }
    }
}

/// One row of the table.
pub type Transition = Row<State, Event, Command>;

const REQUESTED: State = State::Requested {};
const REVIEW: State = State::UnderReview {};
const CHECKING: State = State::Checking {};
const EXCEPTION: State = State::Exception {};
const APPLIED: State = State::Applied {};
const REJECTED: State = State::Rejected {};
const WITHDRAWN: State = State::Withdrawn {};

const CHECK: &[Command] = &[Command::EndReview, Command::Check];
const REJECT: &[Command] = &[Command::EndReview, Command::Close, Command::NotifySubmitter];

/// Every transition; any other (state, event) pair changes nothing.
pub const TRANSITIONS: &[Transition] = &[
    row(REQUESTED, Event::Submit, REVIEW, &[Command::OpenReview]),
    row(REVIEW, Event::ApproveFinal, CHECKING, CHECK),
    row(REVIEW, Event::Reject, REJECTED, REJECT),
    row(
        REVIEW,
        Event::Withdraw,
        WITHDRAWN,
        &[Command::CancelReview, Command::Close],
    ),
    row(
        CHECKING,
        Event::Matched,
        APPLIED,
        &[Command::NotifySubmitter],
    ),
    row(
        CHECKING,
        Event::Mismatch,
        EXCEPTION,
        &[Command::OpenException],
    ),
    row(EXCEPTION, Event::Retry, CHECKING, CHECK),
    row(EXCEPTION, Event::Reject, REJECTED, REJECT),
];

impl Table for AccountChange {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (state, event) pair does what the table says, and nothing where it is silent.
    #[test]
    fn the_machine_and_its_table_agree_on_every_pair() {
        for from in State::ALL {
            for event in Event::ALL {
                let mut machine = AccountChange.state_machine();
                // reach `from` along the table
                let path: &[Event] = match from {
                    State::Requested {} => &[],
                    State::UnderReview {} => &[Event::Submit],
                    State::Checking {} => &[Event::Submit, Event::ApproveFinal],
                    State::Exception {} => &[Event::Submit, Event::ApproveFinal, Event::Mismatch],
                    State::Applied {} => &[Event::Submit, Event::ApproveFinal, Event::Matched],
                    State::Rejected {} => &[Event::Submit, Event::Reject],
                    State::Withdrawn {} => &[Event::Submit, Event::Withdraw],
                };
                for e in path {
                    machine.handle_with_context(e, &mut Vec::new());
                }
                assert_eq!(*machine.state(), from);
                let mut commands = Vec::new();
                machine.handle_with_context(&event, &mut commands);
                match AccountChange::row(from, event) {
                    Some(row) => {
                        assert_eq!(
                            (*machine.state(), commands.as_slice()),
                            (row.to, row.commands),
                            "{event:?} in {from:?}"
                        );
                    }
                    None => {
                        assert_eq!(*machine.state(), from, "{event:?} in {from:?}");
                        assert!(commands.is_empty());
                    }
                }
            }
        }
    }
}
