//! One module per top-level subcommand.

pub(crate) mod epcis;
pub(crate) mod gs1;
pub(crate) mod ledger;
pub(crate) mod postgres;
pub(crate) mod serve;
pub(crate) mod simulate;
pub(crate) mod workbench;

/// Writes `message` to standard error as the binary's other errors are written.
#[allow(clippy::print_stderr)]
pub(crate) fn report_error(message: &str) {
    eprintln!("serialhub: error: {message}");
}
