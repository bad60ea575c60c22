//! The `serialhub` binary: parses the command line and hands each subcommand to its module.

mod clock;
mod commands;
mod json;
mod stream;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: the ledger allocates and frees a record per
/// identifier per event, and glibc's malloc was a quarter of `import`'s time (measured).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// serialhub: the open serialization data hub for medicines.
#[derive(Debug, Parser)]
#[command(name = "serialhub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// GS1 identifiers and barcodes.
    #[command(subcommand)]
    Gs1(commands::gs1::Gs1Command),
    /// EPCIS documents: event hash IDs, validation, conversion.
    #[command(subcommand)]
    Epcis(commands::epcis::EpcisCommand),
    /// Import EPCIS documents into the ledger: validate, apply the ledger's rules, store.
    /// Exits 0 when every document was stored (exceptions are findings, not failures), 1 when
    /// any was rejected.
    Import(commands::ledger::ImportArgs),
    /// Write a simulated supply chain (packaging lines to pharmacies) as EPCIS documents, with
    /// injected faults and their ground truth in `faults.jsonl`.
    Simulate(commands::simulate::SimulateArgs),
    /// Serialized units and containers in the ledger.
    #[command(subcommand)]
    Serial(SerialCommand),
    /// Lots: their units counted by state (what a recall reaches).
    #[command(subcommand)]
    Lot(LotCommand),
    /// The exceptions the ledger's rules raised (types F1 to F12).
    #[command(subcommand)]
    Exceptions(ExceptionsCommand),
    /// Serve the EPCIS 2.0 REST binding (capture, queries) over the ledger.
    Serve(commands::serve::ServeArgs),
    /// Manage the API keys of `serve`.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// A local stand-in for regulator and partner systems, misbehaving at a chosen rate (for
    /// tests and demos of the outbox).
    RegulatorSim(commands::serve::RegulatorSimArgs),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create an API key; it is printed on the last line, once, and stored only as a hash.
    Create(commands::serve::KeysCreateArgs),
}

#[derive(Debug, Subcommand)]
enum SerialCommand {
    /// State, location, parent, children and history (pedigree) of one identifier.
    Show(commands::ledger::SerialShowArgs),
}

#[derive(Debug, Subcommand)]
enum LotCommand {
    /// The units commissioned with a lot, counted by the state in force.
    Show(commands::ledger::LotShowArgs),
}

#[derive(Debug, Subcommand)]
enum ExceptionsCommand {
    /// List exceptions in capture order (the ledger's; the workbench's rows with --workbench or
    /// any workbench filter).
    List(commands::ledger::ExceptionsListArgs),
    /// One exception with its evidence and history.
    Show(commands::workbench::ShowArgs),
    /// Exceptions grouped by root cause and scope: what one correction resolves.
    Groups(commands::workbench::GroupsArgs),
    /// Act on exceptions (one, a list, or a group), audited.
    Act(commands::workbench::ActArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gs1(command) => commands::gs1::run(command),
        Command::Epcis(command) => commands::epcis::run(command),
        Command::Import(args) => commands::ledger::import(args),
        Command::Simulate(args) => commands::simulate::simulate(args),
        Command::Serial(SerialCommand::Show(args)) => commands::ledger::serial_show(args),
        Command::Lot(LotCommand::Show(args)) => commands::ledger::lot_show(args),
        Command::Exceptions(ExceptionsCommand::List(args)) => {
            commands::ledger::exceptions_list(args)
        }
        Command::Exceptions(ExceptionsCommand::Show(args)) => commands::workbench::show(args),
        Command::Exceptions(ExceptionsCommand::Groups(args)) => commands::workbench::groups(args),
        Command::Exceptions(ExceptionsCommand::Act(args)) => commands::workbench::act(args),
        Command::Serve(args) => commands::serve::serve(args),
        Command::RegulatorSim(args) => commands::serve::regulator_sim(args),
        Command::Keys(KeysCommand::Create(args)) => commands::serve::keys_create(args),
    };
    match result {
        Ok(code) => code,
        // A reader that stops early (`| head`) is not an error of ours.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("serialhub: error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
