//! A mall order's small life (issue 19, MALL-6) as a statig machine: pure, no clock, no I/O.
//! 待支付 → 已支付 → 已发货 → 已完成; before payment the customer cancels (已取消) or time runs out
//! (已关闭). An order is no process: its transitions run inside the PostgreSQL transaction of the
//! call that causes them (the store locks the order row, restores the machine in the stored state,
//! applies the event and carries out the commands it emits, in the same transaction).

use serde::Serialize;
use statig::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    /// Q支付 says the cash part is paid (or there is no cash part).
    Pay,
    /// The customer cancels before paying.
    Cancel,
    /// Not paid in time: the sweeper closes it.
    Close,
    /// The supplier ships (carrier and tracking number).
    Ship,
    /// The customer confirms receipt, or the days allowed pass.
    Confirm,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::Pay,
        Event::Cancel,
        Event::Close,
        Event::Ship,
        Event::Confirm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::Pay => "pay",
            Event::Cancel => "cancel",
            Event::Close => "close",
            Event::Ship => "ship",
            Event::Confirm => "confirm",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Event::Pay => "支付成功",
            Event::Cancel => "取消订单",
            Event::Close => "超时关闭",
            Event::Ship => "发货",
            Event::Confirm => "确认收货",
        }
    }
}

/// What a transition asks the store to do, in the transition's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Command {
    /// Post the points hold (the points are spent).
    CapturePoints,
    /// Void the points hold (the points go back to the customer).
    ReleasePoints,
    /// Give the order's units back to their SKUs.
    ReleaseStock,
    /// Unlock the order's coupon.
    ReleaseCoupon,
    /// Keep the carrier and tracking number (订单回执).
    RecordShipment,
}

#[derive(Default)]
pub struct Order;

type Commands = Vec<Command>;

const RELEASE: &[Command] = &[
    Command::ReleaseStock,
    Command::ReleasePoints,
    Command::ReleaseCoupon,
];

#[state_machine(
    initial = "State::pending_payment()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize))
)]
impl Order {
    #[state]
    fn pending_payment(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Pay => {
                context.push(Command::CapturePoints);
                Transition(State::paid())
            }
            Event::Cancel => {
                context.extend_from_slice(RELEASE);
                Transition(State::cancelled())
            }
            Event::Close => {
                context.extend_from_slice(RELEASE);
                Transition(State::closed())
            }
            _ => Handled,
        }
    }

    #[state]
    fn paid(context: &mut Commands, event: &Event) -> Outcome<State> {
        match event {
            Event::Ship => {
                context.push(Command::RecordShipment);
                Transition(State::shipped())
            }
            _ => Handled,
        }
    }

    #[state]
    fn shipped(event: &Event) -> Outcome<State> {
        match event {
            Event::Confirm => Transition(State::completed()),
            _ => Handled,
        }
    }

    #[state]
    fn completed(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn cancelled(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }

    #[state]
    fn closed(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

impl State {
    pub const ALL: [State; 6] = [
        State::PendingPayment {},
        State::Paid {},
        State::Shipped {},
        State::Completed {},
        State::Cancelled {},
        State::Closed {},
    ];

    /// The stored name (`mall_orders.status`).
    pub fn name(self) -> &'static str {
        match self {
            State::PendingPayment {} => "pending_payment",
            State::Paid {} => "paid",
            State::Shipped {} => "shipped",
            State::Completed {} => "completed",
            State::Cancelled {} => "cancelled",
            State::Closed {} => "closed",
        }
    }

    pub fn parse(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::PendingPayment {} => "待支付",
            State::Paid {} => "已支付",
            State::Shipped {} => "已发货",
            State::Completed {} => "已完成",
            State::Cancelled {} => "已取消",
            State::Closed {} => "已关闭",
        }
    }
}

/// What an event does to an order in `from`: the state it reaches and the commands to carry out,
/// or `None` when the machine does nothing with it there (a duplicate or late event).
pub fn apply(from: State, event: Event) -> Option<(State, Vec<Command>)> {
    let mut machine = Order.uninitialized_state_machine();
    *machine.state_mut() = from;
    // no entry actions: initialising in the stored state does nothing
    let mut machine = machine.init_with_context(&mut Vec::new());
    let mut commands = Vec::new();
    machine.handle_with_context(&event, &mut commands);
    let to = *machine.state();
    (to != from).then_some((to, commands))
}

/// Every transition, as a table (docs and tests); any other pair changes nothing.
pub const TRANSITIONS: &[(State, Event, State, &[Command])] = &[
    (
        State::PendingPayment {},
        Event::Pay,
        State::Paid {},
        &[Command::CapturePoints],
    ),
    (
        State::PendingPayment {},
        Event::Cancel,
        State::Cancelled {},
        RELEASE,
    ),
    (
        State::PendingPayment {},
        Event::Close,
        State::Closed {},
        RELEASE,
    ),
    (
        State::Paid {},
        Event::Ship,
        State::Shipped {},
        &[Command::RecordShipment],
    ),
    (State::Shipped {}, Event::Confirm, State::Completed {}, &[]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_and_its_table_agree_on_every_pair() {
        for from in State::ALL {
            for event in Event::ALL {
                let row = TRANSITIONS
                    .iter()
                    .find(|(f, e, _, _)| *f == from && *e == event);
                assert_eq!(
                    apply(from, event),
                    row.map(|(_, _, to, commands)| (*to, commands.to_vec())),
                    "{event:?} in {from:?}"
                );
            }
        }
    }

    #[test]
    fn a_paid_order_is_never_released_and_a_closed_one_never_paid() {
        assert_eq!(apply(State::Paid {}, Event::Close), None);
        assert_eq!(apply(State::Closed {}, Event::Pay), None);
        assert_eq!(apply(State::Cancelled {}, Event::Pay), None);
        // a duplicate payment changes nothing
        assert_eq!(apply(State::Paid {}, Event::Pay), None);
    }

    #[test]
    fn stored_names_read_back() {
        for s in State::ALL {
            assert_eq!(State::parse(s.name()), Some(s));
        }
    }
}
