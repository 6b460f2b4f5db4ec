//! The inspection task's state machine (statig): pure, no clock, no I/O; [`TRANSITIONS`] is the
//! same machine as a table. 已派发 → 待巡查 → 已提交 → 已确认, or 已退回 (back to the inspector)
//! and submitted again; a finding may ask the merchant for 整改: 整改中 → 整改待验收 → 已整改, or
//! back to 整改中; an overdue rectification is escalated once (整改中 → 整改中).

use crate::table::{Labels, Row, Table, row};
use serde::Serialize;
use statig::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    /// The task is issued to its inspector (the process's first submission).
    Assign,
    /// The inspector submits the checklist.
    Submit,
    /// Staff confirm the inspection (the review's last level approved).
    ApproveFinal,
    /// Staff send it back to the inspector with a reason.
    Return,
    /// Staff ask the merchant to rectify a finding, with a deadline.
    RequestRectification,
    /// The merchant answers with text and evidence.
    AnswerRectification,
    /// Staff accept the rectification.
    AcceptRectification,
    /// Staff send the rectification back to the merchant.
    ReturnRectification,
    /// The rectification's deadline passed unanswered: escalated once.
    RectificationOverdue,
    /// The issuer cancels a task not yet submitted.
    Cancel,
}

impl Event {
    pub const ALL: [Event; 10] = [
        Event::Assign,
        Event::Submit,
        Event::ApproveFinal,
        Event::Return,
        Event::RequestRectification,
        Event::AnswerRectification,
        Event::AcceptRectification,
        Event::ReturnRectification,
        Event::RectificationOverdue,
        Event::Cancel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::Assign => "Assign",
            Event::Submit => "Submit",
            Event::ApproveFinal => "ApproveFinal",
            Event::Return => "Return",
            Event::RequestRectification => "RequestRectification",
            Event::AnswerRectification => "AnswerRectification",
            Event::AcceptRectification => "AcceptRectification",
            Event::ReturnRectification => "ReturnRectification",
            Event::RectificationOverdue => "RectificationOverdue",
            Event::Cancel => "Cancel",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Event::Assign => "派发",
            Event::Submit => "提交巡查",
            Event::ApproveFinal => "确认",
            Event::Return => "退回",
            Event::RequestRectification => "要求整改",
            Event::AnswerRectification => "提交整改",
            Event::AcceptRectification => "整改验收通过",
            Event::ReturnRectification => "整改退回",
            Event::RectificationOverdue => "整改超期上报",
            Event::Cancel => "撤销",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Event::Assign => "Assign",
            Event::Submit => "Submit",
            Event::ApproveFinal => "Confirm",
            Event::Return => "Return",
            Event::RequestRectification => "Request rectification",
            Event::AnswerRectification => "Answer rectification",
            Event::AcceptRectification => "Accept rectification",
            Event::ReturnRectification => "Return rectification",
            Event::RectificationOverdue => "Rectification overdue",
            Event::Cancel => "Cancel",
        }
    }
}

/// What a transition asks the workflow to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    /// Open the inspector's task (the `inspect` approval: its SLA reminds, then escalates).
    OpenInspect,
    NotifyInspector,
    /// Close the inspector's task as done by the submitter.
    CloseInspect,
    /// Keep the submitted answers.
    RecordSubmission,
    /// Open the staff's confirmation (the `review` approval).
    OpenReview,
    /// Record the confirmation or the return in the store.
    Settle,
    /// Close the confirmation's task as done by the one who asked for rectification.
    CloseReview,
    /// Record the rectification asked (the merchant is told).
    RecordRectification,
    /// Record the merchant's answer.
    RecordAnswer,
    /// Open the staff's acceptance of the rectification (the `rectification` approval).
    OpenAcceptance,
    /// Record the acceptance or the return of the rectification (the merchant is told).
    SettleRectification,
    /// Tell the superior org the rectification is overdue.
    EscalateRectification,
    CancelApproval,
}

#[derive(Default)]
pub struct Inspection;

type Commands = Vec<Command>;

const SUBMITTED: &[Command] = &[
    Command::CloseInspect,
    Command::RecordSubmission,
    Command::OpenReview,
];
const CONFIRMED: &[Command] = &[Command::Settle, Command::NotifyInspector];
const RETURNED: &[Command] = &[
    Command::Settle,
    Command::OpenInspect,
    Command::NotifyInspector,
];
const RECTIFY: &[Command] = &[Command::CloseReview, Command::RecordRectification];
const ANSWERED: &[Command] = &[Command::RecordAnswer, Command::OpenAcceptance];
const ACCEPTANCE: &[Command] = &[Command::SettleRectification];
const OVERDUE: &[Command] = &[Command::EscalateRectification];
const CANCELLED: &[Command] = &[Command::CancelApproval, Command::Settle];

#[state_machine(
    initial = "State::issued()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
)]
impl Inspection {
    #[state]
    fn issued(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Assign => {
                context.extend_from_slice(&[Command::OpenInspect, Command::NotifyInspector]);
                Transition(State::pending())
            }
            _ => Handled,
        }
    }

    #[state]
    fn pending(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => {
                context.extend_from_slice(SUBMITTED);
                Transition(State::submitted())
            }
            Event::Cancel => {
                context.extend_from_slice(CANCELLED);
                Transition(State::cancelled())
            }
            _ => Handled,
        }
    }

    #[state]
    fn submitted(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::ApproveFinal => {
                context.extend_from_slice(CONFIRMED);
                Transition(State::confirmed())
            }
            Event::Return => {
                context.extend_from_slice(RETURNED);
                Transition(State::returned())
            }
            Event::RequestRectification => {
                context.extend_from_slice(RECTIFY);
                Transition(State::rectifying())
            }
            _ => Handled,
        }
    }

    #[state]
    fn returned(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Submit => {
                context.extend_from_slice(SUBMITTED);
                Transition(State::submitted())
            }
            Event::Cancel => {
                context.extend_from_slice(CANCELLED);
                Transition(State::cancelled())
            }
            _ => Handled,
        }
    }

    #[state]
    fn rectifying(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::AnswerRectification => {
                context.extend_from_slice(ANSWERED);
                Transition(State::rectification_review())
            }
            Event::RectificationOverdue => {
                context.extend_from_slice(OVERDUE);
                Transition(State::rectifying())
            }
            _ => Handled,
        }
    }

    #[state]
    fn rectification_review(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::AcceptRectification => {
                context.extend_from_slice(ACCEPTANCE);
                Transition(State::rectified())
            }
            Event::ReturnRectification => {
                context.extend_from_slice(ACCEPTANCE);
                Transition(State::rectifying())
            }
            _ => Handled,
        }
    }

    #[state]
    fn confirmed(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn rectified(event: &Event) -> Outcome<State> {
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
    pub const ALL: [State; 9] = [
        State::Issued {},
        State::Pending {},
        State::Submitted {},
        State::Returned {},
        State::Confirmed {},
        State::Rectifying {},
        State::RectificationReview {},
        State::Rectified {},
        State::Cancelled {},
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Issued {} => "Issued",
            State::Pending {} => "Pending",
            State::Submitted {} => "Submitted",
            State::Returned {} => "Returned",
            State::Confirmed {} => "Confirmed",
            State::Rectifying {} => "Rectifying",
            State::RectificationReview {} => "RectificationReview",
            State::Rectified {} => "Rectified",
            State::Cancelled {} => "Cancelled",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Issued {} => "已派发",
            State::Pending {} => "待巡查",
            State::Submitted {} => "已提交",
            State::Returned {} => "已退回",
            State::Confirmed {} => "已确认",
            State::Rectifying {} => "整改中",
            State::RectificationReview {} => "整改待验收",
            State::Rectified {} => "已整改",
            State::Cancelled {} => "已撤销",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            State::Issued {} => "Issued",
            State::Pending {} => "To inspect",
            State::Submitted {} => "Submitted",
            State::Returned {} => "Returned",
            State::Confirmed {} => "Confirmed",
            State::Rectifying {} => "Rectifying",
            State::RectificationReview {} => "Rectification to accept",
            State::Rectified {} => "Rectified",
            State::Cancelled {} => "Cancelled",
        }
    }

    /// The status the store keeps for the state.
    pub fn status(self) -> &'static str {
        match self {
            State::Issued {} | State::Pending {} => "pending",
            State::Submitted {} => "submitted",
            State::Returned {} => "returned",
            State::Confirmed {} => "confirmed",
            State::Rectifying {} => "rectifying",
            State::RectificationReview {} => "rectification_review",
            State::Rectified {} => "rectified",
            State::Cancelled {} => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Confirmed {} | State::Rectified {} | State::Cancelled {}
        )
    }
}

/// One row of the table.
pub type Transition = Row<State, Event, Command>;

/// Every transition; any other (state, event) pair changes nothing.
pub const TRANSITIONS: &[Transition] = &[
    row(
        State::Issued {},
        Event::Assign,
        State::Pending {},
        &[Command::OpenInspect, Command::NotifyInspector],
    ),
    row(
        State::Pending {},
        Event::Submit,
        State::Submitted {},
        SUBMITTED,
    ),
    row(
        State::Pending {},
        Event::Cancel,
        State::Cancelled {},
        CANCELLED,
    ),
    row(
        State::Submitted {},
        Event::ApproveFinal,
        State::Confirmed {},
        CONFIRMED,
    ),
    row(
        State::Submitted {},
        Event::Return,
        State::Returned {},
        RETURNED,
    ),
    row(
        State::Submitted {},
        Event::RequestRectification,
        State::Rectifying {},
        RECTIFY,
    ),
    row(
        State::Returned {},
        Event::Submit,
        State::Submitted {},
        SUBMITTED,
    ),
    row(
        State::Returned {},
        Event::Cancel,
        State::Cancelled {},
        CANCELLED,
    ),
    row(
        State::Rectifying {},
        Event::AnswerRectification,
        State::RectificationReview {},
        ANSWERED,
    ),
    row(
        State::Rectifying {},
        Event::RectificationOverdue,
        State::Rectifying {},
        OVERDUE,
    ),
    row(
        State::RectificationReview {},
        Event::AcceptRectification,
        State::Rectified {},
        ACCEPTANCE,
    ),
    row(
        State::RectificationReview {},
        Event::ReturnRectification,
        State::Rectifying {},
        ACCEPTANCE,
    ),
];

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

impl Table for Inspection {
    type State = State;
    type Event = Event;
    type Command = Command;
    const STATES: &'static [State] = &State::ALL;
    const ROWS: &'static [Transition] = TRANSITIONS;
    const SUBMIT: Event = Event::Assign;
    const WITHDRAW: Event = Event::Cancel;

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
                let mut machine = Inspection.state_machine();
                // reach `from` along the table
                let path: &[Event] = match from {
                    State::Issued {} => &[],
                    State::Pending {} => &[Event::Assign],
                    State::Submitted {} => &[Event::Assign, Event::Submit],
                    State::Returned {} => &[Event::Assign, Event::Submit, Event::Return],
                    State::Confirmed {} => &[Event::Assign, Event::Submit, Event::ApproveFinal],
                    State::Rectifying {} => {
                        &[Event::Assign, Event::Submit, Event::RequestRectification]
                    }
                    State::RectificationReview {} => &[
                        Event::Assign,
                        Event::Submit,
                        Event::RequestRectification,
                        Event::AnswerRectification,
                    ],
                    State::Rectified {} => &[
                        Event::Assign,
                        Event::Submit,
                        Event::RequestRectification,
                        Event::AnswerRectification,
                        Event::AcceptRectification,
                    ],
                    State::Cancelled {} => &[Event::Assign, Event::Cancel],
                };
                for e in path {
                    machine.handle_with_context(e, &mut Vec::new());
                }
                assert_eq!(*machine.state(), from);
                let mut commands = Vec::new();
                machine.handle_with_context(&event, &mut commands);
                match Inspection::row(from, event) {
                    Some(row) => {
                        assert_eq!(
                            (*machine.state(), commands.as_slice()),
                            (row.to, row.commands)
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
