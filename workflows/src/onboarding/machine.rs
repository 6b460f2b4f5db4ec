//! The merchant onboarding's state machine (statig): pure, no clock, no I/O; [`TRANSITIONS`] is the
//! same machine as a table.
//!
//! 草稿 → 待初审 (the branch of the merchant's area) → 待复核 (head office) → 开户中 → 已开通. Either
//! review may return the application for more material (待补件), which the applicant answers
//! (back to 待初审) or lets lapse (已失效); either may reject it (已驳回). The applicant may withdraw
//! it until it is approved. In 开户中 a settlement account that the core banking system does not
//! confirm opens 开户异常, a staff task: checked again (开户中) or rejected.

use crate::table::{Labels, Row, Table, row};
use serde::Serialize;
use statig::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    Submit,
    /// 初审 approved.
    PassFirst,
    /// 复核 approved.
    PassSecond,
    /// A review asked for more material.
    Return,
    /// The applicant answered the request for more material.
    Resubmit,
    /// The deadline for more material passed unanswered.
    Expire,
    Reject,
    Withdraw,
    /// Provisioning finished: merchant, stores, administrator, checked account.
    Opened,
    /// The core banking system did not confirm the settlement account.
    AccountMismatch,
    /// 开户异常 handled: provision again.
    Retry,
}

impl Event {
    pub const ALL: [Event; 11] = [
        Event::Submit,
        Event::PassFirst,
        Event::PassSecond,
        Event::Return,
        Event::Resubmit,
        Event::Expire,
        Event::Reject,
        Event::Withdraw,
        Event::Opened,
        Event::AccountMismatch,
        Event::Retry,
    ];
}

impl Labels for Event {
    fn name(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::PassFirst => "PassFirst",
            Event::PassSecond => "PassSecond",
            Event::Return => "Return",
            Event::Resubmit => "Resubmit",
            Event::Expire => "Expire",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
            Event::Opened => "Opened",
            Event::AccountMismatch => "AccountMismatch",
            Event::Retry => "Retry",
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            Event::Submit => "提交申请",
            Event::PassFirst => "初审通过",
            Event::PassSecond => "复核通过",
            Event::Return => "退回补件",
            Event::Resubmit => "补件提交",
            Event::Expire => "补件逾期",
            Event::Reject => "驳回",
            Event::Withdraw => "撤回申请",
            Event::Opened => "开通完成",
            Event::AccountMismatch => "账户核验不符",
            Event::Retry => "重新开户",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            Event::Submit => "Submit",
            Event::PassFirst => "First review passed",
            Event::PassSecond => "Second review passed",
            Event::Return => "Returned for material",
            Event::Resubmit => "Material supplied",
            Event::Expire => "Material overdue",
            Event::Reject => "Reject",
            Event::Withdraw => "Withdraw",
            Event::Opened => "Opened",
            Event::AccountMismatch => "Account not confirmed",
            Event::Retry => "Provision again",
        }
    }
}

/// What a transition asks the workflow to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    OpenFirstReview,
    OpenSecondReview,
    /// The open review's last task is closed: end it.
    EndReview,
    /// Close the open review's task unanswered (withdrawn).
    CancelReview,
    /// Start the deadline for more material.
    StartDeadline,
    /// Create the merchant, its stores and administrator after checking the account; each step once.
    Provision,
    OpenException,
    /// Tell the applicant by SMS how the application stands.
    NotifyApplicant,
}

#[derive(Default)]
pub struct Onboarding;

type Commands = Vec<Command>;

#[state_machine(
    initial = "State::draft()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
)]
impl Onboarding {
    #[state]
    fn draft(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => {
                context.push(Command::OpenFirstReview);
                Transition(State::first_review())
            }
            _ => Handled,
        }
    }

    #[state]
    fn first_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::PassFirst => {
                context.extend_from_slice(&[Command::EndReview, Command::OpenSecondReview]);
                Transition(State::second_review())
            }
            Event::Return => {
                context.extend_from_slice(&[
                    Command::EndReview,
                    Command::StartDeadline,
                    Command::NotifyApplicant,
                ]);
                Transition(State::supplement())
            }
            Event::Reject => {
                context.extend_from_slice(&[Command::EndReview, Command::NotifyApplicant]);
                Transition(State::rejected())
            }
            Event::Withdraw => {
                context.push(Command::CancelReview);
                Transition(State::withdrawn())
            }
            _ => Handled,
        }
    }

    #[state]
    fn second_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::PassSecond => {
                context.extend_from_slice(&[
                    Command::EndReview,
                    Command::NotifyApplicant,
                    Command::Provision,
                ]);
                Transition(State::provisioning())
            }
            Event::Return => {
                context.extend_from_slice(&[
                    Command::EndReview,
                    Command::StartDeadline,
                    Command::NotifyApplicant,
                ]);
                Transition(State::supplement())
            }
            Event::Reject => {
                context.extend_from_slice(&[Command::EndReview, Command::NotifyApplicant]);
                Transition(State::rejected())
            }
            Event::Withdraw => {
                context.push(Command::CancelReview);
                Transition(State::withdrawn())
            }
            _ => Handled,
        }
    }

    #[state]
    fn supplement(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Resubmit => {
                context.push(Command::OpenFirstReview);
                Transition(State::first_review())
            }
            Event::Expire => {
                context.push(Command::NotifyApplicant);
                Transition(State::expired())
            }
            Event::Withdraw => Transition(State::withdrawn()),
            _ => Handled,
        }
    }

    #[state]
    fn provisioning(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Opened => {
                context.push(Command::NotifyApplicant);
                Transition(State::opened())
            }
            Event::AccountMismatch => {
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
                context.extend_from_slice(&[Command::EndReview, Command::Provision]);
                Transition(State::provisioning())
            }
            Event::Reject => {
                context.extend_from_slice(&[Command::EndReview, Command::NotifyApplicant]);
                Transition(State::rejected())
            }
            _ => Handled,
        }
    }

    #[state]
    fn opened(event: &Event) -> Outcome<State> {
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

    #[state]
    fn expired(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

impl State {
    pub const ALL: [State; 10] = [
        State::Draft {},
        State::FirstReview {},
        State::SecondReview {},
        State::Supplement {},
        State::Provisioning {},
        State::Exception {},
        State::Opened {},
        State::Rejected {},
        State::Withdrawn {},
        State::Expired {},
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Opened {} | State::Rejected {} | State::Withdrawn {} | State::Expired {}
        )
    }
}

impl Labels for State {
    fn name(self) -> &'static str {
        match self {
            State::Draft {} => "Draft",
            State::FirstReview {} => "FirstReview",
            State::SecondReview {} => "SecondReview",
            State::Supplement {} => "Supplement",
            State::Provisioning {} => "Provisioning",
            State::Exception {} => "Exception",
            State::Opened {} => "Opened",
            State::Rejected {} => "Rejected",
            State::Withdrawn {} => "Withdrawn",
            State::Expired {} => "Expired",
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            State::Draft {} => "草稿",
            State::FirstReview {} => "待初审",
            State::SecondReview {} => "待复核",
            State::Supplement {} => "待补件",
            State::Provisioning {} => "开户中",
            State::Exception {} => "开户异常",
            State::Opened {} => "已开通",
            State::Rejected {} => "已驳回",
            State::Withdrawn {} => "已撤回",
            State::Expired {} => "已失效",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            State::Draft {} => "Draft",
            State::FirstReview {} => "First review",
            State::SecondReview {} => "Second review",
            State::Supplement {} => "Waiting for material",
            State::Provisioning {} => "Provisioning",
            State::Exception {} => "Provisioning exception",
            State::Opened {} => "Opened",
            State::Rejected {} => "Rejected",
            State::Withdrawn {} => "Withdrawn",
            State::Expired {} => "Expired",
        }
    }
}

/// One row of the table.
pub type Transition = Row<State, Event, Command>;

const DRAFT: State = State::Draft {};
const FIRST: State = State::FirstReview {};
const SECOND: State = State::SecondReview {};
const SUPPLEMENT: State = State::Supplement {};
const PROVISIONING: State = State::Provisioning {};
const EXCEPTION: State = State::Exception {};
const OPENED: State = State::Opened {};
const REJECTED: State = State::Rejected {};
const WITHDRAWN: State = State::Withdrawn {};
const EXPIRED: State = State::Expired {};

const RETURNED: &[Command] = &[
    Command::EndReview,
    Command::StartDeadline,
    Command::NotifyApplicant,
];
const REJECTED_BY_REVIEW: &[Command] = &[Command::EndReview, Command::NotifyApplicant];

/// Every transition; any other (state, event) pair changes nothing.
pub const TRANSITIONS: &[Transition] = &[
    row(DRAFT, Event::Submit, FIRST, &[Command::OpenFirstReview]),
    row(
        FIRST,
        Event::PassFirst,
        SECOND,
        &[Command::EndReview, Command::OpenSecondReview],
    ),
    row(FIRST, Event::Return, SUPPLEMENT, RETURNED),
    row(FIRST, Event::Reject, REJECTED, REJECTED_BY_REVIEW),
    row(FIRST, Event::Withdraw, WITHDRAWN, &[Command::CancelReview]),
    row(
        SECOND,
        Event::PassSecond,
        PROVISIONING,
        &[
            Command::EndReview,
            Command::NotifyApplicant,
            Command::Provision,
        ],
    ),
    row(SECOND, Event::Return, SUPPLEMENT, RETURNED),
    row(SECOND, Event::Reject, REJECTED, REJECTED_BY_REVIEW),
    row(SECOND, Event::Withdraw, WITHDRAWN, &[Command::CancelReview]),
    row(
        SUPPLEMENT,
        Event::Resubmit,
        FIRST,
        &[Command::OpenFirstReview],
    ),
    row(
        SUPPLEMENT,
        Event::Expire,
        EXPIRED,
        &[Command::NotifyApplicant],
    ),
    row(SUPPLEMENT, Event::Withdraw, WITHDRAWN, &[]),
    row(
        PROVISIONING,
        Event::Opened,
        OPENED,
        &[Command::NotifyApplicant],
    ),
    row(
        PROVISIONING,
        Event::AccountMismatch,
        EXCEPTION,
        &[Command::OpenException],
    ),
    row(
        EXCEPTION,
        Event::Retry,
        PROVISIONING,
        &[Command::EndReview, Command::Provision],
    ),
    row(EXCEPTION, Event::Reject, REJECTED, REJECTED_BY_REVIEW),
];

impl Table for Onboarding {
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
                let mut machine = Onboarding.state_machine();
                // reach `from` along the table
                let path: &[Event] = match from {
                    State::Draft {} => &[],
                    State::FirstReview {} => &[Event::Submit],
                    State::SecondReview {} => &[Event::Submit, Event::PassFirst],
                    State::Supplement {} => &[Event::Submit, Event::Return],
                    State::Provisioning {} => &[Event::Submit, Event::PassFirst, Event::PassSecond],
                    State::Exception {} => &[
                        Event::Submit,
                        Event::PassFirst,
                        Event::PassSecond,
                        Event::AccountMismatch,
                    ],
                    State::Opened {} => &[
                        Event::Submit,
                        Event::PassFirst,
                        Event::PassSecond,
                        Event::Opened,
                    ],
                    State::Rejected {} => &[Event::Submit, Event::Reject],
                    State::Withdrawn {} => &[Event::Submit, Event::Withdraw],
                    State::Expired {} => &[Event::Submit, Event::Return, Event::Expire],
                };
                for e in path {
                    machine.handle_with_context(e, &mut Vec::new());
                }
                assert_eq!(*machine.state(), from);
                let mut commands = Vec::new();
                machine.handle_with_context(&event, &mut commands);
                match Onboarding::row(from, event) {
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
