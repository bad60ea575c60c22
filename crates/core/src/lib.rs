//! The serial ledger's domain: the lifecycle of every serialized unit and container, the
//! aggregation hierarchy, the consistency rules checked at capture, and the exception taxonomy
//! (F1 to F12) every later layer reports in.
//!
//! Pure: no IO, no clock, no threads, no randomness. `ledger::apply` takes a read-only view of
//! the current states, one event and the caller's `now`, and returns a decision (`Outcome`):
//! the state changes to persist and the violations found. Persisting them belongs to later
//! layers; `memory::MemoryLedger` is the reference model they are tested against.

#![warn(missing_docs)]

pub mod exception;
pub mod fxhash;
pub mod ledger;
pub mod memory;
pub mod state;

pub use exception::{ExceptionType, Violation, ViolationKind};
pub use fxhash::{FxBuildHasher, FxHashMap};
pub use ledger::{Change, Outcome, apply, lot_and_expiry, lot_key_of, lot_status, reverse};
pub use memory::{ChangeRefused, MemoryLedger};
pub use state::{
    DecommissionReason, Effective, EventRef, Key, NESTING_DEPTH_MAX, SerialState, Shipment,
    Shipped, StateView, Status, Text, UndoWindow, effective, push_unique,
};
