//! A machine as data: every process's statig machine has a transition table beside it (for the
//! docs, the monitor's diagram and the tests that keep the two in step). The shapes here are the
//! same for every process, so the diagram the API draws comes from one function.

use serde::{Deserialize, Serialize};
use statig::blocking::{IntoStateMachine, IntoStateMachineExt, StateMachine, Superstate};

/// What a state or an event is called: its stable name (the read model and the API use it) and
/// its labels for people.
pub trait Labels: Copy + Eq + 'static {
    fn name(self) -> &'static str;
    fn label_zh(self) -> &'static str;
    fn label_en(self) -> &'static str;
}

/// One row of a transition table. `from == to` for an internal transition (the process keeps its
/// state while the event's commands run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Row<S: 'static, E: 'static, C: 'static> {
    pub from: S,
    pub event: E,
    pub to: S,
    pub commands: &'static [C],
}

/// A row, for `const` tables.
pub const fn row<S, E, C>(from: S, event: E, to: S, commands: &'static [C]) -> Row<S, E, C> {
    Row {
        from,
        event,
        to,
        commands,
    }
}

/// A process's machine as a table: its states (terminal or not) and its rows.
pub trait Table {
    type State: Labels;
    type Event: Labels;
    type Command: 'static;
    const STATES: &'static [Self::State];
    const ROWS: &'static [Row<Self::State, Self::Event, Self::Command>];
    /// The event of the submission a process starts with.
    const SUBMIT: Self::Event;
    /// The event of the submitter's withdrawal.
    const WITHDRAW: Self::Event;

    fn is_terminal(state: Self::State) -> bool;

    /// The table's row for `event` in `from`, if the machine acts on it there.
    fn row(
        from: Self::State,
        event: Self::Event,
    ) -> Option<&'static Row<Self::State, Self::Event, Self::Command>> {
        Self::ROWS
            .iter()
            .find(|r| r.from == from && r.event == event)
    }

    /// The machine as a graph, for the monitor.
    fn diagram() -> Diagram {
        Diagram {
            states: Self::STATES
                .iter()
                .map(|&s| DiagramState {
                    id: s.name().into(),
                    label_zh: s.label_zh().into(),
                    label_en: s.label_en().into(),
                    terminal: Self::is_terminal(s),
                })
                .collect(),
            transitions: Self::ROWS
                .iter()
                .map(|r| DiagramTransition {
                    from: r.from.name().into(),
                    to: r.to.name().into(),
                    event: r.event.name().into(),
                    label_zh: r.event.label_zh().into(),
                    label_en: r.event.label_en().into(),
                })
                .collect(),
        }
    }
}

/// A statig machine with its table, driven the same way for every process: made, asked its
/// state, fed an event with a list collecting the commands it emits.
pub trait Drive: Table + IntoStateMachine + Sized {
    fn machine() -> StateMachine<Self>;
    fn current(machine: &StateMachine<Self>) -> <Self as Table>::State;
    fn fire(
        machine: &mut StateMachine<Self>,
        event: <Self as Table>::Event,
    ) -> Vec<<Self as Table>::Command>;
}

impl<M> Drive for M
where
    M: Table
        + Default
        + for<'a> IntoStateMachine<
            State = <M as Table>::State,
            Event<'a> = <M as Table>::Event,
            Context<'a> = Vec<<M as Table>::Command>,
        >,
    <M as Table>::State: statig::blocking::State<M>,
    for<'s> <M as IntoStateMachine>::Superstate<'s>: Superstate<M>,
{
    fn machine() -> StateMachine<Self> {
        M::default().state_machine()
    }

    fn current(machine: &StateMachine<Self>) -> <Self as Table>::State {
        *machine.state()
    }

    fn fire(
        machine: &mut StateMachine<Self>,
        event: <Self as Table>::Event,
    ) -> Vec<<Self as Table>::Command> {
        let mut commands = Vec::new();
        machine.handle_with_context(&event, &mut commands);
        commands
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagramState {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub terminal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagramTransition {
    pub from: String,
    pub to: String,
    pub event: String,
    pub label_zh: String,
    pub label_en: String,
}

/// A process kind's machine as a graph: its states and its transition table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagram {
    pub states: Vec<DiagramState>,
    pub transitions: Vec<DiagramTransition>,
}
