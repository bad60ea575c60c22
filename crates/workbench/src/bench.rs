//! `Workbench`: every exception as one compact row, kept in memory and folded from three
//! sources: the ledger's violations and the outbox's failed messages (what is raised), and the
//! audit log (what people did). The rows are what lists, groups and KPIs read; the evidence
//! stays in the store and is read per exception.
//!
//! The audit log is the only record of actions, so the workbench is rebuilt from the store at
//! start, and any node that replays the same log reaches the same rows. An entry's `after`
//! holds the new values (`status`, `closure`, `owner`, `cause`, `resubmissions`), so replay
//! needs no knowledge of what the action did beyond that.
//!
//! A row is ~80 bytes: a million exceptions list in a few milliseconds by a scan with bit
//! masks, with no index to keep in step.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use serialhub_core::ExceptionType;
use serialhub_store::audit::AuditEntry;

use crate::cause::Suggestion;
use crate::model::{Closure, Department, ExceptionRef, RootCause, Severity, Status};
use crate::sla::{self, Sla};

/// An interned string (codes, partners, group scopes repeat across thousands of rows).
pub type Sym = u32;

#[derive(Debug, Default)]
struct Interner {
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, Sym>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> Sym {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let name: Arc<str> = Arc::from(text);
        let id = Sym::try_from(self.names.len()).unwrap_or(Sym::MAX);
        self.names.push(name.clone());
        self.ids.insert(name, id);
        id
    }

    fn find(&self, text: &str) -> Option<Sym> {
        self.ids.get(text).copied()
    }

    fn name(&self, id: Sym) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }
}

/// One exception, as lists and KPIs read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Its id.
    pub id: ExceptionRef,
    /// F1 to F12.
    pub exception_type: ExceptionType,
    /// The rule's or the receiver's code (interned).
    pub code: Sym,
    /// How urgent.
    pub severity: Severity,
    /// Who corrects it.
    pub owner: Department,
    /// Where it is.
    pub status: Status,
    /// Why it is closed, once it is.
    pub closure: Option<Closure>,
    /// The suggested (or corrected) cause.
    pub cause: RootCause,
    /// Its group (`Workbench::group_id`).
    pub group: u32,
    /// The trading partner or regulator concerned (interned; 0 is none).
    pub partner: Sym,
    /// The regime whose SLA applies (interned; 0 is none).
    pub regime: Sym,
    /// When it was raised, Unix ms.
    pub raised_at: i64,
    /// When its SLA runs out, Unix ms.
    pub due_at: i64,
    /// When it was closed, Unix ms (0 while open).
    pub closed_at: i64,
    /// The resubmission in flight, if any (an outbox message id).
    pub resubmission: Option<u64>,
    /// Resubmissions made so far.
    pub resubmissions: u32,
}

/// Which rows a list returns; empty sets and `None` do not filter.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Any of these types.
    pub types: Vec<ExceptionType>,
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// Only open (`true`) or closed (`false`) ones.
    pub open: Option<bool>,
    /// Any of these owners.
    pub owners: Vec<Department>,
    /// Any of these severities.
    pub severities: Vec<Severity>,
    /// Any of these causes.
    pub causes: Vec<RootCause>,
    /// Only this group (`Workbench::group_id`).
    pub group: Option<String>,
    /// Only this code.
    pub code: Option<String>,
    /// Only this partner.
    pub partner: Option<String>,
    /// Only open ones whose SLA ran out before this time (Unix ms).
    pub overdue_at: Option<i64>,
    /// Raised at or after (Unix ms).
    pub raised_since: Option<i64>,
    /// Raised before (Unix ms).
    pub raised_until: Option<i64>,
    /// Only these exceptions (an identifier filter the store resolved).
    pub only: Option<Vec<ExceptionRef>>,
}

/// A page of rows.
#[derive(Debug)]
pub struct Page<'w> {
    /// The rows, oldest first.
    pub rows: Vec<&'w Row>,
    /// How many rows pass the filter in all.
    pub total: usize,
    /// The cursor of the next page.
    pub next: Option<usize>,
}

/// A group: the exceptions sharing a cause and scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    /// `cause:scope`.
    pub id: String,
    /// The cause.
    pub cause: RootCause,
    /// What one correction covers.
    pub scope: String,
    /// Open exceptions in it.
    pub open: usize,
    /// All exceptions in it.
    pub total: usize,
    /// The earliest due time among the open ones (Unix ms).
    pub first_due: Option<i64>,
}

/// The in-memory workbench.
#[derive(Debug, Default)]
pub struct Workbench {
    rows: Vec<Row>,
    by_ref: HashMap<ExceptionRef, u32>,
    text: Interner,
    groups: Vec<(RootCause, Sym)>,
    group_ids: HashMap<(RootCause, Sym), u32>,
    /// Resubmission message id to the row it resubmits.
    resubmitted: HashMap<u64, u32>,
    /// Audit entries per row, by seq (its history).
    history: HashMap<u32, Vec<u64>>,
    sla: Sla,
    /// The last event seq whose violations are in.
    pub ledger_seq: u64,
    /// The last audit entry applied, and its hash.
    pub audit_seq: u64,
    /// The hash of the last audit entry applied.
    pub audit_hash: String,
    /// The last outbox message id counted per destination.
    pub messages_seen: u64,
    /// The outbox's failed count when its failed messages were last read.
    pub failed_known: u64,
    /// Where the audit log stopped being a chain, if it did (`audit::verify` as entries
    /// are applied): the workbench still replays it, and reports the break.
    pub chain_break: Option<serialhub_store::audit::ChainBreak>,
    /// Messages sent and failed per destination (`failed_per_1000`).
    sent: HashMap<Sym, (u64, u64)>,
    /// Resolution times per type: count and sum of ms.
    resolved: [(u64, i64); 12],
    /// Suspect product cases.
    pub cases: crate::case::Cases,
    /// Per case, the last event seq looked at for movements of what it holds.
    holds_checked: HashMap<u64, u64>,
    /// Audit entries naming a hold not raised yet, in order.
    pending: HashMap<ExceptionRef, Vec<AuditEntry>>,
    /// The latest verification finding raised, by code and pack.
    alerted: HashMap<(String, String), ExceptionRef>,
}

/// The audit action that records a verification finding (`Service::raise_alert`).
pub const RAISE_ALERT: &str = "raise_alert";

fn type_index(t: ExceptionType) -> usize {
    ExceptionType::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

fn mask<T: Copy + PartialEq>(all: &[T], chosen: &[T]) -> u32 {
    if chosen.is_empty() {
        return u32::MAX;
    }
    all.iter().enumerate().filter(|(_, v)| chosen.contains(v)).fold(0, |m, (i, _)| m | 1 << i)
}

fn bit<T: Copy + PartialEq>(all: &[T], value: T) -> u32 {
    all.iter().position(|v| *v == value).map_or(0, |i| 1 << i)
}

impl Workbench {
    /// An empty workbench with these service levels.
    pub fn new(sla: Sla) -> Workbench {
        let mut w = Workbench {
            sla,
            audit_hash: serialhub_store::audit::GENESIS.to_owned(),
            ..Workbench::default()
        };
        w.text.intern("");
        w
    }

    /// How many exceptions there are.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of `id`.
    pub fn row(&self, id: ExceptionRef) -> Option<&Row> {
        self.by_ref.get(&id).map(|i| &self.rows[*i as usize])
    }

    /// An interned string's text.
    pub fn text(&self, sym: Sym) -> &str {
        self.text.name(sym)
    }

    /// The id of group `index` (`cause:scope`).
    pub fn group_id(&self, index: u32) -> String {
        let (cause, scope) =
            self.groups.get(index as usize).copied().unwrap_or((RootCause::Unknown, 0));
        format!("{}:{}", cause.name(), self.text.name(scope))
    }

    /// The rows of group `id`.
    pub fn group_members(&self, id: &str) -> Vec<ExceptionRef> {
        let Some(group) = self.find_group(id) else { return Vec::new() };
        self.rows.iter().filter(|r| r.group == group).map(|r| r.id).collect()
    }

    fn find_group(&self, id: &str) -> Option<u32> {
        let (cause, scope) = id.split_once(':')?;
        let key = (RootCause::from_name(cause)?, self.text.find(scope)?);
        self.group_ids.get(&key).copied()
    }

    fn group(&mut self, cause: RootCause, scope: &str) -> u32 {
        let key = (cause, self.text.intern(scope));
        let next = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        *self.group_ids.entry(key).or_insert_with(|| {
            self.groups.push(key);
            next
        })
    }

    /// Adds an exception unless it is in already; returns whether it was added.
    #[allow(clippy::too_many_arguments)]
    pub fn raise(
        &mut self,
        id: ExceptionRef,
        exception_type: ExceptionType,
        code: &str,
        suggestion: &Suggestion,
        partner: Option<&str>,
        regime: Option<&str>,
        raised_at: i64,
    ) -> bool {
        if self.by_ref.contains_key(&id) {
            return false;
        }
        let owner = suggestion.cause.owner().unwrap_or_else(|| sla::owner(exception_type));
        let row = Row {
            id,
            exception_type,
            code: self.text.intern(code),
            severity: sla::severity(exception_type),
            owner,
            status: Status::New,
            closure: None,
            cause: suggestion.cause,
            // A ledger exception and a failed message are corrected differently (an error
            // declaration, a resubmission), so they never share a group.
            group: match id {
                ExceptionRef::Ledger { .. } => {
                    self.group(suggestion.cause, &format!("ledger/{}", suggestion.scope))
                }
                ExceptionRef::Message { .. }
                | ExceptionRef::Hold { .. }
                | ExceptionRef::Alert { .. } => self.group(suggestion.cause, &suggestion.scope),
            },
            partner: self.text.intern(partner.unwrap_or_default()),
            regime: self.text.intern(regime.unwrap_or_default()),
            raised_at,
            due_at: self.sla.due(exception_type, regime, raised_at),
            closed_at: 0,
            resubmission: None,
            resubmissions: 0,
        };
        let index = u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
        self.by_ref.insert(id, index);
        self.rows.push(row);
        for entry in self.pending.remove(&id).unwrap_or_default() {
            if let Ok(after) = serde_json::from_str::<Value>(&entry.draft.after) {
                self.apply_to(&entry, &after, id);
            }
        }
        true
    }

    /// The row a resubmission message resubmits, if `message` is one.
    pub fn resubmission_of(&self, message: u64) -> Option<ExceptionRef> {
        self.resubmitted.get(&message).map(|i| self.rows[*i as usize].id)
    }

    /// Counts a message sent to `destination` (for `failed_per_1000`).
    pub fn count_message(&mut self, destination: &str, id: u64) {
        let sym = self.text.intern(destination);
        self.sent.entry(sym).or_default().0 += 1;
        self.messages_seen = self.messages_seen.max(id);
    }

    /// Counts a failed message to `destination`.
    pub fn count_failure(&mut self, destination: &str) {
        let sym = self.text.intern(destination);
        self.sent.entry(sym).or_default().1 += 1;
    }

    /// A resubmission ended: delivered closes its exception, failed reopens it.
    pub fn resubmission_ended(&mut self, message: u64, delivered: bool, at: i64) {
        let Some(index) = self.resubmitted.remove(&message) else { return };
        let closing = {
            let row = &mut self.rows[index as usize];
            if row.resubmission != Some(message) {
                return;
            }
            row.resubmission = None;
            if !row.status.is_open() {
                // Closed meanwhile (voided, accepted): the resubmission's end changes nothing.
                return;
            }
            if delivered {
                row.status = Status::Closed;
                row.closure = Some(Closure::Delivered);
                row.closed_at = at;
                Some((row.exception_type, at - row.raised_at))
            } else {
                row.status = Status::New;
                None
            }
        };
        if let Some((t, took)) = closing {
            let r = &mut self.resolved[type_index(t)];
            r.0 += 1;
            r.1 += took.max(0);
        }
    }

    /// The last event seq looked at for movements of what case `case` holds (0: none yet).
    pub fn hold_checked(&self, case: u64) -> u64 {
        self.holds_checked.get(&case).copied().unwrap_or(0)
    }

    /// Records that events up to `seq` were looked at for case `case`.
    pub fn set_hold_checked(&mut self, case: u64, seq: u64) {
        self.holds_checked.insert(case, seq);
    }

    /// The message ids of resubmissions in flight.
    pub fn resubmissions_in_flight(&self) -> impl Iterator<Item = u64> + '_ {
        self.resubmitted.keys().copied()
    }

    /// Applies an audit entry (in seq order). Targets that are not exceptions (cases) and
    /// fields it does not set are left alone.
    pub fn apply(&mut self, entry: &AuditEntry) {
        if self.chain_break.is_none()
            && let Err(broken) = serialhub_store::audit::verify(
                (self.audit_seq, &self.audit_hash),
                std::slice::from_ref(entry),
            )
        {
            self.chain_break = Some(broken);
        }
        self.audit_seq = entry.seq;
        self.audit_hash.clone_from(&entry.hash);
        self.cases.apply(entry);
        let Ok(after) = serde_json::from_str::<Value>(&entry.draft.after) else { return };
        if entry.draft.action == RAISE_ALERT {
            self.raise_alert(entry, &after["alert"]);
        }
        for target in &entry.draft.targets {
            let Some(id) = ExceptionRef::parse(target) else { continue };
            if self.by_ref.contains_key(&id) {
                self.apply_to(entry, &after, id);
            } else if matches!(id, ExceptionRef::Hold { .. }) {
                // A hold's row is raised by watching the ledger, which may come after the log
                // is replayed (a restart, another node): kept until the row is there.
                self.pending.entry(id).or_default().push(entry.clone());
            }
        }
    }

    /// Raises the row of a verification finding recorded by `entry` (`Service::raise_alert`
    /// wrote `alert`); a second finding of the same code for the same pack raises nothing.
    fn raise_alert(&mut self, entry: &AuditEntry, alert: &Value) {
        let field = |name: &str| alert.get(name).and_then(Value::as_str).unwrap_or_default();
        let (code, identifier) = (field("code"), field("identifier"));
        if self.alerted(code, identifier) {
            return;
        }
        let id = ExceptionRef::Alert { seq: entry.seq };
        self.alerted.insert((code.to_owned(), identifier.to_owned()), id);
        let exception_type = ExceptionType::ALL
            .iter()
            .copied()
            .find(|t| t.code() == field("type"))
            .unwrap_or(ExceptionType::SuspectProduct);
        let suggestion = Suggestion {
            cause: RootCause::from_name(field("cause")).unwrap_or(RootCause::Unknown),
            scope: field("scope").to_owned(),
            evidence: String::new(),
        };
        let partner = Some(field("partner")).filter(|p| !p.is_empty());
        self.raise(
            id,
            exception_type,
            code,
            &suggestion,
            partner,
            None,
            entry.draft.at.unix_millis,
        );
    }

    /// Whether a finding of `code` for `identifier` (the pack's key) is open: a closed one
    /// (a false alarm voided, say) does not stop a new finding later.
    pub fn alerted(&self, code: &str, identifier: &str) -> bool {
        self.alerted
            .get(&(code.to_owned(), identifier.to_owned()))
            .and_then(|id| self.row(*id))
            .is_some_and(|row| row.status.is_open())
    }

    /// Applies `entry` (whose `after` is `after`) to the row of `id`.
    fn apply_to(&mut self, entry: &AuditEntry, after: &Value, id: ExceptionRef) {
        let Some(&index) = self.by_ref.get(&id) else { return };
        let status = after.get("status").and_then(Value::as_str).and_then(Status::from_name);
        let closure = after.get("closure").and_then(Value::as_str).and_then(Closure::from_name);
        let owner = after.get("owner").and_then(Value::as_str).and_then(Department::from_name);
        let cause = after.get("cause").and_then(Value::as_str).and_then(RootCause::from_name);
        let resubmission =
            after.get("resubmissions").and_then(|r| r.get(id.to_string())).and_then(Value::as_u64);
        let at = entry.draft.at.unix_millis;
        self.history.entry(index).or_default().push(entry.seq);
        let new_group = cause.map(|c| {
            let scope = self.groups[self.rows[index as usize].group as usize].1;
            let scope = self.text.name(scope).to_owned();
            self.group(c, &scope)
        });
        let row = &mut self.rows[index as usize];
        let was_open = row.status.is_open();
        if let Some(owner) = owner {
            row.owner = owner;
        }
        if let (Some(cause), Some(group)) = (cause, new_group) {
            row.cause = cause;
            row.group = group;
        }
        if let Some(message) = resubmission {
            row.resubmission = Some(message);
            row.resubmissions += 1;
            self.resubmitted.insert(message, index);
        }
        if let Some(status) = status {
            row.status = status;
            row.closure = if status == Status::Closed { closure } else { None };
            row.closed_at = if status == Status::Closed { at } else { 0 };
        }
        if was_open && !row.status.is_open() {
            let r = &mut self.resolved[type_index(row.exception_type)];
            r.0 += 1;
            r.1 += (at - row.raised_at).max(0);
        }
    }

    /// The audit entries (seqs) that name `id`, in order.
    pub fn history(&self, id: ExceptionRef) -> &[u64] {
        self.by_ref.get(&id).and_then(|i| self.history.get(i)).map_or(&[], Vec::as_slice)
    }

    /// The rows passing `filter`, `limit` of them from cursor `after` (a row position), oldest
    /// first, and how many pass in all.
    pub fn list(&self, filter: &ListFilter, after: Option<usize>, limit: usize) -> Page<'_> {
        let types = mask(&ExceptionType::ALL, &filter.types);
        let statuses = mask(Status::ALL, &filter.statuses);
        let owners = mask(Department::ALL, &filter.owners);
        let severities = mask(Severity::ALL, &filter.severities);
        let causes = mask(RootCause::ALL, &filter.causes);
        // A name nobody has matches no row.
        let sym =
            |name: &Option<String>| name.as_ref().map(|n| self.text.find(n).unwrap_or(Sym::MAX));
        let (code, partner) = (sym(&filter.code), sym(&filter.partner));
        let group = filter.group.as_ref().map(|g| self.find_group(g).unwrap_or(u32::MAX));
        let only: Option<Vec<u32>> = filter.only.as_ref().map(|ids| {
            let mut rows: Vec<u32> =
                ids.iter().filter_map(|id| self.by_ref.get(id).copied()).collect();
            rows.sort_unstable();
            rows.dedup();
            rows
        });
        let passes = |row: &Row| {
            types & bit(&ExceptionType::ALL, row.exception_type) != 0
                && statuses & bit(Status::ALL, row.status) != 0
                && owners & bit(Department::ALL, row.owner) != 0
                && severities & bit(Severity::ALL, row.severity) != 0
                && causes & bit(RootCause::ALL, row.cause) != 0
                && filter.open.is_none_or(|open| row.status.is_open() == open)
                && group.is_none_or(|g| row.group == g)
                && code.is_none_or(|c| row.code == c)
                && partner.is_none_or(|p| row.partner == p)
                && filter.overdue_at.is_none_or(|t| row.status.is_open() && row.due_at < t)
                && filter.raised_since.is_none_or(|t| row.raised_at >= t)
                && filter.raised_until.is_none_or(|t| row.raised_at < t)
        };
        let start = after.map_or(0, |a| a.saturating_add(1));
        let mut page = Page { rows: Vec::with_capacity(limit.min(1_000)), total: 0, next: None };
        let mut last = 0;
        let positions: Box<dyn Iterator<Item = usize>> = match &only {
            Some(rows) => Box::new(rows.iter().map(|r| *r as usize)),
            None => Box::new(0..self.rows.len()),
        };
        for position in positions {
            let row = &self.rows[position];
            if !passes(row) {
                continue;
            }
            page.total += 1;
            if position < start {
                continue;
            }
            if page.rows.len() < limit {
                page.rows.push(row);
                last = position;
            } else if page.next.is_none() {
                page.next = Some(last);
            }
        }
        page
    }

    /// The groups with at least one row passing `filter`, largest open count first.
    pub fn groups(&self, open_only: bool) -> Vec<GroupSummary> {
        let mut tally: Vec<(usize, usize, Option<i64>)> = vec![(0, 0, None); self.groups.len()];
        for row in &self.rows {
            let t = &mut tally[row.group as usize];
            t.1 += 1;
            if row.status.is_open() {
                t.0 += 1;
                t.2 = Some(t.2.map_or(row.due_at, |d| d.min(row.due_at)));
            }
        }
        let mut out: Vec<GroupSummary> = tally
            .into_iter()
            .enumerate()
            .filter(|(_, (open, total, _))| *total > 0 && (!open_only || *open > 0))
            .map(|(i, (open, total, first_due))| {
                let (cause, scope) = self.groups[i];
                GroupSummary {
                    id: self.group_id(i as u32),
                    cause,
                    scope: self.text.name(scope).to_owned(),
                    open,
                    total,
                    first_due,
                }
            })
            .collect();
        out.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// A row as the API shows it.
    pub fn row_json(&self, row: &Row, now: i64) -> Value {
        let text = |s: Sym| (s != 0).then(|| self.text.name(s).to_owned());
        json!({
            "id": row.id.to_string(),
            "source": match row.id {
                ExceptionRef::Ledger { .. } => "ledger",
                ExceptionRef::Message { .. } => "outbox",
                ExceptionRef::Hold { .. } => "case",
                ExceptionRef::Alert { .. } => "verification",
            },
            "type": row.exception_type.code(),
            "code": self.text.name(row.code),
            "severity": row.severity.name(),
            "owner": row.owner.name(),
            "status": row.status.name(),
            "closure": row.closure.map(Closure::name),
            "rootCause": row.cause.name(),
            "group": self.group_id(row.group),
            "partner": text(row.partner),
            "regime": text(row.regime),
            "raisedAt": millis_string(row.raised_at),
            "dueAt": millis_string(row.due_at),
            "overdue": row.status.is_open() && row.due_at < now,
            "closedAt": (row.closed_at != 0).then(|| millis_string(row.closed_at)),
            "resubmissions": row.resubmissions,
        })
    }

    /// The KPIs in Prometheus' text format: backlog by type, owner and age; SLA breaches; time
    /// to resolve; failures per 1,000 messages per partner.
    pub fn metrics(&self, now: i64) -> String {
        use std::fmt::Write;
        const DAY: i64 = 86_400_000;
        let mut backlog: HashMap<(ExceptionType, Department, &str), u64> = HashMap::new();
        let mut breached: HashMap<ExceptionType, u64> = HashMap::new();
        for row in self.rows.iter().filter(|r| r.status.is_open()) {
            let age = now - row.raised_at;
            let bucket = if age < DAY {
                "lt_1d"
            } else if age < 7 * DAY {
                "1d_7d"
            } else {
                "gt_7d"
            };
            *backlog.entry((row.exception_type, row.owner, bucket)).or_default() += 1;
            if row.due_at < now {
                *breached.entry(row.exception_type).or_default() += 1;
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP serialhub_workbench_open Open exceptions by type, owner and age."
        );
        let _ = writeln!(out, "# TYPE serialhub_workbench_open gauge");
        let mut lines: Vec<_> = backlog.into_iter().collect();
        lines.sort();
        for ((t, owner, age), n) in lines {
            let _ = writeln!(
                out,
                "serialhub_workbench_open{{type=\"{}\",owner=\"{}\",age=\"{age}\"}} {n}",
                t.code(),
                owner.name()
            );
        }
        let _ = writeln!(
            out,
            "# HELP serialhub_workbench_sla_breached Open exceptions past their due time, by type."
        );
        let _ = writeln!(out, "# TYPE serialhub_workbench_sla_breached gauge");
        for t in ExceptionType::ALL {
            let _ = writeln!(
                out,
                "serialhub_workbench_sla_breached{{type=\"{}\"}} {}",
                t.code(),
                breached.get(&t).unwrap_or(&0)
            );
        }
        let _ = writeln!(
            out,
            "# HELP serialhub_workbench_resolve_seconds Time from raised to closed, by type."
        );
        let _ = writeln!(out, "# TYPE serialhub_workbench_resolve_seconds summary");
        for t in ExceptionType::ALL {
            let (count, ms) = self.resolved[type_index(t)];
            let _ = writeln!(
                out,
                "serialhub_workbench_resolve_seconds_sum{{type=\"{}\"}} {}",
                t.code(),
                ms as f64 / 1000.0
            );
            let _ = writeln!(
                out,
                "serialhub_workbench_resolve_seconds_count{{type=\"{}\"}} {count}",
                t.code()
            );
        }
        let _ = writeln!(out, "# HELP serialhub_workbench_cases Suspect product cases by status.");
        let _ = writeln!(out, "# TYPE serialhub_workbench_cases gauge");
        let mut by_status: std::collections::BTreeMap<&str, u64> =
            std::collections::BTreeMap::new();
        let mut overdue = 0;
        for case in self.cases.all() {
            *by_status.entry(case.status.name()).or_default() += 1;
            overdue += u64::from(case.notification_overdue(now));
        }
        for (status, n) in by_status {
            let _ = writeln!(out, "serialhub_workbench_cases{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP serialhub_workbench_case_notifications_overdue Illegitimate product cases past their notification deadline."
        );
        let _ = writeln!(out, "# TYPE serialhub_workbench_case_notifications_overdue gauge");
        let _ = writeln!(out, "serialhub_workbench_case_notifications_overdue {overdue}");
        let _ = writeln!(
            out,
            "# HELP serialhub_workbench_failures_per_1000 Messages failed for good per 1,000 sent, by partner."
        );
        let _ = writeln!(out, "# TYPE serialhub_workbench_failures_per_1000 gauge");
        let mut partners: Vec<_> =
            self.sent.iter().map(|(p, n)| (self.text.name(*p), *n)).collect();
        partners.sort();
        for (partner, (sent, failed)) in partners {
            let rate = if sent == 0 { 0.0 } else { failed as f64 * 1000.0 / sent as f64 };
            let _ = writeln!(
                out,
                "serialhub_workbench_failures_per_1000{{partner=\"{}\"}} {rate:.3}",
                escape(partner)
            );
        }
        let _ = writeln!(
            out,
            "# HELP serialhub_workbench_audit_chain_ok 1 while the audit log replayed is one hash chain, 0 once an entry does not follow."
        );
        let _ = writeln!(out, "# TYPE serialhub_workbench_audit_chain_ok gauge");
        let _ = writeln!(
            out,
            "serialhub_workbench_audit_chain_ok {}",
            u8::from(self.chain_break.is_none())
        );
        out
    }
}

/// A label value with `\`, `"` and newlines escaped (Prometheus' text format).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Unix ms as an RFC 3339 UTC time.
pub fn millis_string(ms: i64) -> String {
    serialhub_epcis::time::Timestamp { unix_millis: ms, has_offset: true }.to_utc_millis_string()
}
