//! `serialhub exceptions show|groups|act` and the workbench view of `exceptions list`: the
//! exception workbench (`serialhub_workbench`) over the store `serve` uses, for operators at a
//! terminal. Same rows, same actions and the same audit log as `/api/exceptions`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::Value;
use serialhub_workbench::{
    ActionRequest, Department, ListFilter, RootCause, Service, Status, Targets,
};

use crate::commands::serve::{ConfigArgs, open_workbench};

/// The workbench filters of `serialhub exceptions list`.
#[derive(Debug, Default, Args)]
pub(crate) struct WorkbenchFilters {
    /// List the workbench's rows (ledger exceptions and failed messages, with status, owner,
    /// root cause, group and due time) instead of the ledger's exceptions; implied by any of
    /// the filters below.
    #[arg(long)]
    workbench: bool,
    /// Only these statuses (comma-separated: new, investigating, awaiting_partner, corrected,
    /// resubmitted, closed).
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,
    /// Only these owners (packaging, warehouse, quality_compliance, master_data, it).
    #[arg(long, value_name = "OWNER")]
    owner: Option<String>,
    /// Only these root causes.
    #[arg(long, value_name = "CAUSE")]
    root_cause: Option<String>,
    /// Only this group (`serialhub exceptions groups` lists them).
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
    /// Only open exceptions.
    #[arg(long)]
    open: bool,
    /// Only open exceptions past their due time.
    #[arg(long)]
    overdue: bool,
}

impl WorkbenchFilters {
    /// Whether the workbench view was asked for.
    pub(crate) fn wanted(&self) -> bool {
        self.workbench
            || self.status.is_some()
            || self.owner.is_some()
            || self.root_cause.is_some()
            || self.group.is_some()
            || self.open
            || self.overdue
    }
}

fn names<T>(
    flag: &str,
    value: &Option<String>,
    parse: fn(&str) -> Option<T>,
) -> anyhow::Result<Vec<T>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    value
        .split(',')
        .map(|v| {
            parse(v.trim()).ok_or_else(|| anyhow::anyhow!("--{flag} {v:?}: not a value it takes"))
        })
        .collect()
}

/// The workbench view of `exceptions list`: one JSON row per line, oldest first.
pub(crate) fn list(
    config: &ConfigArgs,
    filters: &WorkbenchFilters,
    exception_type: Option<serialhub_core::ExceptionType>,
    key: Option<serialhub_core::Key>,
) -> anyhow::Result<ExitCode> {
    let service = open_workbench(config)?;
    let now = crate::clock::now()?.unix_millis;
    let mut filter = ListFilter {
        types: exception_type.into_iter().collect(),
        statuses: names("status", &filters.status, Status::from_name)?,
        owners: names("owner", &filters.owner, Department::from_name)?,
        causes: names("root-cause", &filters.root_cause, RootCause::from_name)?,
        group: filters.group.clone(),
        open: filters.open.then_some(true),
        overdue_at: filters.overdue.then_some(now),
        ..ListFilter::default()
    };
    if let Some(key) = key {
        filter.only = Some(service.naming(&key)?);
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut after = None;
    loop {
        let page = service.list(&filter, after, 10_000, now)?;
        for row in page["exceptions"].as_array().into_iter().flatten() {
            writeln!(stdout, "{row}")?;
        }
        match page["next"].as_u64() {
            Some(next) => after = usize::try_from(next).ok(),
            None => break,
        }
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `serialhub exceptions show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The exception's id (`SEQ-N` for a ledger exception, `mID` for a failed message).
    id: String,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Prints one exception with its evidence and history, as pretty JSON; exit 1 when there is
/// no such exception.
pub(crate) fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let service = open_workbench(&args.config)?;
    let now = crate::clock::now()?.unix_millis;
    match service.detail(&args.id, now)? {
        Some(detail) => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", serde_json::to_string_pretty(&detail)?)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            crate::commands::report_error(&format!("no exception {}", args.id));
            Ok(ExitCode::from(1))
        }
    }
}

/// `serialhub exceptions groups`.
#[derive(Debug, Args)]
pub(crate) struct GroupsArgs {
    /// Every group, closed ones too.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Prints the groups, one per line: open count, total, group id, first due time.
pub(crate) fn groups(args: GroupsArgs) -> anyhow::Result<ExitCode> {
    let service = open_workbench(&args.config)?;
    let now = crate::clock::now()?.unix_millis;
    let groups = service.groups(args.all, now)?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for g in groups["groups"].as_array().into_iter().flatten() {
        writeln!(
            stdout,
            "{:>7} open {:>7} total  {}  first due {}",
            g["open"],
            g["total"],
            g["id"].as_str().unwrap_or_default(),
            g["firstDue"].as_str().unwrap_or("-")
        )?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `serialhub exceptions act`.
#[derive(Debug, Args)]
pub(crate) struct ActArgs {
    /// assign, investigate, await_partner, correct_master_data, resubmit, resend,
    /// declare_error, void, accept or reopen.
    action: String,
    /// The exceptions to act on (repeat, or comma-separate).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    id: Vec<String>,
    /// Act on every open exception of this group instead.
    #[arg(long, value_name = "GROUP", conflicts_with = "id")]
    group: Option<String>,
    /// Why (required; it goes into the audit log; for `accept`, the justification).
    #[arg(long)]
    reason: String,
    /// Who acts, as the audit log names them (default: $USER).
    #[arg(long)]
    actor: Option<String>,
    /// `assign`: the new owner.
    #[arg(long)]
    owner: Option<String>,
    /// `assign`: the corrected root cause.
    #[arg(long)]
    root_cause: Option<String>,
    /// `correct_master_data`: an EPCIS document whose header carries the corrected master
    /// data (JSON-LD or XML).
    #[arg(long, value_name = "FILE")]
    master_data: Option<PathBuf>,
    /// `declare_error`: the CBV error reason (default incorrect_data).
    #[arg(long)]
    error_reason: Option<String>,
    /// `declare_error`: an EPCIS document holding the corrective events.
    #[arg(long, value_name = "FILE")]
    corrective_events: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Reads an EPCIS document, refusing one with errors.
fn document(path: &PathBuf) -> anyhow::Result<serialhub_epcis::read::Collect> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut validator = serialhub_epcis::validate::Validator::default();
    serialhub_epcis::read_slice(&bytes, &serialhub_epcis::read::Limits::default(), &mut validator)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let collected = validator.into_inner();
    if let Some(problem) = collected.problems.iter().find(|p| p.is_error()) {
        anyhow::bail!("{}: {problem}", path.display());
    }
    Ok(collected)
}

/// Carries out one action and prints what it did as JSON; exit 1 when it was refused.
pub(crate) fn act(args: ActArgs) -> anyhow::Result<ExitCode> {
    let targets = match (&args.group, args.id.is_empty()) {
        (Some(group), _) => Targets::Group(group.clone()),
        (None, false) => Targets::Ids(args.id.clone()),
        (None, true) => anyhow::bail!("give the exceptions with --id, or a group with --group"),
    };
    let owner = args
        .owner
        .as_deref()
        .map(|o| {
            Department::from_name(o)
                .ok_or_else(|| anyhow::anyhow!("--owner {o:?}: not a department"))
        })
        .transpose()?;
    let cause = args
        .root_cause
        .as_deref()
        .map(|c| {
            RootCause::from_name(c)
                .ok_or_else(|| anyhow::anyhow!("--root-cause {c:?}: not a root cause"))
        })
        .transpose()?;
    let master_data =
        args.master_data.as_ref().map(document).transpose()?.map(|c| c.document.header.master_data);
    let corrective =
        args.corrective_events.as_ref().map(document).transpose()?.map(|c| c.document.events);
    let request = ActionRequest {
        action: args.action.clone(),
        targets,
        reason: args.reason.clone(),
        owner,
        cause,
        master_data: master_data.unwrap_or_default(),
        error_reason: args.error_reason.clone(),
        corrective_events: corrective.unwrap_or_default(),
    };
    let actor = args
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "cli".to_owned());
    let service: Service = open_workbench(&args.config)?;
    let now = crate::clock::now()?;
    match service.act(&format!("{actor} (cli)"), &request, now) {
        Ok(outcome) => {
            let body = serde_json::json!({
                "auditSeq": outcome.audit_seq,
                "targets": outcome.targets.len(),
                "messages": outcome.messages,
                "events": outcome.events,
            });
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", Value::to_string(&body))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(serialhub_workbench::ActionError::Store(e)) => Err(e.into()),
        Err(refused) => {
            crate::commands::report_error(&format!("{} refused: {refused}", args.action));
            Ok(ExitCode::from(1))
        }
    }
}
