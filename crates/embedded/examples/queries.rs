//! Query benchmark on an embedded store filled by `serialhub import`: state lookups per second
//! and the latency of a pedigree, on identifiers taken from the imported documents, beside the
//! same lookups in a bare `HashMap` (the in-memory floor) in the same run.
//!
//! usage: cargo run --release -p serialhub-embedded --example queries -- DATA_DIR DOCS_DIR

#![allow(clippy::print_stdout, clippy::disallowed_methods, clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use serialhub_core::Key;
use serialhub_embedded::EmbeddedStore;
use serialhub_store::{Store, query};

/// The allocator of the `serialhub` binary, so that the figures are those of what ships: under
/// glibc's malloc, after the open has allocated and freed a million records, half of a
/// pedigree's time went to `_int_malloc` and its free-list consolidation (`perf`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, docs) = (Path::new(&args[1]), Path::new(&args[2]));
    let started = Instant::now();
    let store = EmbeddedStore::open(data).expect("the store opens");
    let open_secs = started.elapsed().as_secs_f64();
    println!(
        "open: {:.2} s ({} events, {} records, journal {} MB)",
        open_secs,
        store.open_report().events,
        store.record_count().unwrap(),
        store.open_report().journal_bytes / 1_000_000
    );

    // Up to 200,000 identifiers named by the documents' commissioning events.
    let mut keys: Vec<Key> = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(docs).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "jsonld")) {
        let doc = serialhub_epcis::read_document(&std::fs::read(file).unwrap()).unwrap();
        for event in doc.document.events {
            if event.biz_step.as_deref() == Some("commissioning") {
                keys.extend(event.epc_list.iter().map(|e| Key::new(e)));
            }
        }
        if keys.len() >= 200_000 {
            break;
        }
    }
    // A fixed shuffle, so every run reads the same sequence.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..keys.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        keys.swap(i, (x % (i as u64 + 1)) as usize);
    }

    let lookups = 1_000_000;
    let started = Instant::now();
    let mut found = 0usize;
    for i in 0..lookups {
        found += usize::from(store.state(&keys[i % keys.len()]).unwrap().is_some());
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(found, lookups, "every commissioned identifier has a record");
    println!("state lookups: {:.0}/s ({lookups} lookups, {:.2} s)", lookups as f64 / secs, secs);

    // The floor: the same keys in a bare hash map of records of a similar size.
    let map: HashMap<Key, [u64; 8]> = keys.iter().map(|k| (k.clone(), [0; 8])).collect();
    let started = Instant::now();
    let mut sum = 0u64;
    for i in 0..lookups {
        sum += map[&keys[i % keys.len()]][0] + 1;
    }
    let secs_map = started.elapsed().as_secs_f64();
    assert_eq!(sum, lookups as u64);
    println!(
        "peer, bare HashMap get: {:.0}/s (serialhub at {:.0}% of it)",
        lookups as f64 / secs_map,
        100.0 * secs_map / secs
    );

    let samples = 10_000.min(keys.len());
    let mut latencies: Vec<f64> = Vec::with_capacity(samples);
    let mut steps = 0usize;
    for key in &keys[..samples] {
        let started = Instant::now();
        let pedigree = query::pedigree(&store, key).unwrap();
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
        steps += pedigree.len();
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "pedigree: median {:.0} us, p99 {:.0} us, max {:.0} us ({samples} serials, {:.1} steps each)",
        at(0.5),
        at(0.99),
        at(1.0),
        steps as f64 / samples as f64
    );
    std::mem::forget(store);
}
