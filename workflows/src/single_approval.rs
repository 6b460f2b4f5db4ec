//! The machine of a request that one approval decides: 已申请 → 审批中 → 已生效, 已驳回 or
//! 已撤回, with the effect carried out once when the last level approves. Stock changes
//! (`stock`), merchant status requests (`merchant_status`) and listing requests (`listing`) are
//! this machine under their own labels: [`single_approval_machine!`] writes it into the module
//! that calls it — the statig machine, its table, the labels and the test that the two agree —
//! and [`single_approval_process!`] the workflow's `Process` around it.

/// Writes the single-approval machine into the calling module: `machine` names its type, `apply`
/// documents what its `Command::Apply` does, and the three labelled states take their (中文,
/// English) labels; 已驳回 and 已撤回 are the same everywhere.
macro_rules! single_approval_machine {
    (
        machine: $machine:ident,
        apply: $apply:literal,
        requested: $requested:expr,
        under_review: $under_review:expr,
        applied: $applied:expr $(,)?
    ) => {
        use serde::Serialize;
        use statig::prelude::*;
        use $crate::table::{Labels, Row, Table, row};

        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        pub enum Event {
            Submit,
            /// The last level approved.
            ApproveFinal,
            Reject,
            Withdraw,
        }

        impl Event {
            pub const ALL: [Event; 4] = [
                Event::Submit,
                Event::ApproveFinal,
                Event::Reject,
                Event::Withdraw,
            ];

            pub fn name(self) -> &'static str {
                match self {
                    Event::Submit => "Submit",
                    Event::ApproveFinal => "ApproveFinal",
                    Event::Reject => "Reject",
                    Event::Withdraw => "Withdraw",
                }
            }

            pub fn label_zh(self) -> &'static str {
                match self {
                    Event::Submit => "提交审批",
                    Event::ApproveFinal => "审批通过",
                    Event::Reject => "驳回",
                    Event::Withdraw => "撤回",
                }
            }

            pub fn label_en(self) -> &'static str {
                match self {
                    Event::Submit => "Submit",
                    Event::ApproveFinal => "Approve",
                    Event::Reject => "Reject",
                    Event::Withdraw => "Withdraw",
                }
            }
        }

        /// What a transition asks the workflow to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        pub enum Command {
            OpenReview,
            #[doc = $apply]
            Apply,
            /// Record the request as not applied (rejected or withdrawn).
            Close,
            CancelApproval,
            NotifySubmitter,
        }

        #[derive(Default)]
        pub struct $machine;

        type Commands = Vec<Command>;

        #[state_machine(
            initial = "State::requested()",
            state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
        )]
        impl $machine {
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
                        context.extend_from_slice(&[Command::Apply, Command::NotifySubmitter]);
                        Transition(State::applied())
                    }
                    Event::Reject => {
                        context.extend_from_slice(&[Command::Close, Command::NotifySubmitter]);
                        Transition(State::rejected())
                    }
                    Event::Withdraw => {
                        context.extend_from_slice(&[Command::CancelApproval, Command::Close]);
                        Transition(State::withdrawn())
                    }
                    Event::Submit => Handled,
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
            pub const ALL: [State; 5] = [
                State::Requested {},
                State::UnderReview {},
                State::Applied {},
                State::Rejected {},
                State::Withdrawn {},
            ];

            pub fn name(self) -> &'static str {
                match self {
                    State::Requested {} => "Requested",
                    State::UnderReview {} => "UnderReview",
                    State::Applied {} => "Applied",
                    State::Rejected {} => "Rejected",
                    State::Withdrawn {} => "Withdrawn",
                }
            }

            pub fn label_zh(self) -> &'static str {
                match self {
                    State::Requested {} => $requested.0,
                    State::UnderReview {} => $under_review.0,
                    State::Applied {} => $applied.0,
                    State::Rejected {} => "已驳回",
                    State::Withdrawn {} => "已撤回",
                }
            }

            pub fn label_en(self) -> &'static str {
                match self {
                    State::Requested {} => $requested.1,
                    State::UnderReview {} => $under_review.1,
                    State::Applied {} => $applied.1,
                    State::Rejected {} => "Rejected",
                    State::Withdrawn {} => "Withdrawn",
                }
            }

            pub fn is_terminal(self) -> bool {
                matches!(
                    self,
                    State::Applied {} | State::Rejected {} | State::Withdrawn {}
                )
            }
        }

        /// One row of the table.
        pub type Transition = Row<State, Event, Command>;

        /// Every transition; any other (state, event) pair changes nothing.
        pub const TRANSITIONS: &[Transition] = &[
            row(
                State::Requested {},
                Event::Submit,
                State::UnderReview {},
                &[Command::OpenReview],
            ),
            row(
                State::UnderReview {},
                Event::ApproveFinal,
                State::Applied {},
                &[Command::Apply, Command::NotifySubmitter],
            ),
            row(
                State::UnderReview {},
                Event::Reject,
                State::Rejected {},
                &[Command::Close, Command::NotifySubmitter],
            ),
            row(
                State::UnderReview {},
                Event::Withdraw,
                State::Withdrawn {},
                &[Command::CancelApproval, Command::Close],
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

        impl Table for $machine {
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
                        let mut machine = $machine.state_machine();
                        // reach `from` along the table
                        let path: &[Event] = match from {
                            State::Requested {} => &[],
                            State::UnderReview {} => &[Event::Submit],
                            State::Applied {} => &[Event::Submit, Event::ApproveFinal],
                            State::Rejected {} => &[Event::Submit, Event::Reject],
                            State::Withdrawn {} => &[Event::Submit, Event::Withdraw],
                        };
                        for e in path {
                            machine.handle_with_context(e, &mut Vec::new());
                        }
                        assert_eq!(*machine.state(), from);
                        let mut commands = Vec::new();
                        machine.handle_with_context(&event, &mut commands);
                        match $machine::row(from, event) {
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
    };
}

pub(crate) use single_approval_machine;

/// Writes the `Process` of a single-approval request's workflow into the calling module (which
/// has the machine's `Command`, `Event` and `State` and the contract's `Review` in scope): the
/// review opened on submission with the input's `policy`, the outcome settled by one activity when
/// the request ends (applied, rejected or withdrawn), the submitter told, no actions of its own.
macro_rules! single_approval_process {
    (
        workflow: $workflow:ident,
        machine: $machine:ident,
        kind: $kind:ident,
        outcome: $outcome:ident,
        settle: $settle:ident $(,)?
    ) => {
        impl $crate::host::Process for $workflow {
            type Machine = $machine;
            type Own = $crate::process::NoOwn;
            type Step = Review;
            type Effect = $outcome;
            type Detail = ();

            const KIND: $crate::kind::ProcessKind = $crate::kind::ProcessKind::$kind;

            fn command(
                &mut self,
                c: $crate::host::Commanded<'_, Event, Command>,
            ) -> Vec<$crate::host::Effect<$outcome>> {
                match c.command {
                    Command::OpenReview => {
                        let policy = self.input.policy.clone();
                        vec![self.host.open_approval(Review, policy, c.at)]
                    }
                    Command::Apply | Command::Close => {
                        self.host.end_approval();
                        let status = match self.host.state() {
                            State::Applied {} => "applied",
                            State::Withdrawn {} => "withdrawn",
                            _ => "rejected",
                        };
                        vec![$crate::host::Effect::Domain($outcome {
                            request_id: self.input.request_id.clone(),
                            status: status.into(),
                            // who took the step that ends the request
                            decided_by: self.host.last_actor(),
                            at: c.at,
                        })]
                    }
                    Command::CancelApproval => self
                        .host
                        .cancel_approval("withdrawn", c.at)
                        .into_iter()
                        .collect(),
                    Command::NotifySubmitter => {
                        let state = self.host.state();
                        let notice = self
                            .host
                            .notify_submitter(c.event, state, c.comment, None, c.at);
                        vec![notice]
                    }
                }
            }

            async fn effect(
                ctx: &mut temporalio_sdk::WorkflowContext<$workflow>,
                outcome: $outcome,
            ) -> temporalio_sdk::WorkflowResult<()> {
                ctx.execute_activity($settle, outcome, $crate::process::activity_options())
                    .await?;
                Ok(())
            }

            fn decided(&self, _step: Review, outcome: $crate::approval::Outcome) -> Option<Event> {
                match outcome {
                    $crate::approval::Outcome::NextLevel => None,
                    $crate::approval::Outcome::Approved => Some(Event::ApproveFinal),
                    $crate::approval::Outcome::Rejected | $crate::approval::Outcome::Returned => {
                        Some(Event::Reject)
                    }
                }
            }

            fn check_own(
                &self,
                _who: &$crate::approval::Actor,
                action: &$crate::process::NoOwn,
            ) -> Result<(), $crate::approval::Refusal> {
                match *action {}
            }

            fn own_allowed(&self, _viewer: &$crate::approval::Actor) -> Vec<&'static str> {
                Vec::new()
            }

            fn take_own(
                &mut self,
                _who: &$crate::approval::Actor,
                action: $crate::process::NoOwn,
                _comment: Option<&str>,
            ) -> Event {
                match action {}
            }

            fn detail(&self) {}
        }
    };
}

pub(crate) use single_approval_process;
