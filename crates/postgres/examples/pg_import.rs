//! Measures capture throughput into PostgreSQL: rounds of synthetic commissioning, packing and
//! shipping batches, each captured as one job, printed as EPC transitions per second (one
//! transition per EPC an event names).
//!
//! `cargo run --release -p serialhub-postgres --example pg_import -- [rounds] [events]`
//! against `SERIALHUB_TEST_POSTGRES` (default: the local test database), in a schema of its
//! own that is dropped at the end.

#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use std::time::Instant;

use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Event, EventType};
use serialhub_postgres::PgStore;
use serialhub_store::{EventRecord, Store};

/// EPCs per commissioning or packing event, and cases per shipment.
const FAN_OUT: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let events: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10_000);
    let url = std::env::var("SERIALHUB_TEST_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".to_owned());
    let schema = format!("bench_{:016x}", getrandom::u64().map_err(|e| e.to_string())?);
    let store = PgStore::connect_schema(&url, &schema)?;
    let result = run(&store, rounds, events);
    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
    client.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))?;
    result
}

fn run(store: &PgStore, rounds: usize, events: usize) -> Result<(), Box<dyn std::error::Error>> {
    let now = Timestamp::parse("2025-06-01T00:00:00Z").ok_or("a timestamp")?;
    let mut next_hash = 0usize;
    let mut record = |event: Event| {
        next_hash += 1;
        EventRecord::new(format!("ni:///sha-256;{next_hash:064x}?ver=CBV2.0"), event)
    };
    println!("phase          events   EPCs     statements  seconds  EPC transitions/s");
    let mut total = (0usize, 0f64);
    for round in 0..rounds {
        let unit =
            |n: usize| format!("urn:epc:id:sgtin:4012345.011111.{}", round * events * FAN_OUT + n);
        let case = |n: usize| format!("urn:epc:id:sscc:4012345.{:010}", round * events + n);
        let units = |e: usize| (0..FAN_OUT).map(|i| unit(e * FAN_OUT + i)).collect::<Vec<_>>();
        let commissioning: Vec<EventRecord> = (0..events)
            .map(|e| {
                let mut event = base(EventType::ObjectEvent, round, 0, units(e));
                event.action = Some(Action::Add);
                event.biz_step = Some("commissioning".to_owned());
                record(event)
            })
            .collect();
        let packing: Vec<EventRecord> = (0..events)
            .map(|e| {
                let mut event = base(EventType::AggregationEvent, round, 1, units(e));
                event.action = Some(Action::Add);
                event.biz_step = Some("packing".to_owned());
                event.parent_id = Some(case(e));
                record(event)
            })
            .collect();
        let shipping: Vec<EventRecord> = (0..events / FAN_OUT)
            .map(|s| {
                let cases = (0..FAN_OUT).map(|i| case(s * FAN_OUT + i)).collect();
                let mut event = base(EventType::ObjectEvent, round, 2, cases);
                event.action = Some(Action::Observe);
                event.biz_step = Some("shipping".to_owned());
                record(event)
            })
            .collect();
        for (phase, batch) in [("commission", commissioning), ("pack", packing), ("ship", shipping)]
        {
            let n_events = batch.len();
            let n_epcs: usize = batch.iter().map(|r| r.keys.len()).sum();
            let queries = store.queries();
            let started = Instant::now();
            let receipt = store.capture(batch, now)?;
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(receipt.stored.len(), n_events, "every event is new");
            let statements = store.queries() - queries;
            total = (total.0 + n_epcs, total.1 + seconds);
            println!(
                "{phase:<10} r{round} {n_events:>7} {n_epcs:>8} {statements:>8} {seconds:>12.3} {:>12.0}",
                n_epcs as f64 / seconds
            );
        }
    }
    println!(
        "total {} EPC transitions in {:.2} s: {:.0}/s",
        total.0,
        total.1,
        total.0 as f64 / total.1
    );
    Ok(())
}

fn base(event_type: EventType, round: usize, step: usize, epcs: Vec<String>) -> Event {
    let hour = round * 3 + step;
    Event {
        event_type: Some(event_type),
        event_time: format!("2025-01-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24),
        event_time_zone_offset: "+00:00".to_owned(),
        epc_list: epcs,
        ..Event::default()
    }
}
