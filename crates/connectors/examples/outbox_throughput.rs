//! Outbox throughput on loopback: `cargo run --release -p serialhub-connectors --example
//! outbox_throughput -- [MESSAGES] [CONCURRENCY]`.
//!
//! Captures MESSAGES shipping events into a fresh embedded store with a `webhook` connector
//! routing them (one message each, written in the capture's commit), then lets a dispatcher
//! deliver them to an in-process `regulator-sim` (no faults). Beside it, in the same run, the
//! peer: the same number of POSTs of the same bodies straight to `regulator-sim` from as many
//! threads, with no store, no claims and no settlements: the floor of this HTTP path.

#![allow(clippy::print_stdout)]
// A benchmark measures wall time.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Instant;

use serialhub_connectors::route::Routes;
use serialhub_connectors::transport::HttpTransport;
use serialhub_connectors::{Connector, Kind};
use serialhub_dispatch::Dispatcher;
use serialhub_dispatch::dispatcher::Settings;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Event, EventType, SourceDest};
use serialhub_store::outbox::MessageFilter;
use serialhub_store::{EventRecord, Store};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);

    // regulator-sim, in process, on a free port.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a port");
    let addr = listener.local_addr().expect("an address");
    let settings = serialhub_regsim::Settings { fault_rate: 0.0, seed: 1, latency_ms: 0 };
    runtime.spawn(serialhub_regsim::serve(listener, settings));
    let url = format!("http://{addr}/messages");

    let dir = std::env::temp_dir().join(format!("serialhub-outbox-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn Store> =
        Arc::new(serialhub_embedded::EmbeddedStore::open(&dir).expect("a store"));
    let connector = Connector {
        name: "partner".to_owned(),
        kind: Kind::Webhook,
        url: url.clone(),
        parties: Vec::new(),
        secret: Some("a shared secret".to_owned()),
        timeout_ms: 10_000,
        sender: None,
        market: None,
        gtins: Vec::new(),
    };
    let routes = Routes::new(vec![connector.clone()]);
    let now = Timestamp { unix_millis: 1_764_000_000_000, has_offset: true };
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let batch: Vec<EventRecord> = chunk
            .iter()
            .map(|i| {
                let event = Event {
                    event_type: Some(EventType::ObjectEvent),
                    event_time: "2025-11-24T08:00:00Z".to_owned(),
                    event_time_zone_offset: "+00:00".to_owned(),
                    epc_list: vec![format!("urn:epc:id:sgtin:4012345.011111.{i}")],
                    action: Some(Action::Observe),
                    biz_step: Some("shipping".to_owned()),
                    // One party per message: a claim takes one message per ordering key.
                    destination_list: vec![SourceDest {
                        type_: "owning_party".to_owned(),
                        value: format!("urn:epc:id:pgln:4012345.{:05}", i % 100_000),
                    }],
                    ..Event::default()
                };
                EventRecord::new(serialhub_epcis::hash::event_hash(&event), event)
            })
            .collect();
        store.capture_routed(batch, now, &routes).expect("captured");
    }
    let captured = started.elapsed().as_secs_f64();

    let transport = HttpTransport::new(store.clone(), vec![connector]);
    let dispatcher =
        Dispatcher::new("bench", Settings { batch: 1_000, concurrency, ..Settings::default() });
    let started = Instant::now();
    loop {
        let round = dispatcher.run_once(store.as_ref(), &transport, now).expect("a round");
        if round.claimed == 0 {
            break;
        }
    }
    let dispatched = started.elapsed().as_secs_f64();
    let counts = store.outbox_counts().expect("counts");
    assert_eq!(counts.delivered as usize, n, "{counts:?}");

    // The peer: the same bodies, POSTed straight to the receiver from as many threads.
    let sample = store
        .outbox_messages(&MessageFilter { limit: 1, ..Default::default() })
        .expect("a message");
    let hash = std::str::from_utf8(&sample[0].message.payload).expect("a hash ID").to_owned();
    let event = store.events_by_id(&hash).expect("the event")[0].record.event.clone();
    let document: serde_json::Value =
        serde_json::from_slice(&serialhub_store::stored_json(&event)).expect("JSON-LD");
    let body = serde_json::json!({
        "messageId": sample[0].message.idempotency_key,
        "connector": "partner",
        "destination": sample[0].message.destination,
        "document": document,
    })
    .to_string()
    .into_bytes();
    let size = body.len();
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..concurrency {
            let (agent, url, body) = (&agent, &url, &body);
            scope.spawn(move || {
                for i in (t..n).step_by(concurrency) {
                    let response = agent
                        .post(url)
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", &format!("peer-{i}"))
                        .send(&body[..])
                        .expect("an answer");
                    assert_eq!(response.status(), 200);
                }
            });
        }
    });
    let peer = started.elapsed().as_secs_f64();
    println!(
        "messages: {n}, concurrency: {concurrency}, body {size} bytes (the event's JSON-LD in a JSON envelope)"
    );
    println!(
        "capture with routing: {captured:.2} s ({:.0} messages/s written)",
        n as f64 / captured
    );
    println!("outbox dispatch: {dispatched:.2} s, {:.0} messages/s", n as f64 / dispatched);
    println!("peer, bare POSTs: {peer:.2} s, {:.0} requests/s", n as f64 / peer);
    println!("dispatch / peer: {:.0}%", 100.0 * peer / dispatched);
    let _ = std::fs::remove_dir_all(&dir);
}
