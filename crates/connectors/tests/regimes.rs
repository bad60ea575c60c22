//! The `dscsa` and `eu-hub` connectors end to end: a small supply chain captured into an
//! embedded store with routing (commissioning, packing into cases, shipments to a US partner;
//! EU batches commissioned), its master data stored, and a dispatcher delivering to an
//! in-process `regulator-sim` that misbehaves at a 30% rate. Every message ends exactly once at
//! the receiver (applied there once, however often it was sent) or as a failed message with a
//! reason code; none is lost.

use std::sync::Arc;

use serialhub_connectors::route::Routes;
use serialhub_connectors::transport::HttpTransport;
use serialhub_connectors::{Connector, Kind};
use serialhub_dispatch::Dispatcher;
use serialhub_dispatch::breaker::BreakerPolicy;
use serialhub_dispatch::dispatcher::Settings;
use serialhub_dispatch::policy::RetryPolicy;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{
    Action, BizTransaction, Content, Element, Event, EventType, Location, Name, SourceDest,
    Vocabulary, VocabularyAttribute, VocabularyElement,
};
use serialhub_store::outbox::{MessageFilter, MessageStatus, StoredMessage};
use serialhub_store::{EventRecord, Store};

const SITE: &str = "urn:epc:id:sgln:0312345.00000.0";
const PARTY_B: &str = "urn:epc:id:sgln:4098765.00000.0";
const PARTY_B_GLN: &str = "4098765000003";
/// The EU product's GTIN.
const EU_GTIN: &str = "04012345000016";
/// US units per case, cases shipped, EU uploads.
const UNITS_PER_CASE: usize = 3;
const CASES: usize = 40;
const EU_BATCHES: usize = 40;
const EU_PACKS: usize = 4;

fn event(event_type: EventType, action: Action, step: &str, minute: usize) -> Event {
    Event {
        event_type: Some(event_type),
        event_time: format!("2025-03-01T{:02}:{:02}:00Z", 8 + minute / 60, minute % 60),
        event_time_zone_offset: "+00:00".to_owned(),
        action: Some(action),
        biz_step: Some(format!("urn:epcglobal:cbv:bizstep:{step}")),
        read_point: Some(Location { id: SITE.to_owned(), extensions: Vec::new() }),
        biz_location: Some(Location { id: SITE.to_owned(), extensions: Vec::new() }),
        ..Event::default()
    }
}

fn commission(ids: Vec<String>, lot: &str, minute: usize) -> Event {
    let ilmd = |local: &str, value: &str| Element {
        name: Name::new("urn:epcglobal:cbv:mda", local, "cbvmda"),
        attributes: Vec::new(),
        content: Content::Text(value.to_owned()),
    };
    Event {
        epc_list: ids,
        disposition: Some("urn:epcglobal:cbv:disp:active".to_owned()),
        ilmd: Some(vec![ilmd("lotNumber", lot), ilmd("itemExpirationDate", "2027-06-30")]),
        ..event(EventType::ObjectEvent, Action::Add, "commissioning", minute)
    }
}

fn pack(parent: String, children: Vec<String>, minute: usize) -> Event {
    Event {
        parent_id: Some(parent),
        epc_list: children,
        ..event(EventType::AggregationEvent, Action::Add, "packing", minute)
    }
}

fn ship(case: String, order: usize, minute: usize) -> Event {
    let party = |value: &str| SourceDest {
        type_: "urn:epcglobal:cbv:sdt:owning_party".to_owned(),
        value: value.to_owned(),
    };
    Event {
        epc_list: vec![case],
        disposition: Some("urn:epcglobal:cbv:disp:in_transit".to_owned()),
        biz_transaction_list: vec![BizTransaction {
            type_: Some("urn:epcglobal:cbv:btt:po".to_owned()),
            value: format!("urn:epcglobal:cbv:bt:4098765000003:PO-{order}"),
        }],
        source_list: vec![party(SITE)],
        destination_list: vec![party(PARTY_B)],
        ..event(EventType::ObjectEvent, Action::Observe, "shipping", minute)
    }
}

fn us_unit(item: &str, serial: usize) -> String {
    format!("urn:epc:id:sgtin:0312345.{item}.{serial}")
}

fn case(n: usize) -> String {
    format!("urn:epc:id:sscc:0312345.{:010}", 1_000_000_000 + n)
}

fn eu_pack(batch: usize, pack: usize) -> String {
    format!("urn:epc:id:sgtin:4012345.000001.E{batch}-{pack}")
}

fn attributes(pairs: &[(&str, &str)]) -> Vec<VocabularyAttribute> {
    pairs
        .iter()
        .map(|(name, value)| VocabularyAttribute {
            id: format!("urn:epcglobal:cbv:mda#{name}"),
            value: Content::Text((*value).to_owned()),
        })
        .collect()
}

/// Master data for the US product 0312345.012345 (NDC 12345-1234-5) and the EU product, and
/// the site; none for the US product 0312345.054321.
fn master_data() -> Vec<Vocabulary> {
    let element = |id: &str, attributes| VocabularyElement {
        id: id.to_owned(),
        attributes,
        children: Vec::new(),
    };
    vec![
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(),
            elements: vec![
                element(
                    "urn:epc:idpat:sgtin:0312345.012345.*",
                    attributes(&[
                        ("additionalTradeItemIdentification", "12345-1234-05"),
                        ("additionalTradeItemIdentificationTypeCode", "FDA_NDC_11"),
                        ("regulatedProductName", "Examplamab"),
                        ("dosageFormType", "TABLET"),
                        ("strengthDescription", "10 mg"),
                        ("manufacturerOfTradeItemPartyName", "Example Pharma Inc."),
                    ]),
                ),
                element(
                    "urn:epc:idpat:sgtin:4012345.000001.*",
                    attributes(&[("regulatedProductName", "Beispielmab 5 mg")]),
                ),
            ],
        },
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:Location".to_owned(),
            elements: vec![element(
                SITE,
                attributes(&[("name", "Example Pharma Plant"), ("countryCode", "US")]),
            )],
        },
    ]
}

/// The supply chain, in capture order, a minute apart.
fn supply_chain() -> Vec<Event> {
    let mut events = Vec::new();
    let mut minute = 0;
    let mut next = || {
        minute += 1;
        minute
    };
    // US: one commissioning of every unit of the lot (each shipment carries only its case's
    // units of it), packing into cases, each case shipped on its own order.
    let units: Vec<String> = (0..CASES * UNITS_PER_CASE).map(|s| us_unit("012345", s)).collect();
    events.push(commission(units.clone(), "US-L1", next()));
    for (n, chunk) in units.chunks(UNITS_PER_CASE).enumerate() {
        events.push(pack(case(n), chunk.to_vec(), next()));
    }
    for n in 0..CASES {
        events.push(ship(case(n), n, next()));
    }
    // A product without master data: its shipment is refused before sending.
    let orphans: Vec<String> = (0..2).map(|s| us_unit("054321", s)).collect();
    events.push(commission(orphans.clone(), "US-L2", next()));
    events.push(pack(case(CASES), orphans, next()));
    events.push(ship(case(CASES), CASES, next()));
    // EU: a batch commissioned per event.
    for batch in 0..EU_BATCHES {
        let packs = (0..EU_PACKS).map(|p| eu_pack(batch, p)).collect();
        events.push(commission(packs, &format!("EU-L{batch}"), next()));
    }
    // Three packs commissioned again (a line fault): the hub has their serials already.
    let again = vec![eu_pack(0, 0), eu_pack(1, 1), eu_pack(2, 2)];
    events.push(commission(again, "EU-L0", next()));
    events
}

#[test]
fn dscsa_and_eu_hub_messages_end_once_at_the_receiver_or_as_failures_at_a_30_percent_fault_rate() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a port");
    let addr = listener.local_addr().expect("an address");
    let settings = serialhub_regsim::Settings { fault_rate: 0.3, seed: 7, latency_ms: 0 };
    runtime.spawn(serialhub_regsim::serve(listener, settings));

    let dir = std::env::temp_dir().join(format!("serialhub-regimes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn Store> =
        Arc::new(serialhub_embedded::EmbeddedStore::open(&dir).expect("a store"));
    store.put_master_data(&master_data()).expect("master data stored");
    let connector = |name: &str, kind: Kind, path: &str| Connector {
        name: name.to_owned(),
        kind,
        url: format!("http://{addr}/{path}"),
        parties: Vec::new(),
        secret: None,
        // Slow answers (1.5 s) and timeouts (15 s) outlast it: the message may have been
        // applied, and goes again with the same key.
        timeout_ms: 300,
        sender: None,
        market: None,
        gtins: Vec::new(),
    };
    let connectors = vec![
        Connector {
            parties: vec![PARTY_B_GLN.to_owned()],
            ..connector("us-partner", Kind::Dscsa, "dscsa")
        },
        Connector {
            market: Some("EU".to_owned()),
            gtins: vec![EU_GTIN.to_owned()],
            ..connector("eu-hub", Kind::EuHub, "eu-hub")
        },
    ];
    for c in &connectors {
        c.validate().expect("a valid connector");
    }
    let routes = Routes::new(connectors.clone());
    // 2025-03-02T08:00:00Z: the day after the events.
    let start = Timestamp { unix_millis: 1_740_902_400_000, has_offset: true };
    let batch: Vec<EventRecord> = supply_chain()
        .into_iter()
        .map(|event| EventRecord::new(serialhub_epcis::hash::event_hash(&event), event))
        .collect();
    let receipt = store.capture_routed(batch, start, &routes).expect("captured");
    assert_eq!(receipt.messages.len(), CASES + 1 + EU_BATCHES + 1, "{receipt:?}");

    let transport = HttpTransport::new(store.clone(), connectors);
    let dispatcher = Dispatcher::new(
        "regimes",
        Settings {
            retry: RetryPolicy {
                base_ms: 100,
                max_ms: 2_000,
                max_attempts: 40,
                ..RetryPolicy::default()
            },
            breaker: BreakerPolicy { threshold: 4, cooldown_ms: 1_000 },
            ..Settings::default()
        },
    );
    // Each round is 5 s later: whatever was retried or deferred is due again.
    let mut now = start;
    for _ in 0..1_000 {
        dispatcher.run_once(store.as_ref(), &transport, now).expect("a round");
        if store.outbox_counts().expect("counts").pending == 0 {
            break;
        }
        now.unix_millis += 5_000;
    }
    let counts = store.outbox_counts().expect("counts");
    let all: Vec<StoredMessage> = store
        .outbox_messages(&MessageFilter { limit: 1_000, ..MessageFilter::default() })
        .expect("messages");
    assert_eq!(counts.pending, 0, "every message settled: {all:#?}");
    assert_eq!(counts.delivered + counts.failed, all.len() as u64, "none lost");

    let stats = runtime.block_on(async {
        let url = format!("http://{addr}/stats");
        tokio::task::spawn_blocking(move || {
            let mut response = ureq::get(&url).call().expect("regulator-sim answers");
            response.body_mut().read_to_string().expect("a body")
        })
        .await
        .expect("stats read")
    });
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("JSON");
    // Every delivered message was applied once at the receiver, whatever the retries.
    assert_eq!(stats["applied"].as_u64(), Some(counts.delivered), "{stats}");
    assert!(stats["received"].as_u64().unwrap_or(0) > all.len() as u64, "faults happened: {stats}");
    // Some messages were applied and their answers lost (slow, malformed): sent again, they
    // were duplicates there, not applied twice.
    assert!(stats["duplicates"].as_u64().unwrap_or(0) > 0, "{stats}");
    let failed: Vec<&StoredMessage> =
        all.iter().filter(|m| m.status == MessageStatus::Failed).collect();
    let error = |m: &StoredMessage| m.last_error.clone().unwrap_or_default();
    // Failures: refused before sending (the product without master data), or refused by the
    // receiver with a reason code; the receiver counted each of its refusals once.
    let refused_here: Vec<&&StoredMessage> =
        failed.iter().filter(|m| error(m).starts_with("rejected master_data_missing")).collect();
    assert_eq!(refused_here.len(), 1, "{failed:#?}");
    assert!(error(refused_here[0]).contains("GTIN 00312345543211"), "{}", error(refused_here[0]));
    assert_eq!(stats["rejected"].as_u64(), Some(failed.len() as u64 - 1), "{stats}");
    for m in &failed {
        let e = error(m);
        let known = [
            "rejected master_data_missing",
            "rejected po_unknown",
            "rejected product_unknown",
            "rejected serials_rejected",
        ];
        assert!(known.iter().any(|k| e.starts_with(k)), "{m:#?}");
    }
    // Both regimes got through.
    for (format, connector) in [("dscsa", "us-partner"), ("eu-hub", "eu-hub")] {
        let delivered = all
            .iter()
            .filter(|m| m.message.connector == connector && m.status == MessageStatus::Delivered)
            .count() as u64;
        assert!(delivered > 0, "{connector}: {all:#?}");
        assert_eq!(stats["formats"][format]["applied"].as_u64(), Some(delivered), "{stats}");
    }
    // The packs commissioned again: the hub had each serial whose first upload it took.
    let last = all.last().expect("messages");
    assert_eq!(last.status, MessageStatus::Failed, "{last:#?}");
    let reason = error(last);
    assert!(reason.starts_with("rejected serials_rejected: "), "{reason}");
    let first_uploads = &all[CASES + 1..CASES + 1 + 3];
    let mut taken = 0;
    for (i, first) in first_uploads.iter().enumerate() {
        if first.status == MessageStatus::Delivered {
            taken += 1;
            assert!(reason.contains(&format!("E{i}-{i} serial_duplicate")), "{reason}");
        }
    }
    assert!(taken > 0, "{first_uploads:#?}");
    drop(runtime);
    let _ = std::fs::remove_dir_all(&dir);
}
