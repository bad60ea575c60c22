//! Product verification: is this pack genuine? The pure half of issue F: the full tuple a
//! verification needs (`tuple`), the decision against the ledger's records (`decide`), the
//! anti-harvesting limits (`guard`), clone and diversion detection over what verifications and
//! scans observe (`detect`), and the requester's look-up directory (`directory`).
//!
//! No IO, no clock (`now` is a parameter), no randomness: the HTTP shell reads the store and
//! the wall clock and hands the facts in.

pub mod catalog;
pub mod decide;
pub mod detect;
pub mod directory;
pub mod guard;
pub mod tuple;

pub use catalog::{Catalog, Product};
pub use decide::{
    ConsumerStatus, Facts, FailureReason, LotStatus, Policy, Record, Verdict, decide,
};
pub use detect::{Alert, Channel, Context, DetectConfig, Detector, Observation, PackFacts};
pub use guard::{Guard, Limits, Rate, Throttled};
pub use tuple::{Tuple, TupleError};
