//! The exception workbench: one model for every failure serialhub sees (ledger rule
//! violations, outbound messages refused or out of attempts), each with a type, code,
//! severity, owner, status, due time, suggested root cause and group, and the audited actions
//! that correct them, one at a time or a whole group at once.
//!
//! - `model`: the vocabulary (ids, statuses, closures, departments, severities, root causes).
//! - `cause`: root-cause suggestions from the evidence.
//! - `sla`: service levels per type and regime, default severity and owner.
//! - `bench`: `Workbench`, the rows in memory, folded from exceptions and the audit log.
//! - `case`: suspect product cases (quarantine, investigation, determination, notification).
//! - `service`: `Service`, the workbench over a `Store`: sync, evidence, actions.
//!
//! No IO of its own: everything goes through the `serialhub_store::Store` port.

pub mod bench;
pub mod case;
pub mod cause;
pub mod model;
pub mod service;
pub mod sla;

pub use bench::{ListFilter, Workbench};
pub use case::Step;
pub use model::{Closure, Department, ExceptionRef, RootCause, Severity, Status};
pub use service::{
    ActionError, ActionOutcome, ActionRequest, AlertDraft, CaseOpening, Config, Service, Targets,
};
pub use sla::Sla;
