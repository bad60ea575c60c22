//! One module per top-level subcommand.

pub(crate) mod epcis;
pub(crate) mod gs1;
pub(crate) mod ledger;
pub(crate) mod postgres;
pub(crate) mod serve;
pub(crate) mod simulate;
