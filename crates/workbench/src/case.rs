//! Suspect product cases: the product is recorded as quarantined when the case opens (events
//! are facts and are still captured, but each later shipment, dispense or retail sale of a
//! held pack, or of a container it is in, becomes an F12 exception: `Service::watch_holds`),
//! investigated,
//! determined legitimate or illegitimate, and, when illegitimate, the regulator and the trading
//! partners are notified within the regime's deadline (DSCSA: within 24 hours of the
//! determination, FDA Form 3911 and every partner who may have the product); linked to the
//! exceptions that raised the suspicion.
//!
//! A case is kept, like everything the workbench does, as audit entries: `case_open` (its id is
//! `c` and the entry's seq), then `case_investigate`, `case_determine`, `case_notify` and
//! `case_close` naming it. `plan` decides whether a step is allowed and what it records;
//! `Cases::apply` replays the log.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use serialhub_store::audit::AuditEntry;

use crate::bench::millis_string;

const HOUR_MS: i64 = 3_600_000;

/// Hours from an illegitimate determination to the notification: DSCSA's 24 hours (21 U.S.C.
/// 360eee-1(b)(4)(B)), which also bounds the EU's "without delay" (the national competent
/// authority under the FMD) and every other regime until one asks for less.
pub const NOTIFY_HOURS: i64 = 24;

/// Where a case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    /// Opened: the product is held.
    Quarantined,
    /// Someone is investigating.
    Investigating,
    /// Determined legitimate or illegitimate.
    Determined,
    /// The regulator and partners were notified.
    Notified,
    /// Done.
    Closed,
}

impl CaseStatus {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            CaseStatus::Quarantined => "quarantined",
            CaseStatus::Investigating => "investigating",
            CaseStatus::Determined => "determined",
            CaseStatus::Notified => "notified",
            CaseStatus::Closed => "closed",
        }
    }

    fn from_name(name: &str) -> Option<CaseStatus> {
        [
            CaseStatus::Quarantined,
            CaseStatus::Investigating,
            CaseStatus::Determined,
            CaseStatus::Notified,
            CaseStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// One case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The seq of the entry that opened it (`c{id}`).
    pub id: u64,
    /// Where it is.
    pub status: CaseStatus,
    /// The identifiers held.
    pub identifiers: Vec<String>,
    /// The exceptions that raised it.
    pub exceptions: Vec<String>,
    /// The regime whose deadline applies.
    pub regime: Option<String>,
    /// When it opened (Unix ms).
    pub opened_at: i64,
    /// `legitimate` or `illegitimate`, once determined.
    pub determination: Option<String>,
    /// When it was determined.
    pub determined_at: Option<i64>,
    /// When the notification is due (an illegitimate determination only).
    pub notify_due: Option<i64>,
    /// Whom it was notified to, and when.
    pub notified: Option<(String, i64)>,
    /// When it closed.
    pub closed_at: Option<i64>,
    /// The audit entries naming it.
    pub history: Vec<u64>,
    /// The last event stored when it opened: movements are watched from the next.
    pub held_from: u64,
    /// The last event stored when it stopped holding (closed, or determined legitimate):
    /// movements are watched up to it.
    pub held_until: Option<u64>,
}

/// What a step asks for.
#[derive(Clone, Debug, Default)]
pub struct Step {
    /// `case_investigate`, `case_determine`, `case_notify` or `case_close`.
    pub action: String,
    /// `case_determine`: `legitimate` or `illegitimate`.
    pub determination: Option<String>,
    /// `case_notify`: who was notified, how (for example "FDA Form 3911; wholesaler B").
    pub notified: Option<String>,
}

/// Whether `step` is allowed on `case` at `now`, and the `after` it records.
pub fn plan(case: &Case, step: &Step, now: i64) -> Result<Value, String> {
    use CaseStatus::*;
    let status = case.status;
    let illegitimate = case.determination.as_deref() == Some("illegitimate");
    match step.action.as_str() {
        "case_investigate" if status == Quarantined => Ok(json!({ "caseStatus": "investigating" })),
        "case_determine" if matches!(status, Quarantined | Investigating) => {
            match step.determination.as_deref() {
                Some("illegitimate") => {
                    let due = now + NOTIFY_HOURS * HOUR_MS;
                    Ok(
                        json!({ "caseStatus": "determined", "determination": "illegitimate", "notifyDueAt": due }),
                    )
                }
                Some("legitimate") => {
                    Ok(json!({ "caseStatus": "determined", "determination": "legitimate" }))
                }
                _ => {
                    Err("case_determine: determination must be legitimate or illegitimate"
                        .to_owned())
                }
            }
        }
        "case_notify" if status == Determined && illegitimate => match step.notified.as_deref() {
            Some(to) if !to.trim().is_empty() => {
                Ok(json!({ "caseStatus": "notified", "notified": to }))
            }
            _ => Err("case_notify: say whom you notified and how (notified)".to_owned()),
        },
        "case_close" if status == Notified || (status == Determined && !illegitimate) => {
            Ok(json!({ "caseStatus": "closed" }))
        }
        "case_close" if status == Determined => {
            Err("case_close: an illegitimate product's case closes after the notification"
                .to_owned())
        }
        "case_investigate" | "case_determine" | "case_notify" | "case_close" => Err(format!(
            "{}: not allowed while the case is {}{}",
            step.action,
            status.name(),
            case.determination.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
        )),
        other => Err(format!(
            "{other:?} is not a case action (case_investigate, case_determine, case_notify, case_close)"
        )),
    }
}

/// Every case, replayed from the audit log.
#[derive(Clone, Debug, Default)]
pub struct Cases {
    cases: BTreeMap<u64, Case>,
}

/// Reads `c{n}`.
pub fn case_id(text: &str) -> Option<u64> {
    text.strip_prefix('c').filter(|n| !n.starts_with('0')).and_then(|n| n.parse().ok())
}

impl Cases {
    /// Applies one audit entry (those of other actions are ignored).
    pub fn apply(&mut self, entry: &AuditEntry) {
        let Ok(after) = serde_json::from_str::<Value>(&entry.draft.after) else { return };
        let at = entry.draft.at.unix_millis;
        if entry.draft.action == "case_open" {
            let Some(opened) = after.get("case") else { return };
            let strings = |name: &str| -> Vec<String> {
                opened[name]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            self.cases.insert(
                entry.seq,
                Case {
                    id: entry.seq,
                    status: CaseStatus::Quarantined,
                    identifiers: strings("identifiers"),
                    exceptions: strings("exceptions"),
                    regime: opened["regime"].as_str().map(str::to_owned),
                    opened_at: at,
                    determination: None,
                    determined_at: None,
                    notify_due: None,
                    notified: None,
                    closed_at: None,
                    history: vec![entry.seq],
                    held_from: opened["heldFrom"].as_u64().unwrap_or(0),
                    held_until: None,
                },
            );
            return;
        }
        if !entry.draft.action.starts_with("case_") {
            return;
        }
        for target in &entry.draft.targets {
            let Some(case) = case_id(target).and_then(|id| self.cases.get_mut(&id)) else {
                continue;
            };
            case.history.push(entry.seq);
            if let Some(status) = after["caseStatus"].as_str().and_then(CaseStatus::from_name) {
                case.status = status;
                match status {
                    CaseStatus::Determined => case.determined_at = Some(at),
                    CaseStatus::Closed => case.closed_at = Some(at),
                    _ => {}
                }
            }
            if let Some(d) = after["determination"].as_str() {
                case.determination = Some(d.to_owned());
            }
            if let Some(due) = after["notifyDueAt"].as_i64() {
                case.notify_due = Some(due);
            }
            if let Some(to) = after["notified"].as_str() {
                case.notified = Some((to.to_owned(), at));
            }
            if let Some(until) = after["heldUntil"].as_u64() {
                case.held_until = Some(until);
            }
        }
    }

    /// The case `id`.
    pub fn get(&self, id: u64) -> Option<&Case> {
        self.cases.get(&id)
    }

    /// Every case, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Case> {
        self.cases.values()
    }
}

impl Case {
    /// Whether it still holds its product: open, and not determined legitimate.
    pub fn holds(&self) -> bool {
        self.status != CaseStatus::Closed && self.determination.as_deref() != Some("legitimate")
    }

    /// Whether its notification is due and not made at `now`.
    pub fn notification_overdue(&self, now: i64) -> bool {
        self.status == CaseStatus::Determined && self.notify_due.is_some_and(|due| due < now)
    }

    /// The case as the API shows it.
    pub fn to_json(&self, now: i64) -> Value {
        json!({
            "id": format!("c{}", self.id),
            "status": self.status.name(),
            "identifiers": self.identifiers,
            "exceptions": self.exceptions,
            "regime": self.regime,
            "openedAt": millis_string(self.opened_at),
            "determination": self.determination,
            "determinedAt": self.determined_at.map(millis_string),
            "notifyDueAt": self.notify_due.map(millis_string),
            "notificationOverdue": self.notification_overdue(now),
            "notified": self.notified.as_ref().map(|(to, _)| to),
            "notifiedAt": self.notified.as_ref().map(|(_, at)| millis_string(*at)),
            "closedAt": self.closed_at.map(millis_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use serialhub_store::audit::{AuditDraft, AuditLog};

    use super::*;

    fn entry(
        log: &mut AuditLog,
        at: i64,
        action: &str,
        targets: &[&str],
        after: Value,
    ) -> AuditEntry {
        let draft = AuditDraft {
            at: serialhub_epcis::time::Timestamp { unix_millis: at, has_offset: true },
            actor: "qa".to_owned(),
            action: action.to_owned(),
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            reason: "suspect".to_owned(),
            before: "{}".to_owned(),
            after: after.to_string(),
        };
        let linked = log.link(vec![draft]);
        log.push(linked.clone());
        linked.into_iter().next().expect("one entry")
    }

    #[test]
    fn a_case_goes_from_quarantine_to_notification_within_its_deadline() {
        let mut log = AuditLog::default();
        let mut cases = Cases::default();
        let open = entry(
            &mut log,
            0,
            "case_open",
            &["3-0"],
            json!({ "case": { "identifiers": ["urn:epc:id:sgtin:0312345.012345.7"], "exceptions": ["3-0"], "regime": "us" } }),
        );
        cases.apply(&open);
        let id = open.seq;
        let step = |action: &str| Step { action: action.to_owned(), ..Step::default() };
        let case = cases.get(id).expect("opened").clone();
        assert_eq!(case.status, CaseStatus::Quarantined);
        assert!(plan(&case, &step("case_notify"), 1).is_err(), "nothing to notify yet");
        assert!(plan(&case, &step("case_close"), 1).is_err());
        assert!(plan(&case, &step("case_determine"), 1).is_err(), "a determination is needed");

        let determine =
            Step { determination: Some("illegitimate".to_owned()), ..step("case_determine") };
        let after = plan(&case, &determine, 10 * HOUR_MS).expect("allowed");
        assert_eq!(after["notifyDueAt"], 34 * HOUR_MS, "24 hours after the determination");
        cases.apply(&entry(&mut log, 10 * HOUR_MS, "case_determine", &["c1"], after));
        let case = cases.get(id).expect("exists").clone();
        assert!(!case.notification_overdue(33 * HOUR_MS));
        assert!(case.notification_overdue(35 * HOUR_MS));
        assert!(plan(&case, &step("case_close"), 11 * HOUR_MS).is_err(), "notify first");
        assert!(plan(&case, &step("case_notify"), 11 * HOUR_MS).is_err(), "whom?");
        let notify = Step {
            notified: Some("FDA Form 3911; wholesaler 4098765000003".to_owned()),
            ..step("case_notify")
        };
        cases.apply(&entry(
            &mut log,
            12 * HOUR_MS,
            "case_notify",
            &["c1"],
            plan(&case, &notify, 12 * HOUR_MS).expect("allowed"),
        ));
        let case = cases.get(id).expect("exists").clone();
        assert_eq!(case.status, CaseStatus::Notified);
        assert!(!case.notification_overdue(99 * HOUR_MS));
        cases.apply(&entry(
            &mut log,
            13 * HOUR_MS,
            "case_close",
            &["c1"],
            plan(&case, &step("case_close"), 0).expect("allowed"),
        ));
        let case = cases.get(id).expect("exists");
        assert_eq!((case.status, case.history.len()), (CaseStatus::Closed, 4));
        assert_eq!(case.to_json(0)["notified"], "FDA Form 3911; wholesaler 4098765000003");
    }

    #[test]
    fn a_legitimate_product_closes_without_notification() {
        let case = Case {
            id: 1,
            status: CaseStatus::Investigating,
            identifiers: vec![],
            exceptions: vec![],
            regime: None,
            opened_at: 0,
            determination: None,
            determined_at: None,
            notify_due: None,
            notified: None,
            closed_at: None,
            history: vec![1],
            held_from: 0,
            held_until: None,
        };
        let determine = Step {
            action: "case_determine".to_owned(),
            determination: Some("legitimate".to_owned()),
            notified: None,
        };
        let after = plan(&case, &determine, 5).expect("allowed");
        assert!(after.get("notifyDueAt").is_none());
        let determined = Case {
            status: CaseStatus::Determined,
            determination: Some("legitimate".to_owned()),
            ..case
        };
        let close = Step { action: "case_close".to_owned(), ..Step::default() };
        assert_eq!(plan(&determined, &close, 6).expect("allowed")["caseStatus"], "closed");
        assert_eq!(case_id("c12"), Some(12));
        assert_eq!(case_id("c012"), None);
    }
}
