//! The outbox dispatcher: the only code that hands messages to regulators and trading
//! partners. Each round claims due messages under a lease (`Store::outbox_claim`), sends each
//! through a `Transport` unless its destination's circuit is open or its rate is used up, and
//! settles the whole batch in one call (`Store::outbox_settle`).
//!
//! Delivery is at least once: a dispatcher that dies between sending and settling leaves a
//! lease that runs out, and the message is sent again; the receiver applies it once because
//! every attempt carries the message's idempotency key. A message ends delivered, or failed
//! for good (rejected by the receiver, or out of attempts): an exception, never lost.
//!
//! Pure of IO itself: the store and the transport are traits, and the clock is the `now` each
//! round is given, so tests drive time and faults step by step.

pub mod breaker;
pub mod dispatcher;
pub mod policy;
pub mod rate;

pub use dispatcher::{Attempt, Dispatcher, Round, Transport};
