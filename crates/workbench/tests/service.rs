//! The workbench over a store: exceptions from both sources, groups, bulk correction with
//! resubmission, declarations sent to the partners that had the original, the audit chain,
//! and rebuilding from the store.

use std::sync::Arc;

use serde_json::Value;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{
    Action, Content, Event, EventType, Vocabulary, VocabularyAttribute, VocabularyElement,
};
use serialhub_store::outbox::{
    MessageFilter, MessageStatus, NewMessage, NoRoute, Route, Settlement,
};
use serialhub_store::{EventRecord, MemStore, Store, audit};

/// Runs `scenario` on the in-memory store, the embedded store and PostgreSQL (the server on
/// this machine kind, `SERIALHUB_TEST_POSTGRES` for another), each fresh: the workbench keeps
/// nothing of its own, so it must behave alike on every backend.
fn on_every_backend(name: &str, scenario: fn(Arc<dyn Store>)) {
    scenario(Arc::new(MemStore::default()));
    let dir =
        std::env::temp_dir().join(format!("serialhub-workbench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    scenario(Arc::new(
        serialhub_embedded::EmbeddedStore::open(&dir).expect("embedded store opens"),
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let url = std::env::var("SERIALHUB_TEST_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".to_owned());
    // One schema per scenario and run: scenarios run at once on threads of one process.
    let fingerprint = name
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let schema = format!("workbench_{fingerprint:016x}_{}", std::process::id());
    let store = serialhub_postgres::PgStore::connect_schema(&url, &schema).unwrap_or_else(|e| {
        panic!("PostgreSQL at {url:?} (start it, or set SERIALHUB_TEST_POSTGRES): {e}")
    });
    scenario(Arc::new(store));
    if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
}
use serialhub_workbench::{ActionError, ActionRequest, Config, Service, Targets};

const GTIN: &str = "00312345678906";

fn at(ms: i64) -> Timestamp {
    Timestamp { unix_millis: ms, has_offset: true }
}

const T0: i64 = 1_750_000_000_000;

fn message(i: usize) -> NewMessage {
    NewMessage {
        connector: "us-partner".to_owned(),
        destination: "4098765000003".to_owned(),
        idempotency_key: format!("us-partner:m{i}"),
        ordering_key: None,
        payload: format!("event-{i}").into_bytes(),
    }
}

/// Sends every due message and settles it with `answer(message key)`.
fn deliver(store: &dyn Store, now: i64, answer: &dyn Fn(&str) -> Settlement) -> usize {
    let claimed = store.outbox_claim("test", at(now), at(now + 60_000), 100_000).expect("claim");
    let settlements: Vec<_> =
        claimed.iter().map(|m| (m.id, answer(&m.message.idempotency_key))).collect();
    store.outbox_settle("test", &settlements, at(now)).expect("settle");
    claimed.len()
}

fn request(action: &str, targets: Targets, reason: &str) -> ActionRequest {
    ActionRequest {
        action: action.to_owned(),
        targets,
        reason: reason.to_owned(),
        owner: None,
        cause: None,
        master_data: Vec::new(),
        error_reason: None,
        corrective_events: Vec::new(),
    }
}

fn ndc_master_data() -> Vec<Vocabulary> {
    vec![Vocabulary {
        type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(),
        elements: vec![VocabularyElement {
            id: "urn:epc:idpat:sgtin:0312345.067890.*".to_owned(),
            attributes: vec![VocabularyAttribute {
                id: "urn:epcglobal:cbv:mda#additionalTradeItemIdentification".to_owned(),
                value: Content::Text("12345-6789-0".to_owned()),
            }],
            children: Vec::new(),
        }],
    }]
}

fn list(service: &Service, query: &[(&str, &str)], now: i64) -> Value {
    let mut filter = serialhub_workbench::ListFilter::default();
    for (k, v) in query {
        match *k {
            "status" => {
                filter.statuses.push(serialhub_workbench::Status::from_name(v).expect("status"))
            }
            "group" => filter.group = Some((*v).to_owned()),
            "open" => filter.open = Some(*v == "true"),
            "code" => filter.code = Some((*v).to_owned()),
            _ => panic!("{k}"),
        }
    }
    service.list(&filter, None, 5_000, now).expect("list")
}

/// 1,000 reports refused for one GTIN's missing master data form one group; one action
/// corrects the master data and resubmits them all; once delivered they close by themselves.
/// An outage's exceptions stay apart, untouched.
#[test]
fn one_correction_clears_a_group_of_a_thousand() {
    on_every_backend(
        "one_correction_clears_a_group_of_a_thousand",
        one_correction_clears_a_group_of_a_thousand_on,
    );
}

fn one_correction_clears_a_group_of_a_thousand_on(store: Arc<dyn Store>) {
    let messages: Vec<NewMessage> = (0..1_200).map(message).collect();
    store.outbox_enqueue(messages, at(T0)).expect("enqueue");
    deliver(store.as_ref(), T0, &|key| {
        let i: usize = key.rsplit('m').next().and_then(|n| n.parse().ok()).expect("numbered");
        if i < 1_000 {
            Settlement::Failed {
                error: format!(
                    "rejected master_data_missing: no NDC for GTIN {GTIN} in EPCClass master data"
                ),
            }
        } else {
            Settlement::Failed {
                error: "gave up after 8 attempts: 503 Service Unavailable".to_owned(),
            }
        }
    });
    let service =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0).expect("open");
    let groups = service.groups(false, T0).expect("groups");
    let groups = groups["groups"].as_array().expect("list");
    assert_eq!(groups.len(), 2, "{groups:?}");
    let master = format!("master_data_mismatch:{GTIN}");
    assert_eq!(groups[0]["id"], master.as_str());
    assert_eq!(groups[0]["open"], 1_000);
    assert_eq!(groups[1]["id"], "partner_outage:us-partner:4098765000003");
    let first = list(&service, &[("group", &master)], T0);
    assert_eq!(first["total"], 1_000);
    let row = &first["exceptions"][0];
    assert_eq!(
        (row["type"].as_str(), row["code"].as_str()),
        (Some("F5"), Some("master_data_missing"))
    );
    assert_eq!((row["owner"].as_str(), row["status"].as_str()), (Some("master_data"), Some("new")));

    let mut fix = request(
        "correct_master_data",
        Targets::Group(master.clone()),
        "NDC added to the GTIN's master data",
    );
    fix.master_data = ndc_master_data();
    let outcome = service.act("md-steward", &fix, at(T0 + 1_000)).expect("act");
    assert_eq!(outcome.targets.len(), 1_000);
    assert_eq!(outcome.messages.len(), 1_000);
    assert_eq!(store.master_data().expect("master data")[0].elements.len(), 1);
    assert_eq!(list(&service, &[("status", "resubmitted")], T0)["total"], 1_000);

    // The resubmissions go out with new idempotency keys and succeed.
    let sent = deliver(store.as_ref(), T0 + 2_000, &|key| {
        assert!(key.ends_with("#r1"), "{key}");
        Settlement::Delivered { receipt: "ack".to_owned() }
    });
    assert_eq!(sent, 1_000);
    service.sync(T0 + 3_000, true).expect("sync");
    let closed = list(&service, &[("status", "closed")], T0 + 3_000);
    assert_eq!(closed["total"], 1_000);
    assert_eq!(closed["exceptions"][0]["closure"], "delivered");
    assert_eq!(list(&service, &[("open", "true")], T0)["total"], 200, "the outage's are left");

    let entries = store.audit_log(0, 100).expect("audit");
    assert_eq!(entries.len(), 1, "one action, one entry");
    assert_eq!(entries[0].draft.targets.len(), 1_000);
    assert_eq!(audit::verify((0, audit::GENESIS), &entries), Ok(()));
    let detail = service.detail(&outcome.targets[0], T0 + 3_000).expect("detail").expect("exists");
    assert_eq!(detail["history"][0]["action"], "correct_master_data");
    assert_eq!(detail["history"][0]["before"]["status"], "new");
    assert_eq!(detail["evidence"]["connector"], "us-partner");

    let metrics = service.metrics(T0 + 3_000).expect("metrics");
    assert!(
        metrics.contains("serialhub_workbench_resolve_seconds_count{type=\"F5\"} 1000"),
        "{metrics}"
    );
    // 1,200 failed of 2,200 sent to the partner.
    assert!(
        metrics
            .contains("serialhub_workbench_failures_per_1000{partner=\"4098765000003\"} 545.455"),
        "{metrics}"
    );

    // A second workbench over the same store replays to the same rows.
    let again =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0).expect("open");
    assert_eq!(list(&again, &[], T0 + 3_000), list(&service, &[], T0 + 3_000));
}

/// A failed resubmission reopens its exception instead of raising a second one; actions are
/// checked before anything is done.
#[test]
fn resubmissions_that_fail_reopen_and_bad_actions_are_refused() {
    on_every_backend(
        "resubmissions_that_fail_reopen_and_bad_actions_are_refused",
        resubmissions_that_fail_reopen_and_bad_actions_are_refused_on,
    );
}

fn resubmissions_that_fail_reopen_and_bad_actions_are_refused_on(store: Arc<dyn Store>) {
    store.outbox_enqueue(vec![message(1), message(2)], at(T0)).expect("enqueue");
    deliver(store.as_ref(), T0, &|_| Settlement::Failed {
        error: "rejected HTTP400: bad".to_owned(),
    });
    let service =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0).expect("open");
    let ids = |v: &[&str]| Targets::Ids(v.iter().map(|s| (*s).to_owned()).collect());

    let refused = |r: ActionRequest| service.act("it", &r, at(T0)).expect_err("refused");
    assert!(matches!(refused(request("resend", ids(&["m1"]), " ")), ActionError::Invalid(_)));
    assert!(matches!(refused(request("resend", ids(&["m9"]), "why")), ActionError::NotFound(_)));
    assert!(matches!(refused(request("accept", ids(&["m1"]), "ok")), ActionError::Invalid(_)));
    assert!(matches!(
        refused(request("declare_error", ids(&["m1"]), "why")),
        ActionError::Conflict(_)
    ));
    assert!(matches!(refused(request("fix", ids(&["m1"]), "why")), ActionError::Invalid(_)));
    assert!(store.audit_log(0, 10).expect("audit").is_empty(), "nothing refused is audited");

    service
        .act("it", &request("resend", ids(&["m1"]), "partner fixed its endpoint"), at(T0 + 1))
        .expect("resend");
    let twice = service.act("it", &request("resend", ids(&["m1"]), "again"), at(T0 + 1));
    assert!(
        matches!(twice, Err(ActionError::Conflict(_))),
        "one resubmission at a time: {twice:?}"
    );
    let group = Targets::Group("unknown:us-partner:4098765000003".to_owned());
    let by_group =
        service.act("it", &request("resend", group, "the rest"), at(T0 + 1)).expect("m2 only");
    assert_eq!(by_group.targets, ["m2"], "a group's resubmission skips the one in flight");
    deliver(store.as_ref(), T0 + 2, &|_| Settlement::Failed {
        error: "rejected HTTP400: still bad".to_owned(),
    });
    service.sync(T0 + 3, true).expect("sync");
    let all = list(&service, &[], T0 + 3);
    assert_eq!(all["total"], 2, "the failed resubmission raised nothing new: {all}");
    assert_eq!(all["exceptions"][0]["status"], "new", "reopened");
    assert_eq!(all["exceptions"][0]["resubmissions"], 1);

    service.act("qa", &request("void", ids(&["m2"]), "test message"), at(T0 + 4)).expect("void");
    assert!(matches!(
        refused(request("investigate", ids(&["m2"]), "why")),
        ActionError::Conflict(_)
    ));
    let closed_ones = Targets::Group("unknown:us-partner:4098765000003".to_owned());
    let reopened = service
        .act("qa", &request("reopen", closed_ones, "voided by mistake"), at(T0 + 5))
        .expect("reopen");
    assert_eq!(reopened.targets, ["m2"], "reopen takes a group's closed ones");
    let mut assign = request("assign", ids(&["m1", "m2"]), "outage team");
    assign.owner = Some(serialhub_workbench::Department::It);
    assign.cause = Some(serialhub_workbench::RootCause::PartnerOutage);
    service.act("qa", &assign, at(T0 + 6)).expect("assign");
    let groups = service.groups(false, T0 + 6).expect("groups");
    assert_eq!(groups["groups"][0]["id"], "partner_outage:us-partner:4098765000003");
    assert_eq!(groups["groups"][0]["open"], 2);
    let entries = store.audit_log(0, 100).expect("audit");
    assert_eq!(entries.len(), 5);
    assert_eq!(audit::verify((0, audit::GENESIS), &entries), Ok(()));
}

/// Routes every stored event to one partner, but declarations (as the connectors' routes do:
/// a correction goes to whoever had the original).
struct EveryEvent;

impl Route for EveryEvent {
    fn route(&self, record: &EventRecord) -> Vec<NewMessage> {
        if record.event.error_declaration.is_some() {
            return Vec::new();
        }
        vec![NewMessage {
            connector: "us-partner".to_owned(),
            destination: "4098765000003".to_owned(),
            idempotency_key: format!("us-partner:{}", record.hash_id),
            ordering_key: None,
            payload: record.hash_id.as_bytes().to_vec(),
        }]
    }
}

fn event(day: u32, step: &str, epcs: &[&str]) -> Event {
    Event {
        event_type: Some(EventType::ObjectEvent),
        event_time: format!("2025-01-{day:02}T00:00:00Z"),
        event_time_zone_offset: "+00:00".to_owned(),
        action: Some(Action::Observe),
        biz_step: Some(step.to_owned()),
        epc_list: epcs.iter().map(|e| (*e).to_owned()).collect(),
        ..Event::default()
    }
}

fn record(e: Event) -> EventRecord {
    let hash =
        serialhub_epcis::hash::EventHasher::new(&serialhub_epcis::Header::default()).hash(&e);
    EventRecord::new(hash, e)
}

/// A shipment naming a serial with inverted case: the cause is found among the commissioned;
/// declaring the event in error captures the declaration and corrective event and sends the
/// declaration to the partner that received the shipment.
#[test]
fn a_declared_error_reaches_the_partner_that_had_the_original() {
    on_every_backend(
        "a_declared_error_reaches_the_partner_that_had_the_original",
        a_declared_error_reaches_the_partner_that_had_the_original_on,
    );
}

fn a_declared_error_reaches_the_partner_that_had_the_original_on(store: Arc<dyn Store>) {
    let good = "urn:epc:id:sgtin:0312345.067890.AbC1";
    let typo = "urn:epc:id:sgtin:0312345.067890.aBc1";
    let mut commission = event(1, "commissioning", &[good]);
    commission.action = Some(Action::Add);
    store.capture(vec![record(commission)], at(T0)).expect("commission");
    let mut shipping = event(2, "shipping", &[typo]);
    shipping.destination_list = vec![serialhub_epcis::SourceDest {
        type_: "owning_party".to_owned(),
        value: "urn:epc:id:pgln:4098765.00000".to_owned(),
    }];
    let ship = record(shipping);
    let ship_hash = ship.hash_id.clone();
    store.capture_routed(vec![ship], at(T0), &EveryEvent).expect("ship");
    deliver(store.as_ref(), T0, &|_| Settlement::Delivered { receipt: "ack".to_owned() });

    let service =
        Service::open(store.clone(), Arc::new(EveryEvent), Config::default(), T0).expect("open");
    let all = list(&service, &[], T0);
    assert_eq!(all["total"], 1, "{all}");
    let row = &all["exceptions"][0];
    assert_eq!(
        (row["type"].as_str(), row["rootCause"].as_str()),
        (Some("F1"), Some("serial_case_inverted"))
    );
    assert_eq!(
        row["owner"], "warehouse",
        "a near miss may be a counterfeit: the type's owner looks first"
    );
    let id = row["id"].as_str().expect("id").to_owned();
    let detail = service.detail(&id, T0).expect("detail").expect("exists");
    assert_eq!(detail["evidence"]["rule"], "never_commissioned");
    assert!(
        detail["evidence"]["causeEvidence"].as_str().is_some_and(|e| e.contains("AbC1")),
        "{detail}"
    );
    assert_eq!(detail["evidence"]["event"]["bizStep"], "shipping");
    assert_eq!(detail["evidence"]["parties"], serde_json::json!(["4098765000003"]));
    let key = serialhub_core::Key::new(typo);
    assert_eq!(service.naming(&key).expect("naming").len(), 1);

    let mut declare = request(
        "declare_error",
        Targets::Ids(vec![id.clone()]),
        "serial keyed with its case inverted",
    );
    declare.corrective_events = vec![event(2, "shipping", &[good])];
    let outcome = service.act("warehouse-lead", &declare, at(T0 + 10_000)).expect("declare");
    assert_eq!(outcome.events.len(), 2, "the declaration and the corrective shipment");
    assert!(
        outcome.events[0].starts_with(&ship_hash)
            && outcome.events[0].contains("&errorDeclaration=")
    );
    assert_eq!(outcome.messages.len(), 1, "a correction to the partner that had the shipment");
    let stored = store.events_by_id(&ship_hash).expect("read");
    assert_eq!(stored.len(), 2, "the shipment and its declaration");
    let declaration = stored[1].record.event.error_declaration.as_ref().expect("a declaration");
    assert_eq!(declaration.corrective_event_ids.len(), 1);
    let pending = store
        .outbox_messages(&MessageFilter {
            status: Some(MessageStatus::Pending),
            limit: 10,
            ..MessageFilter::default()
        })
        .expect("messages");
    // The corrective shipment routes like any event; the declaration goes as a correction.
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().any(|m| m.message.payload == outcome.events[0].as_bytes()));
    let closed = list(&service, &[("status", "closed")], T0 + 10_000);
    assert_eq!(closed["exceptions"][0]["closure"], "declared");

    // Declaring the same event again (an action retried, or another of its exceptions) keeps
    // the first declaration: nothing is captured or sent twice.
    let ids = || Targets::Ids(vec![id.clone()]);
    service.act("qa", &request("reopen", ids(), "retry"), at(T0 + 20_000)).expect("reopen");
    let mut again = request("declare_error", ids(), "serial keyed with its case inverted");
    again.corrective_events = vec![event(3, "shipping", &[good])];
    let other = service.act("qa", &again, at(T0 + 25_000));
    assert!(
        matches!(other, Err(ActionError::Conflict(_))),
        "new corrective events, no new declaration: {other:?}"
    );
    again.corrective_events = vec![event(2, "shipping", &[good])];
    let repeat = service.act("qa", &again, at(T0 + 30_000)).expect("declare again");
    assert!(repeat.events.is_empty() && repeat.messages.is_empty(), "{repeat:?}");
    assert_eq!(store.events_by_id(&ship_hash).expect("read").len(), 2);
}

/// A suspect product case opened from an exception: the exception moves to quality and
/// compliance; the case is determined illegitimate, notified within its deadline and closed;
/// each step is refused out of order; a rebuilt workbench has the same case.
#[test]
fn a_suspect_product_case_runs_from_quarantine_to_notification() {
    on_every_backend(
        "a_suspect_product_case_runs_from_quarantine_to_notification",
        a_suspect_product_case_runs_from_quarantine_to_notification_on,
    );
}

fn a_suspect_product_case_runs_from_quarantine_to_notification_on(store: Arc<dyn Store>) {
    store
        .capture(
            vec![record(event(2, "shipping", &["urn:epc:id:sgtin:0312345.067890.X9"]))],
            at(T0),
        )
        .expect("capture");
    let service =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0).expect("open");
    let id =
        list(&service, &[], T0)["exceptions"][0]["id"].as_str().expect("an exception").to_owned();
    let opening = serialhub_workbench::CaseOpening {
        identifiers: vec!["urn:epc:id:sgtin:0312345.067890.X9".to_owned()],
        exceptions: vec![id.clone()],
        regime: Some("us".to_owned()),
        reason: "a pack nobody commissioned was shipped".to_owned(),
    };
    let case = service.open_case("qa", &opening, at(T0 + 1)).expect("opened");
    // The held pack ships anyway: the breach is an exception of its own, F12, linked to the
    // case.
    let x9 = "urn:epc:id:sgtin:0312345.067890.X9";
    store.capture(vec![record(event(3, "shipping", &[x9]))], at(T0 + 1)).expect("shipped");
    service.sync(T0 + 1, true).expect("sync");
    let breach = list(&service, &[("code", "held_product_moved")], T0 + 1);
    assert_eq!(breach["total"], 1, "{breach}");
    assert_eq!(breach["exceptions"][0]["type"], "F12");
    assert_eq!(breach["exceptions"][0]["source"], "case");
    let breach_id = breach["exceptions"][0]["id"].as_str().expect("an id").to_owned();
    assert!(breach_id.starts_with(&format!("h{}-", &case[1..])), "{breach_id}");
    let shown = service.detail(&breach_id, T0 + 1).expect("detail").expect("exists");
    assert_eq!(shown["evidence"]["case"]["id"], case.as_str());
    assert_eq!(shown["evidence"]["event"]["bizStep"], "shipping");
    service.sync(T0 + 1, true).expect("sync");
    assert_eq!(list(&service, &[("code", "held_product_moved")], T0 + 1)["total"], 1, "once"); // A held pack inside a case: shipping the case moves the pack, and is raised too.
    let pack = "urn:epc:id:sgtin:0312345.067890.P1";
    let sscc = "urn:epc:id:sscc:0312345.0000000001";
    let mut commissioning = event(1, "commissioning", &[pack]);
    commissioning.action = Some(Action::Add);
    let packing = Event {
        event_type: Some(EventType::AggregationEvent),
        event_time: "2025-01-01T01:00:00Z".to_owned(),
        event_time_zone_offset: "+00:00".to_owned(),
        action: Some(Action::Add),
        biz_step: Some("packing".to_owned()),
        parent_id: Some(sscc.to_owned()),
        epc_list: vec![pack.to_owned()],
        ..Event::default()
    };
    store.capture(vec![record(commissioning), record(packing)], at(T0 + 1)).expect("packed");
    let held_in_case = serialhub_workbench::CaseOpening {
        identifiers: vec![pack.to_owned()],
        exceptions: vec![],
        regime: Some("us".to_owned()),
        reason: "reported diverted".to_owned(),
    };
    let second = service.open_case("qa", &held_in_case, at(T0 + 1)).expect("opened");
    store.capture(vec![record(event(4, "shipping", &[sscc]))], at(T0 + 1)).expect("case shipped");
    service.sync(T0 + 1, true).expect("sync");
    let breaches = list(&service, &[("code", "held_product_moved")], T0 + 1);
    assert_eq!(breaches["total"], 2, "{breaches}");
    let raised = breaches["exceptions"][1]["id"].as_str().unwrap_or_default();
    assert!(raised.starts_with(&format!("h{}-", &second[1..])), "{raised}");

    let resend = service.act(
        "qa",
        &request("resend", Targets::Ids(vec![breach_id.clone()]), "no"),
        at(T0 + 1),
    );
    assert!(matches!(resend, Err(ActionError::Conflict(_))), "only failed messages are resent");
    let investigate = request("investigate", Targets::Ids(vec![breach_id.clone()]), "who shipped");
    service.act("qa", &investigate, at(T0 + 1)).expect("investigating");
    let row = &list(&service, &[], T0)["exceptions"][0];
    assert_eq!(
        (row["status"].as_str(), row["owner"].as_str()),
        (Some("investigating"), Some("quality_compliance"))
    );
    let step = |action: &str, determination: Option<&str>, notified: Option<&str>| {
        serialhub_workbench::Step {
            action: action.to_owned(),
            determination: determination.map(str::to_owned),
            notified: notified.map(str::to_owned),
        }
    };
    let refused = service.case_step(
        "qa",
        &case,
        &step("case_notify", None, Some("FDA")),
        "early",
        at(T0 + 2),
    );
    assert!(matches!(refused, Err(ActionError::Conflict(_))), "{refused:?}");
    let determined_at = T0 + 3_600_000;
    service
        .case_step(
            "qa",
            &case,
            &step("case_determine", Some("illegitimate"), None),
            "counterfeit label",
            at(determined_at),
        )
        .expect("determined");
    let shown = service.cases(Some(&case), false, determined_at).expect("read").expect("exists");
    assert_eq!(shown["status"], "determined");
    let due = serialhub_epcis::time::Timestamp::parse(shown["notifyDueAt"].as_str().expect("due"))
        .expect("a time");
    assert_eq!(due.unix_millis - determined_at, 24 * 3_600_000);
    let late = service
        .cases(Some(&case), false, determined_at + 25 * 3_600_000)
        .expect("read")
        .expect("exists");
    assert_eq!(late["notificationOverdue"], true);
    let metrics = service.metrics(determined_at + 25 * 3_600_000).expect("metrics");
    assert!(metrics.contains("serialhub_workbench_case_notifications_overdue 1"), "{metrics}");
    service
        .case_step(
            "qa",
            &case,
            &step("case_notify", None, Some("FDA Form 3911; 4098765000003")),
            "notified",
            at(determined_at + 7_200_000),
        )
        .expect("notified");
    service
        .case_step(
            "qa",
            &case,
            &step("case_close", None, None),
            "done",
            at(determined_at + 8_000_000),
        )
        .expect("closed");
    let missing = service.case_step("qa", "c999", &step("case_close", None, None), "x", at(T0));
    assert!(matches!(missing, Err(ActionError::NotFound(_))));

    let again =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0).expect("open");
    let now = determined_at + 9_000_000;
    assert_eq!(
        again.cases(None, false, now).expect("read"),
        service.cases(None, false, now).expect("read")
    );
    // The hold rows come back from the ledger after the log is replayed; the action on one
    // is not lost for it.
    let rebuilt = again.detail(&breach_id, now).expect("detail").expect("raised again");
    assert_eq!(rebuilt["status"], "investigating", "{rebuilt}");
    assert_eq!(rebuilt["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        list(&again, &[("code", "held_product_moved")], now)["total"],
        2,
        "a closed case's breaches are found again, up to when it stopped holding"
    );
    let closed = again.cases(Some(&case), false, now).expect("read").expect("exists");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["history"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        audit::verify((0, audit::GENESIS), &store.audit_log(0, 100).expect("audit")),
        Ok(())
    );
}

/// Verification findings (a cloned code, a diverted pack) are exceptions of their own: raised
/// once per pack and code, with their evidence, acted on like any other, the start of a
/// suspect product case, and rebuilt from the audit log alone.
#[test]
fn verification_findings_are_exceptions_raised_once() {
    on_every_backend(
        "verification_findings_are_exceptions_raised_once",
        verification_findings_are_exceptions_raised_once_on,
    );
}

fn verification_findings_are_exceptions_raised_once_on(store: Arc<dyn Store>) {
    use serialhub_workbench::{AlertDraft, RootCause};
    let service =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0).expect("open");
    let pack = "https://id.gs1.org/01/00312345678906/21/S1";
    let alert = |code: &'static str, cause: RootCause| AlertDraft {
        code,
        exception_type: serialhub_core::ExceptionType::SuspectProduct,
        identifier: pack.to_owned(),
        cause,
        scope: format!("gtin:{GTIN}"),
        partner: Some("4000001000005".to_owned()),
        message: format!("{pack}: {code}"),
        evidence: serde_json::json!({"sightings": [{"place": "4000001000005"}, {"place": "4000002000004"}]}),
    };
    let clone = service
        .raise_alert(&alert("clone_suspected", RootCause::ClonedCode), at(T0))
        .expect("recorded")
        .expect("raised");
    assert!(clone.to_string().starts_with('a'), "{clone}");
    let again = service.raise_alert(&alert("clone_suspected", RootCause::ClonedCode), at(T0 + 1));
    assert_eq!(again.expect("read"), None, "once per pack and code");
    let diversion = service
        .raise_alert(&alert("return_not_sold_to_returner", RootCause::Diversion), at(T0 + 2))
        .expect("recorded")
        .expect("raised");
    let all = list(&service, &[], T0 + 3);
    assert_eq!(all["total"], 2, "{all}");
    let row = &all["exceptions"][0];
    assert_eq!(row["source"], "verification");
    assert_eq!(row["code"], "clone_suspected");
    assert_eq!(row["rootCause"], "cloned_code", "{row}");
    let detail = service.detail(&clone.to_string(), T0 + 3).expect("detail").expect("exists");
    assert_eq!(detail["evidence"]["identifier"], pack);
    assert_eq!(detail["evidence"]["evidence"]["sightings"][1]["place"], "4000002000004");
    // Acted on, and the start of a case.
    let ids = Targets::Ids(vec![clone.to_string()]);
    service
        .act("qa", &request("investigate", ids, "two sites at once"), at(T0 + 4))
        .expect("acted");
    let opening = serialhub_workbench::CaseOpening {
        identifiers: vec![pack.to_owned()],
        exceptions: vec![clone.to_string()],
        regime: Some("us".to_owned()),
        reason: "one code verified at two sites at once".to_owned(),
    };
    service.open_case("qa", &opening, at(T0 + 5)).expect("a case");
    // Rebuilt from the store: the same rows, and still raised once.
    let rebuilt =
        Service::open(store.clone(), Arc::new(NoRoute), Config::default(), T0 + 6).expect("open");
    assert_eq!(list(&rebuilt, &[], T0 + 6), list(&service, &[], T0 + 6));
    let after = rebuilt.raise_alert(&alert("clone_suspected", RootCause::ClonedCode), at(T0 + 7));
    assert_eq!(after.expect("read"), None, "a rebuilt workbench knows it was raised");
    // A finding closed as a false alarm does not stop a new one.
    let ids = Targets::Ids(vec![diversion.to_string()]);
    rebuilt
        .act("qa", &request("void", ids, "the return was a mix-up"), at(T0 + 8))
        .expect("voided");
    let new = rebuilt
        .raise_alert(&alert("return_not_sold_to_returner", RootCause::Diversion), at(T0 + 9))
        .expect("recorded");
    assert!(new.is_some_and(|id| id != diversion), "{new:?}");
    assert!(audit::verify((0, audit::GENESIS), &store.audit_log(0, 100).expect("log")).is_ok());
}
