//! One module per top-level subcommand.

pub(crate) mod gs1;
