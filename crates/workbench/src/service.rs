//! `Service`: the workbench over a store. It keeps the `Workbench` rows in step with the store
//! (`sync`), reads evidence per exception, and carries out actions: each action's effects
//! (master data merged, messages resubmitted, an error declaration captured) go through the
//! `Store` port, and the action itself is one audit entry, applied to the rows by replaying
//! the log, as every other node does.
//!
//! Order of effects, so that a crash at any point leaves nothing half-done that a retry would
//! double: effects first, each idempotent (a resubmission's idempotency key is the original's
//! with `#r` and the resubmission's number; merging master data twice is merging it once; a
//! declaration is deduplicated by its hash), then the audit entry. A crash before the entry
//! leaves the exception as it was, and running the action again finds its effects there.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{Map, Value, json};
use serialhub_core::{ExceptionType, Key};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{ErrorDeclaration, Event, Vocabulary};
use serialhub_store::audit::AuditDraft;
use serialhub_store::outbox::{MessageFilter, MessageStatus, NewMessage, Route, StoredMessage};
use serialhub_store::{EventRecord, ExceptionFilter, Store, StoreError, StoredException};

use crate::bench::{ListFilter, Workbench, millis_string};
use crate::case::{Step, case_id, plan};
use crate::cause::{self, Lookup};
use crate::model::{Closure, Department, ExceptionRef, RootCause, Status};
use crate::sla::Sla;

/// The most targets one action takes (a group's open exceptions).
pub const TARGETS_MAX: usize = serialhub_store::audit::TARGETS_MAX;
/// Messages read per outbox page while syncing.
const PAGE: usize = 10_000;
/// The most identifiers one suspect product case holds (each is watched through its pedigree
/// at every sync that finds new events; a whole lot is a recall, not a case).
pub const HOLD_IDENTIFIERS_MAX: usize = 1_000;

/// How the workbench is set up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Service levels.
    pub sla: Sla,
    /// The regime of each connector (`us` for dscsa, `eu` for eu-hub), for SLAs.
    pub regimes: HashMap<String, String>,
    /// The least time between two syncs a read triggers, in ms (actions always sync).
    pub sync_interval_ms: i64,
}

/// Why an action was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The request is malformed or incomplete (400).
    #[error("{0}")]
    Invalid(String),
    /// A target does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// A target cannot take this action in its state (409).
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to act on.
#[derive(Clone, Debug)]
pub enum Targets {
    /// These exceptions (ids as the API shows them).
    Ids(Vec<String>),
    /// The open exceptions of this group.
    Group(String),
}

/// An action as requested.
#[derive(Clone, Debug)]
pub struct ActionRequest {
    /// `assign`, `investigate`, `await_partner`, `correct_master_data`, `resubmit`, `resend`,
    /// `declare_error`, `void`, `accept`, `reopen`.
    pub action: String,
    /// What it applies to.
    pub targets: Targets,
    /// Why (required: it goes into the audit log).
    pub reason: String,
    /// `assign`: the new owner.
    pub owner: Option<Department>,
    /// `assign`: the corrected root cause.
    pub cause: Option<RootCause>,
    /// `correct_master_data`: the corrected master data.
    pub master_data: Vec<Vocabulary>,
    /// `declare_error`: the CBV error reason (`incorrect_data`, `did_not_occur`).
    pub error_reason: Option<String>,
    /// `declare_error`: the corrective events, captured with the declaration.
    pub corrective_events: Vec<Event>,
}

/// A suspect product case to open.
#[derive(Clone, Debug, Default)]
pub struct CaseOpening {
    /// The suspect identifiers (held from now).
    pub identifiers: Vec<String>,
    /// The exceptions that raised the suspicion.
    pub exceptions: Vec<String>,
    /// The regime whose deadline applies (`us`, `eu`).
    pub regime: Option<String>,
    /// Why the product is suspect.
    pub reason: String,
}

/// A verification finding to record (`Service::raise_alert`).
#[derive(Clone, Debug)]
pub struct AlertDraft {
    /// The finding's stable code (`clone_suspected`, `outside_target_market`...).
    pub code: &'static str,
    /// Its type (F12 for suspect product).
    pub exception_type: ExceptionType,
    /// The pack's key.
    pub identifier: String,
    /// The likely cause.
    pub cause: RootCause,
    /// What one investigation covers (the GTIN): the group's scope.
    pub scope: String,
    /// The partner concerned, if one is.
    pub partner: Option<String>,
    /// What happened, in words.
    pub message: String,
    /// The sightings and facts.
    pub evidence: Value,
}

/// What an action did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionOutcome {
    /// The audit entry recording it.
    pub audit_seq: u64,
    /// The exceptions it applied to.
    pub targets: Vec<String>,
    /// Outbox messages it added (resubmissions, corrections to partners).
    pub messages: Vec<u64>,
    /// Events it captured (declarations, corrective events), by hash ID.
    pub events: Vec<String>,
}

/// The workbench over a store.
pub struct Service {
    store: Arc<dyn Store>,
    route: Arc<dyn Route>,
    regimes: HashMap<String, String>,
    bench: RwLock<Workbench>,
    /// Serialises syncs and actions; holds the time of the last sync.
    sync: Mutex<i64>,
    interval_ms: i64,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("regimes", &self.regimes).finish_non_exhaustive()
    }
}

struct StoreLookup<'s>(&'s dyn Store);

impl Lookup for StoreLookup<'_> {
    fn commissioned(&self, key: &Key) -> bool {
        self.0.state(key).ok().flatten().is_some()
    }
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("workbench lock poisoned".to_owned())
}

/// The numbered exceptions of `stored` (in store order), each with its place in its event.
fn numbered(stored: Vec<StoredException>) -> Vec<(ExceptionRef, StoredException)> {
    let mut last = (0, 0u32);
    stored
        .into_iter()
        .map(|e| {
            let nth = if e.event_seq == last.0 { last.1 + 1 } else { 0 };
            last = (e.event_seq, nth);
            (ExceptionRef::Ledger { seq: e.event_seq, nth }, e)
        })
        .collect()
}

impl Service {
    /// The workbench over `store`, rebuilt from it at `now` (Unix ms). `route` routes the
    /// corrective events an action captures.
    pub fn open(
        store: Arc<dyn Store>,
        route: Arc<dyn Route>,
        config: Config,
        now: i64,
    ) -> Result<Service, StoreError> {
        let service = Service {
            store,
            route,
            regimes: config.regimes,
            bench: RwLock::new(Workbench::new(config.sla)),
            sync: Mutex::new(i64::MIN),
            interval_ms: config.sync_interval_ms,
        };
        service.sync(now, true)?;
        Ok(service)
    }

    /// Brings the rows up to date with the store, unless a sync ran less than the interval
    /// ago (`force` syncs anyway). A read that finds a sync or an action under way does not
    /// wait for it: it answers from the rows as they are.
    pub fn sync(&self, now: i64, force: bool) -> Result<(), StoreError> {
        let mut last = if force {
            self.sync_guard()
        } else {
            match self.sync.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return Ok(()),
            }
        };
        if !force && now.saturating_sub(*last) < self.interval_ms {
            return Ok(());
        }
        self.sync_locked()?;
        *last = now;
        Ok(())
    }

    /// The sync lock. It guards only the time of the last sync, so a panic while it was held
    /// leaves nothing inconsistent behind it: a poisoned lock is taken as it is.
    fn sync_guard(&self) -> std::sync::MutexGuard<'_, i64> {
        self.sync.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sync_locked(&self) -> Result<(), StoreError> {
        let store = self.store.as_ref();
        let (ledger_seq, audit_seq, messages_seen, failed_known) = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            (bench.ledger_seq, bench.audit_seq, bench.messages_seen, bench.failed_known)
        };
        // The audit log first: every exception an entry names existed when the entry was
        // written, so the exceptions read after it include them all (read the other way
        // round, an action on an exception raised in between would find no row and be lost).
        let entries = read_all_audit(store, audit_seq)?;
        // Suggestions read the store: made before taking the write lock.
        let filter = ExceptionFilter { after_seq: Some(ledger_seq), ..ExceptionFilter::default() };
        let lookup = StoreLookup(store);
        let raised: Vec<_> = numbered(store.exceptions(&filter)?)
            .into_iter()
            .map(|(id, e)| {
                let suggestion = cause::for_violation(&e.violation, &lookup);
                (id, e, suggestion)
            })
            .collect();
        let mut fresh = Vec::new();
        let from = MessageFilter { after: Some(messages_seen), ..MessageFilter::default() };
        scan_messages(store, from, |m| fresh.push((m.id, m.message.destination)))?;
        // Failed messages are read again only when their count moved (a message fails at any
        // id, so no cursor can follow them).
        let failed_now = store.outbox_counts()?.failed;
        let mut failed = Vec::new();
        if failed_now != failed_known {
            let all_failed =
                MessageFilter { status: Some(MessageStatus::Failed), ..MessageFilter::default() };
            scan_messages(store, all_failed, |m| failed.push(m))?;
        }

        let mut bench = self.bench.write().map_err(|_| poisoned())?;
        for (id, e, suggestion) in &raised {
            let t = e.violation.exception_type;
            bench.raise(
                *id,
                t,
                e.violation.kind.code(),
                suggestion,
                None,
                None,
                e.captured_at.unix_millis,
            );
            bench.ledger_seq = bench.ledger_seq.max(e.event_seq);
        }
        for (id, destination) in &fresh {
            bench.count_message(destination, *id);
        }
        for message in failed.iter().filter(|m| !is_resubmission(m)) {
            self.raise_failure(&mut bench, message);
        }
        if failed_now != failed_known {
            bench.failed_known = failed_now;
        }
        for entry in &entries {
            bench.apply(entry);
        }
        // Resubmissions in flight: settled ones close or reopen their exceptions.
        let in_flight: Vec<u64> = bench.resubmissions_in_flight().collect();
        drop(bench);
        let mut settled = Vec::new();
        if in_flight.len() <= 64 {
            for id in in_flight {
                if let Some(m) = self.message(id)?.filter(|m| m.status != MessageStatus::Pending) {
                    settled.push(m);
                }
            }
        } else if let Some(first) = in_flight.iter().min() {
            // Many (a bulk resubmission): one scan from the oldest beats a read each.
            let wanted: HashSet<u64> = in_flight.iter().copied().collect();
            let from = MessageFilter { after: Some(first - 1), ..MessageFilter::default() };
            scan_messages(store, from, |m| {
                if wanted.contains(&m.id) && m.status != MessageStatus::Pending {
                    settled.push(m);
                }
            })?;
        }
        if !settled.is_empty() {
            let mut bench = self.bench.write().map_err(|_| poisoned())?;
            for m in settled {
                let delivered = m.status == MessageStatus::Delivered;
                if !delivered {
                    bench.count_failure(&m.message.destination);
                }
                let at = m.settled_at.map_or(0, |t| t.unix_millis);
                bench.resubmission_ended(m.id, delivered, at);
            }
        }
        self.watch_holds()
    }

    /// Raises an exception for each event, stored since the last look, that ships, dispenses
    /// or sells a product a suspect product case holds: the pack itself, or a container it was
    /// in at the time (the pedigree, so containment is as it was then, not as it is now; a
    /// rebuild after a restart finds the same ones). Quarantine is the case's record, and
    /// this is how a breach of it surfaces. A case that stopped holding is looked at up to the
    /// event stored when it stopped.
    fn watch_holds(&self) -> Result<(), StoreError> {
        let store = self.store.as_ref();
        let last = store.last_seq()?;
        let watched: Vec<(u64, Vec<String>, u64, u64)> = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            bench
                .cases
                .all()
                .map(|c| {
                    let upto = c.held_until.unwrap_or(last).min(last);
                    (c.id, c.identifiers.clone(), bench.hold_checked(c.id).max(c.held_from), upto)
                })
                .filter(|(_, _, checked, upto)| checked < upto)
                .collect()
        };
        for (case, identifiers, checked, upto) in watched {
            let mut moved = Vec::new();
            for id in identifiers.iter().take(HOLD_IDENTIFIERS_MAX) {
                for step in serialhub_store::query::pedigree(store, &Key::new(id))? {
                    let seq = step.event.seq;
                    let event = &step.event.record.event;
                    if seq > checked && seq <= upto && is_movement(event) {
                        let at = event.record_time.as_deref().and_then(Timestamp::parse);
                        moved.push((seq, at.map_or(0, |t| t.unix_millis)));
                    }
                }
            }
            let mut bench = self.bench.write().map_err(|_| poisoned())?;
            for (seq, at) in moved {
                let suggestion = cause::Suggestion {
                    cause: RootCause::Unknown,
                    scope: format!("c{case}"),
                    evidence: String::new(),
                };
                let id = ExceptionRef::Hold { case, seq };
                let t = ExceptionType::SuspectProduct;
                bench.raise(id, t, "held_product_moved", &suggestion, None, None, at);
            }
            bench.set_hold_checked(case, upto);
        }
        Ok(())
    }

    fn raise_failure(&self, bench: &mut Workbench, message: &StoredMessage) {
        let id = ExceptionRef::Message { id: message.id };
        if bench.row(id).is_some() {
            return;
        }
        let error = message.last_error.as_deref().unwrap_or("failed");
        let suggestion =
            cause::for_failure(&message.message.connector, &message.message.destination, error);
        let code = cause::rejection(error).map_or("delivery_gave_up", |(code, _)| code);
        let t = cause::failure_type(code, suggestion.cause);
        let regime = self.regimes.get(&message.message.connector).map(String::as_str);
        let at = message.settled_at.unwrap_or(message.created_at).unix_millis;
        if bench.raise(id, t, code, &suggestion, Some(&message.message.destination), regime, at) {
            bench.count_failure(&message.message.destination);
        }
    }

    /// A page of exceptions as JSON (`exceptions`, `total`, `next`).
    pub fn list(
        &self,
        filter: &ListFilter,
        after: Option<usize>,
        limit: usize,
        now: i64,
    ) -> Result<Value, StoreError> {
        self.sync(now, false)?;
        let bench = self.bench.read().map_err(|_| poisoned())?;
        let page = bench.list(filter, after, limit);
        let rows: Vec<Value> = page.rows.iter().map(|r| bench.row_json(r, now)).collect();
        Ok(json!({ "total": page.total, "exceptions": rows, "next": page.next }))
    }

    /// The exceptions naming `key` (for the list's identifier filter).
    pub fn naming(&self, key: &Key) -> Result<Vec<ExceptionRef>, StoreError> {
        let filter = ExceptionFilter { key: Some(key.clone()), ..ExceptionFilter::default() };
        let mut out = Vec::new();
        for e in self.store.exceptions(&filter)? {
            // Its place among all its event's exceptions, not only those naming the key.
            if let Some(nth) = serialhub_store::query::place_in_event(self.store.as_ref(), &e)? {
                let nth = u32::try_from(nth).unwrap_or(u32::MAX);
                out.push(ExceptionRef::Ledger { seq: e.event_seq, nth });
            }
        }
        Ok(out)
    }

    /// The groups (open ones only unless `all`).
    pub fn groups(&self, all: bool, now: i64) -> Result<Value, StoreError> {
        self.sync(now, false)?;
        let bench = self.bench.read().map_err(|_| poisoned())?;
        let groups: Vec<Value> = bench
            .groups(!all)
            .into_iter()
            .map(|g| {
                json!({
                    "id": g.id, "rootCause": g.cause.name(), "scope": g.scope,
                    "open": g.open, "total": g.total,
                    "firstDue": g.first_due.map(millis_string),
                })
            })
            .collect();
        Ok(json!({ "groups": groups }))
    }

    /// The KPIs (`Workbench::metrics`).
    pub fn metrics(&self, now: i64) -> Result<String, StoreError> {
        self.sync(now, false)?;
        Ok(self.bench.read().map_err(|_| poisoned())?.metrics(now))
    }

    /// One exception with its evidence and history, or `None`.
    pub fn detail(&self, id: &str, now: i64) -> Result<Option<Value>, StoreError> {
        self.sync(now, false)?;
        let Some(id) = ExceptionRef::parse(id) else { return Ok(None) };
        let (mut body, history) = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            let Some(row) = bench.row(id) else { return Ok(None) };
            (bench.row_json(row, now), bench.history(id).to_vec())
        };
        let evidence = match id {
            ExceptionRef::Ledger { seq, .. } => self.ledger_evidence(id, seq)?,
            ExceptionRef::Message { id } => self.message_evidence(id)?,
            ExceptionRef::Hold { case, seq } => self.hold_evidence(case, seq, now)?,
            ExceptionRef::Alert { seq } => self.alert_evidence(seq)?,
        };
        body["evidence"] = evidence;
        let mut entries = Vec::new();
        for seq in history {
            if let Some(e) = self.store.audit_log(seq - 1, 1)?.into_iter().next() {
                entries.push(json!({
                    "seq": e.seq, "at": e.draft.at.to_utc_millis_string(), "actor": e.draft.actor,
                    "action": e.draft.action, "reason": e.draft.reason,
                    "before": serde_json::from_str::<Value>(&e.draft.before).ok().and_then(|b| b.get(id.to_string()).cloned()),
                    "after": serde_json::from_str::<Value>(&e.draft.after).unwrap_or(Value::Null),
                    "hash": e.hash,
                }));
            }
        }
        body["history"] = Value::from(entries);
        Ok(Some(body))
    }

    fn ledger_exception(
        &self,
        id: ExceptionRef,
        seq: u64,
    ) -> Result<Option<StoredException>, StoreError> {
        let all = serialhub_store::query::event_exceptions(self.store.as_ref(), seq)?;
        Ok(numbered(all).into_iter().find(|(r, _)| *r == id).map(|(_, e)| e))
    }

    fn ledger_evidence(&self, id: ExceptionRef, seq: u64) -> Result<Value, StoreError> {
        let Some(e) = self.ledger_exception(id, seq)? else { return Ok(Value::Null) };
        let suggestion = cause::for_violation(&e.violation, &StoreLookup(self.store.as_ref()));
        let stored = self.store.events_by_id(&e.event_hash_id)?.into_iter().find(|s| s.seq == seq);
        // The parties the event names (source and destination), by GLN where they have one.
        let mut parties: Vec<String> = stored
            .iter()
            .flat_map(|s| s.record.event.source_list.iter().chain(&s.record.event.destination_list))
            .map(|p| serialhub_epcis::query::party_gln(&p.value).unwrap_or_else(|| p.value.clone()))
            .collect();
        parties.sort();
        parties.dedup();
        let event = stored
            .and_then(|s| {
                serde_json::from_slice::<Value>(&serialhub_store::stored_json(&s.record.event)).ok()
            })
            .and_then(|doc| doc.pointer("/epcisBody/eventList/0").cloned());
        // The lots of the identifiers concerned, as their commissioning recorded them.
        let mut lots = Vec::new();
        for epc in e.violation.epcs.iter().take(100) {
            if let Some(lot) = self.store.state(&Key::new(epc))?.and_then(|s| s.lot) {
                lots.push(lot.to_string());
            }
        }
        lots.sort();
        lots.dedup();
        Ok(json!({
            "rule": e.violation.kind.code(),
            "message": e.violation.message,
            "identifiers": e.violation.epcs,
            "lots": lots,
            "parties": parties,
            "events": e.violation.event_ids,
            "eventHashID": e.event_hash_id,
            "eventSeq": e.event_seq,
            "event": event,
            "causeEvidence": suggestion.evidence,
        }))
    }

    fn hold_evidence(&self, case: u64, seq: u64, now: i64) -> Result<Value, StoreError> {
        let held = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            bench.cases.get(case).map(|c| c.to_json(now))
        };
        let event = self
            .store
            .events(seq, 1)?
            .into_iter()
            .find(|e| e.seq == seq)
            .and_then(|s| {
                serde_json::from_slice::<Value>(&serialhub_store::stored_json(&s.record.event)).ok()
            })
            .and_then(|doc| doc.pointer("/epcisBody/eventList/0").cloned());
        Ok(json!({ "case": held, "eventSeq": seq, "event": event }))
    }

    /// What the finding's audit entry recorded: the sightings and facts that raised it.
    fn alert_evidence(&self, seq: u64) -> Result<Value, StoreError> {
        let Some(entry) = self.store.audit_log(seq - 1, 1)?.into_iter().next() else {
            return Ok(Value::Null);
        };
        let after = serde_json::from_str::<Value>(&entry.draft.after).unwrap_or(Value::Null);
        Ok(json!({
            "identifier": after.pointer("/alert/identifier"),
            "message": after.pointer("/alert/message"),
            "evidence": after.pointer("/alert/evidence"),
            "auditSeq": seq,
        }))
    }

    fn message_evidence(&self, id: u64) -> Result<Value, StoreError> {
        let Some(m) = self.message(id)? else { return Ok(Value::Null) };
        let error = m.last_error.clone().unwrap_or_default();
        let suggestion = cause::for_failure(&m.message.connector, &m.message.destination, &error);
        Ok(json!({
            "connector": m.message.connector,
            "destination": m.message.destination,
            "idempotencyKey": m.message.idempotency_key,
            "payload": String::from_utf8_lossy(&m.message.payload),
            "eventSeq": m.event_seq,
            "attempts": m.attempts,
            "lastError": m.last_error,
            "createdAt": m.created_at.to_utc_millis_string(),
            "settledAt": m.settled_at.map(|t| t.to_utc_millis_string()),
            "causeEvidence": suggestion.evidence,
        }))
    }

    fn message(&self, id: u64) -> Result<Option<StoredMessage>, StoreError> {
        let filter = MessageFilter {
            after: Some(id.saturating_sub(1)),
            limit: 1,
            ..MessageFilter::default()
        };
        Ok(self.store.outbox_messages(&filter)?.into_iter().find(|m| m.id == id))
    }

    /// Carries out `request` for `actor` at `now`.
    pub fn act(
        &self,
        actor: &str,
        request: &ActionRequest,
        now: Timestamp,
    ) -> Result<ActionOutcome, ActionError> {
        if request.reason.trim().is_empty() {
            return Err(ActionError::Invalid(
                "reason: every action needs one; it goes into the audit log".to_owned(),
            ));
        }
        let mut last = self.sync_guard();
        self.sync_locked()?;
        *last = now.unix_millis;
        let targets = self.targets(&request.action, &request.targets)?;
        let plan = self.plan(request, &targets)?;
        // The entry's bounds are checked before any effect: an action whose record would be
        // refused must not resubmit or capture anything first.
        let mut draft = AuditDraft {
            at: now,
            actor: actor.to_owned(),
            action: request.action.clone(),
            targets: targets.iter().map(ToString::to_string).collect(),
            reason: request.reason.clone(),
            before: plan.before.to_string(),
            after: String::new(),
        };
        draft.check().map_err(ActionError::Invalid)?;
        let mut outcome = ActionOutcome {
            audit_seq: 0,
            targets: targets.iter().map(ToString::to_string).collect(),
            messages: Vec::new(),
            events: Vec::new(),
        };
        let mut after = Map::new();
        if let Some(status) = plan.status {
            after.insert("status".to_owned(), status.name().into());
        }
        if let Some(closure) = plan.closure {
            after.insert("closure".to_owned(), closure.name().into());
        }
        if let Some(owner) = request.owner.filter(|_| request.action == "assign") {
            after.insert("owner".to_owned(), owner.name().into());
        }
        if let Some(cause) = request.cause.filter(|_| request.action == "assign") {
            after.insert("cause".to_owned(), cause.name().into());
        }
        if request.action == "correct_master_data" {
            self.store.put_master_data(&request.master_data)?;
            let elements: usize = request.master_data.iter().map(|v| v.elements.len()).sum();
            after.insert("masterDataElements".to_owned(), elements.into());
        }
        if plan.resubmit {
            let resubmissions = self.resubmit(&targets, now)?;
            outcome.messages.extend(resubmissions.values());
            let map: Map<String, Value> =
                resubmissions.into_iter().map(|(k, v)| (k, v.into())).collect();
            after.insert("resubmissions".to_owned(), Value::Object(map));
        }
        if request.action == "declare_error" {
            let (events, messages) = self.declare(request, &targets, now)?;
            after.insert("events".to_owned(), events.clone().into());
            after.insert("corrections".to_owned(), messages.clone().into());
            outcome.events = events;
            outcome.messages.extend(messages);
        }
        draft.after = Value::Object(after).to_string();
        let entries = self.store.audit_append(vec![draft])?;
        outcome.audit_seq = entries.first().map_or(0, |e| e.seq);
        // Replayed, not applied directly: another node's entries may come before ours. The
        // action is done and recorded: a failing refresh here must not report it failed (the
        // caller would do it again); the next sync picks it up.
        let _ = self.sync_locked();
        Ok(outcome)
    }

    /// Records a verification finding (a cloned code, a diverted pack) as an exception: one
    /// audit entry, by `serialhub:verify`, whose seq is the exception's id (`a{seq}`). A
    /// finding of the same code for the same pack raised before is not recorded again
    /// (`None`); two nodes racing to record one leave two entries and one row.
    pub fn raise_alert(
        &self,
        alert: &AlertDraft,
        now: Timestamp,
    ) -> Result<Option<ExceptionRef>, StoreError> {
        self.sync(now.unix_millis, false)?;
        if self.bench.read().map_err(|_| poisoned())?.alerted(alert.code, &alert.identifier) {
            return Ok(None);
        }
        let draft = AuditDraft {
            at: now,
            actor: "serialhub:verify".to_owned(),
            action: crate::bench::RAISE_ALERT.to_owned(),
            targets: Vec::new(),
            reason: alert.message.clone(),
            before: "{}".to_owned(),
            after: json!({ "alert": {
                "code": alert.code, "type": alert.exception_type.code(),
                "identifier": alert.identifier, "cause": alert.cause.name(),
                "scope": alert.scope, "partner": alert.partner,
                "message": alert.message, "evidence": alert.evidence,
            }})
            .to_string(),
        };
        let entries = self.store.audit_append(vec![draft])?;
        let _ = self.sync_locked();
        Ok(entries.first().map(|e| ExceptionRef::Alert { seq: e.seq }))
    }

    /// Opens a suspect product case recording `identifiers` as quarantined from now (any later
    /// movement of them is raised: `watch_holds`), linked to
    /// `exceptions` (which go to quality and compliance, investigating). Returns its id.
    pub fn open_case(
        &self,
        actor: &str,
        opening: &CaseOpening,
        now: Timestamp,
    ) -> Result<String, ActionError> {
        if opening.reason.trim().is_empty() {
            return Err(ActionError::Invalid("reason: say why the product is suspect".to_owned()));
        }
        if opening.identifiers.is_empty() || opening.identifiers.len() > HOLD_IDENTIFIERS_MAX {
            return Err(ActionError::Invalid(format!(
                "identifiers: 1 to {HOLD_IDENTIFIERS_MAX} suspect identifiers (a whole lot is a recall)"
            )));
        }
        // Held as keys, whatever form they were given in, so that every event naming them in
        // any form is matched.
        let mut held = Vec::with_capacity(opening.identifiers.len());
        for code in &opening.identifiers {
            let key = Key::from_code(code)
                .map_err(|e| ActionError::Invalid(format!("identifiers: {code:?}: {e}")))?;
            held.push(key.as_str().to_owned());
        }
        let mut last = self.sync_guard();
        self.sync_locked()?;
        *last = now.unix_millis;
        let linked = if opening.exceptions.is_empty() {
            Vec::new()
        } else {
            self.targets("case_open", &Targets::Ids(opening.exceptions.clone()))?
        };
        // The open ones move to quality and compliance; closed ones are linked as they are.
        let (before, moved) = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            let open: Vec<_> = linked
                .iter()
                .filter_map(|id| bench.row(*id))
                .filter(|r| r.status.is_open())
                .collect();
            let rows: Map<String, Value> = open
                .iter()
                .map(|r| {
                    (
                        r.id.to_string(),
                        json!({ "status": r.status.name(), "owner": r.owner.name() }),
                    )
                })
                .collect();
            (Value::Object(rows), open.iter().map(|r| r.id.to_string()).collect::<Vec<_>>())
        };
        let linked: Vec<String> = linked.iter().map(ToString::to_string).collect();
        // Movements of the held product are watched from the events stored after this one.
        let held_from = self.store.last_seq()?;
        let mut after = json!({
            "case": {
                "identifiers": held, "exceptions": linked,
                "regime": opening.regime, "heldFrom": held_from,
            },
        });
        if !moved.is_empty() {
            after["status"] = "investigating".into();
            after["owner"] = Department::QualityCompliance.name().into();
        }
        let draft = AuditDraft {
            at: now,
            actor: actor.to_owned(),
            action: "case_open".to_owned(),
            targets: moved,
            reason: opening.reason.clone(),
            before: before.to_string(),
            after: after.to_string(),
        };
        let entries = self.store.audit_append(vec![draft])?;
        self.sync_locked()?;
        Ok(entries.first().map(|e| format!("c{}", e.seq)).unwrap_or_default())
    }

    /// Takes one step of case `id`.
    pub fn case_step(
        &self,
        actor: &str,
        id: &str,
        step: &Step,
        reason: &str,
        now: Timestamp,
    ) -> Result<u64, ActionError> {
        if reason.trim().is_empty() {
            return Err(ActionError::Invalid(
                "reason: every step needs one; it goes into the audit log".to_owned(),
            ));
        }
        let mut last = self.sync_guard();
        self.sync_locked()?;
        *last = now.unix_millis;
        let (after, before) = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            let Some(case) = case_id(id).and_then(|n| bench.cases.get(n)) else {
                return Err(ActionError::NotFound(format!("no case {id}")));
            };
            let mut after = plan(case, step, now.unix_millis).map_err(ActionError::Conflict)?;
            // When the case stops holding its product, movements are watched up to now.
            let stops = after["caseStatus"] == "closed" || after["determination"] == "legitimate";
            if case.held_until.is_none() && stops {
                after["heldUntil"] = self.store.last_seq()?.into();
            }
            (after, json!({ "caseStatus": case.status.name() }))
        };
        let draft = AuditDraft {
            at: now,
            actor: actor.to_owned(),
            action: step.action.clone(),
            targets: vec![id.to_owned()],
            reason: reason.to_owned(),
            before: before.to_string(),
            after: after.to_string(),
        };
        let entries = self.store.audit_append(vec![draft])?;
        self.sync_locked()?;
        Ok(entries.first().map_or(0, |e| e.seq))
    }

    /// Every case (`open_only`: not closed), oldest first, or the one case `id`.
    pub fn cases(
        &self,
        id: Option<&str>,
        open_only: bool,
        now: i64,
    ) -> Result<Option<Value>, StoreError> {
        self.sync(now, false)?;
        let bench = self.bench.read().map_err(|_| poisoned())?;
        if let Some(id) = id {
            return Ok(case_id(id).and_then(|n| bench.cases.get(n)).map(|c| {
                let mut body = c.to_json(now);
                body["history"] = c.history.clone().into();
                body
            }));
        }
        let cases: Vec<Value> = bench
            .cases
            .all()
            .filter(|c| !open_only || c.status != crate::case::CaseStatus::Closed)
            .map(|c| c.to_json(now))
            .collect();
        Ok(Some(json!({ "cases": cases })))
    }

    /// The exceptions `targets` names for `action`: the ids given, or a group's members that
    /// the action applies to (its open ones; for `reopen`, its closed ones; for a
    /// resubmission, the open ones without a resubmission in flight).
    fn targets(&self, action: &str, targets: &Targets) -> Result<Vec<ExceptionRef>, ActionError> {
        let bench = self.bench.read().map_err(|_| poisoned())?;
        let ids = match targets {
            Targets::Ids(ids) => {
                if ids.len() > TARGETS_MAX {
                    return Err(ActionError::Invalid(format!(
                        "over {TARGETS_MAX} targets in one action"
                    )));
                }
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    match ExceptionRef::parse(id).filter(|r| bench.row(*r).is_some()) {
                        Some(r) => out.push(r),
                        None => return Err(ActionError::NotFound(format!("no exception {id}"))),
                    }
                }
                out.sort_unstable();
                out.dedup();
                out
            }
            Targets::Group(group) => {
                let resubmitting = matches!(action, "resubmit" | "resend" | "correct_master_data");
                bench
                    .group_members(group)
                    .into_iter()
                    .filter(|id| {
                        bench.row(*id).is_some_and(|r| match action {
                            "reopen" => !r.status.is_open(),
                            _ => r.status.is_open() && !(resubmitting && r.resubmission.is_some()),
                        })
                    })
                    .collect()
            }
        };
        if ids.is_empty() {
            return Err(ActionError::NotFound("no exception this action applies to".to_owned()));
        }
        if ids.len() > TARGETS_MAX {
            return Err(ActionError::Invalid(format!(
                "over {TARGETS_MAX} targets in one action; act on the group in parts (by ids)"
            )));
        }
        Ok(ids)
    }

    fn plan(&self, request: &ActionRequest, targets: &[ExceptionRef]) -> Result<Plan, ActionError> {
        let bench = self.bench.read().map_err(|_| poisoned())?;
        let rows: Vec<_> = targets.iter().filter_map(|t| bench.row(*t)).collect();
        let mut before = Map::new();
        for row in &rows {
            before.insert(
                row.id.to_string(),
                json!({ "status": row.status.name(), "owner": row.owner.name(), "rootCause": row.cause.name() }),
            );
        }
        let refuse = |why: &str, ids: Vec<String>| -> Result<Plan, ActionError> {
            let shown: Vec<String> = ids.iter().take(20).cloned().collect();
            Err(ActionError::Conflict(format!(
                "{why}: {}{}",
                shown.join(", "),
                if ids.len() > 20 {
                    format!(" and {} more", ids.len() - 20)
                } else {
                    String::new()
                }
            )))
        };
        let closed: Vec<String> =
            rows.iter().filter(|r| !r.status.is_open()).map(|r| r.id.to_string()).collect();
        let not_of = |source: fn(&ExceptionRef) -> bool| -> Vec<String> {
            rows.iter().filter(|r| !source(&r.id)).map(|r| r.id.to_string()).collect()
        };
        // The targets that are not ledger violations, and those that are not failed messages.
        let not_ledger = not_of(|id| matches!(id, ExceptionRef::Ledger { .. }));
        let not_messages = not_of(|id| matches!(id, ExceptionRef::Message { .. }));
        let in_flight: Vec<String> =
            rows.iter().filter(|r| r.resubmission.is_some()).map(|r| r.id.to_string()).collect();
        let plan = |status: Option<Status>, closure: Option<Closure>, resubmit: bool| {
            Ok(Plan { status, closure, resubmit, before: Value::Object(before.clone()) })
        };
        let action = request.action.as_str();
        if action != "reopen" && !closed.is_empty() {
            return refuse("closed exceptions take no action but reopen", closed);
        }
        match action {
            "assign" => {
                if request.owner.is_none() && request.cause.is_none() {
                    return Err(ActionError::Invalid(
                        "assign: give an owner, a rootCause, or both".to_owned(),
                    ));
                }
                plan(None, None, false)
            }
            "investigate" => plan(Some(Status::Investigating), None, false),
            "await_partner" => plan(Some(Status::AwaitingPartner), None, false),
            "resubmit" | "resend" | "correct_master_data" if !in_flight.is_empty() => {
                refuse("a resubmission is still in flight for", in_flight)
            }
            "correct_master_data" => {
                if request.master_data.iter().all(|v| v.elements.is_empty()) {
                    return Err(ActionError::Invalid(
                        "correct_master_data: masterData holds no element".to_owned(),
                    ));
                }
                if not_messages.is_empty() {
                    plan(Some(Status::Resubmitted), None, true)
                } else if not_ledger.is_empty() {
                    plan(Some(Status::Corrected), None, false)
                } else {
                    Err(ActionError::Invalid("correct_master_data: act on ledger exceptions and failed messages separately".to_owned()))
                }
            }
            "resubmit" | "resend" => {
                if !not_messages.is_empty() {
                    return refuse(
                        "only failed messages are resent (a ledger exception is corrected with declare_error)",
                        not_messages,
                    );
                }
                plan(Some(Status::Resubmitted), None, true)
            }
            "declare_error" => {
                if !not_ledger.is_empty() {
                    return refuse(
                        "declare_error applies to ledger exceptions (an event in error); failed messages are resubmitted",
                        not_ledger,
                    );
                }
                plan(Some(Status::Closed), Some(Closure::Declared), false)
            }
            "void" => plan(Some(Status::Closed), Some(Closure::Voided), false),
            "accept" => {
                if request.reason.trim().chars().count() < 10 {
                    return Err(ActionError::Invalid(
                        "accept: the reason is the justification, at least 10 characters"
                            .to_owned(),
                    ));
                }
                plan(Some(Status::Closed), Some(Closure::Accepted), false)
            }
            "reopen" => {
                let open: Vec<String> =
                    rows.iter().filter(|r| r.status.is_open()).map(|r| r.id.to_string()).collect();
                if !open.is_empty() {
                    return refuse("only closed exceptions reopen", open);
                }
                plan(Some(Status::New), None, false)
            }
            other => Err(ActionError::Invalid(format!(
                "action {other:?} is not one of assign, investigate, await_partner, correct_master_data, resubmit, resend, declare_error, void, accept, reopen"
            ))),
        }
    }

    /// Adds one resubmission per failed message in `targets`: same connector, destination,
    /// payload and ordering, key `{original}#r{n}`. Returns target id to message id.
    fn resubmit(
        &self,
        targets: &[ExceptionRef],
        now: Timestamp,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let counts: HashMap<ExceptionRef, u32> = {
            let bench = self.bench.read().map_err(|_| poisoned())?;
            targets.iter().filter_map(|t| bench.row(*t).map(|r| (*t, r.resubmissions))).collect()
        };
        let mut fresh = Vec::new();
        let mut keys = Vec::new();
        for target in targets {
            let ExceptionRef::Message { id } = *target else { continue };
            let Some(original) = self.message(id)? else { continue };
            let n = counts.get(target).copied().unwrap_or(0) + 1;
            let key = format!("{}#r{n}", original.message.idempotency_key);
            keys.push((target.to_string(), key.clone()));
            fresh.push(NewMessage { idempotency_key: key, ..original.message });
        }
        let expected = fresh.len();
        let added = self.store.outbox_enqueue(fresh, now)?;
        if added.len() == expected {
            return Ok(keys.into_iter().map(|(t, _)| t).zip(added).collect());
        }
        // Some were added by an earlier try that crashed before its audit entry: read the ids
        // back by key.
        let wanted: HashMap<&str, &str> =
            keys.iter().map(|(t, k)| (k.as_str(), t.as_str())).collect();
        let mut out = BTreeMap::new();
        scan_messages(self.store.as_ref(), MessageFilter::default(), |m| {
            if let Some(target) = wanted.get(m.message.idempotency_key.as_str()) {
                out.insert((*target).to_owned(), m.id);
            }
        })?;
        Ok(out)
    }

    /// Captures an error declaration for each event that raised a target, and the corrective
    /// events, then sends each declaration to every connector and destination that received
    /// the declared event. Returns the captured hash IDs and the correction messages.
    fn declare(
        &self,
        request: &ActionRequest,
        targets: &[ExceptionRef],
        now: Timestamp,
    ) -> Result<(Vec<String>, Vec<u64>), ActionError> {
        let store = self.store.as_ref();
        let mut corrective = Vec::new();
        let mut corrective_ids = Vec::new();
        let mut hasher =
            serialhub_epcis::hash::EventHasher::new(&serialhub_epcis::Header::default());
        let recorded = now.to_utc_millis_string();
        for event in &request.corrective_events {
            let mut event = event.clone();
            let hash = hasher.hash(&event);
            event.record_time = Some(recorded.clone());
            let id = event.event_id.get_or_insert_with(|| hash.clone()).clone();
            corrective_ids.push(id);
            corrective.push(
                EventRecord::new(serialhub_store::capture_id(hash, &event), event).with_body(),
            );
        }
        let seqs: Vec<u64> = {
            let mut s: Vec<u64> = targets
                .iter()
                .filter_map(|t| match t {
                    ExceptionRef::Ledger { seq, .. } => Some(*seq),
                    ExceptionRef::Message { .. }
                    | ExceptionRef::Hold { .. }
                    | ExceptionRef::Alert { .. } => None,
                })
                .collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        // Per declared event: its hash (what its messages carry) and the declaration's id. An
        // event declared before (an earlier action, or this one retried after a crash before
        // its audit entry) keeps its declaration: nothing is captured or sent twice.
        let mut declared: Vec<(u64, String, String)> = Vec::new();
        let mut fresh = Vec::new();
        for seq in &seqs {
            let Some(stored) = store.events(*seq, 1)?.into_iter().find(|e| e.seq == *seq) else {
                return Err(ActionError::NotFound(format!(
                    "the event {seq} that raised the exception is not stored"
                )));
            };
            if stored.record.event.error_declaration.is_some() {
                return Err(ActionError::Conflict(format!(
                    "event {seq} is itself an error declaration"
                )));
            }
            let hash = serialhub_store::hash_of_capture_id(&stored.record.hash_id).to_owned();
            let existing = store.events_by_id(&hash)?.into_iter().find(|e| {
                e.record.event.error_declaration.is_some()
                    && e.record.hash_id != stored.record.hash_id
            });
            if let Some(existing) = existing {
                declared.push((*seq, hash, existing.record.hash_id));
                continue;
            }
            let mut event = stored.record.event.clone();
            event.error_declaration = Some(ErrorDeclaration {
                declaration_time: recorded.clone(),
                reason: Some(
                    request.error_reason.clone().unwrap_or_else(|| "incorrect_data".to_owned()),
                ),
                corrective_event_ids: corrective_ids.clone(),
                extensions: Vec::new(),
            });
            event.record_time = Some(recorded.clone());
            let id = serialhub_store::capture_id(hash.clone(), &event);
            declared.push((*seq, hash, id.clone()));
            fresh.push(EventRecord::new(id, event).with_body());
        }
        // Corrective events go with new declarations only. Given again with no new declaration,
        // they were captured with the first (an action retried) or they are new and would be
        // dropped: that is refused rather than done silently.
        if fresh.is_empty() && !corrective.is_empty() {
            let mut all_stored = true;
            for record in &corrective {
                all_stored &= store.has_event(&record.hash_id)?;
            }
            if !all_stored {
                return Err(ActionError::Conflict(
                    "every event is declared in error already; corrective events go with a declaration (capture them on their own)".to_owned(),
                ));
            }
        }
        let mut captured: Vec<String> = fresh.iter().map(|r| r.hash_id.clone()).collect();
        if !fresh.is_empty() {
            captured.extend(corrective.iter().map(|r| r.hash_id.clone()));
            let mut records = fresh;
            records.extend(corrective);
            store.capture_routed(records, now, self.route.as_ref())?;
        }
        // Every receiver that has the declared event or will (a message delivered or still
        // pending, the original or its resubmission, which names the event by its hash) gets
        // the declaration once, after it in its order.
        let mut corrections = Vec::new();
        let mut seen = HashSet::new();
        scan_messages(store, MessageFilter::default(), |m| {
            if m.status == MessageStatus::Failed {
                return;
            }
            let names = |(seq, hash, _): &&(u64, String, String)| {
                m.event_seq == Some(*seq) || m.message.payload == hash.as_bytes()
            };
            let Some((_, _, declaration)) = declared.iter().find(names) else { return };
            if !seen.insert((
                m.message.connector.clone(),
                m.message.destination.clone(),
                declaration.clone(),
            )) {
                return;
            }
            let suffix = declaration.rsplit('=').next().unwrap_or_default();
            corrections.push(NewMessage {
                idempotency_key: format!("{}#d{suffix}", m.message.idempotency_key),
                payload: declaration.as_bytes().to_vec(),
                ..m.message
            });
        })?;
        let messages = store.outbox_enqueue(corrections, now)?;
        Ok((captured, messages))
    }
}

/// What `plan` decided: the targets' new status and closure, whether to resubmit, and their
/// state before (for the audit entry).
struct Plan {
    status: Option<Status>,
    closure: Option<Closure>,
    resubmit: bool,
    before: Value,
}

/// Calls `visit` with every message passing `filter` (its `after` where to start), page by
/// page in id order, so that no call holds more than a page.
fn scan_messages(
    store: &dyn Store,
    filter: MessageFilter,
    mut visit: impl FnMut(StoredMessage),
) -> Result<(), StoreError> {
    let mut filter = MessageFilter { limit: PAGE, ..filter };
    loop {
        let page = store.outbox_messages(&filter)?;
        let Some(last) = page.last() else { return Ok(()) };
        filter.after = Some(last.id);
        page.into_iter().for_each(&mut visit);
    }
}

/// Whether `event` moves goods on: a shipment, a dispense or a retail sale (not a declaration
/// that one was in error: it repeats the event it retracts).
fn is_movement(event: &Event) -> bool {
    use serialhub_epcis::cbv::{Term, Vocab, classify};
    event.error_declaration.is_none()
        && event.biz_step.as_deref().is_some_and(|step| {
            matches!(
                classify(Vocab::BizStep, step),
                Term::Standard("shipping" | "dispensing" | "retail_selling")
            )
        })
}

/// Whether `message` resubmits an exception (its key is the original's with `#r`).
fn is_resubmission(message: &StoredMessage) -> bool {
    message
        .message
        .idempotency_key
        .rsplit_once("#r")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn read_all_audit(
    store: &dyn Store,
    after: u64,
) -> Result<Vec<serialhub_store::audit::AuditEntry>, StoreError> {
    let mut out = Vec::new();
    let mut after = after;
    loop {
        let page = store.audit_log(after, serialhub_store::audit::ENTRIES_PER_CALL_MAX)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page);
    }
    Ok(out)
}
