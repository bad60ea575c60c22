//! Benchmarks of every parser and formatter on realistic pharma codes: `cargo bench -p serialhub-gs1`.
//!
//! Each benchmark runs over a batch of distinct generated codes, so branch predictors and caches
//! see varied input as in production; throughput is reported in codes per second.

use divan::{Bencher, black_box, counter::ItemsCount};
use serialhub_gs1::{AiData, Options};

fn main() {
    divan::main();
}

const BATCH: usize = 1024;

/// GTIN-14s with valid check digits.
fn gtins() -> Vec<String> {
    (0..BATCH)
        .map(|i| {
            let body =
                format!("{:013}", 9_506_000_134_350u64 + (i as u64) * 7919 % 1_000_000_000_000);
            let check = serialhub_gs1::lint::gs1_check_digit(body.as_bytes()).expect("digits");
            format!("{body}{check}")
        })
        .collect()
}

fn serial(i: usize) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz";
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..12)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(CHARS[(x % CHARS.len() as u64) as usize])
        })
        .collect()
}

/// DataMatrix scan data as a reader sends it: GTIN, expiry, lot, serial.
fn scans() -> Vec<String> {
    gtins()
        .iter()
        .enumerate()
        .map(|(i, g)| {
            format!(
                "]d201{g}17{:02}{:02}2810LOT{:05}\u{1d}21{}",
                26 + i % 4,
                1 + i % 12,
                i,
                serial(i)
            )
        })
        .collect()
}

fn bracketed() -> Vec<String> {
    gtins()
        .iter()
        .enumerate()
        .map(|(i, g)| format!("(01){g}(17)271231(10)LOT{i:05}(21){}", serial(i)))
        .collect()
}

fn digital_links() -> Vec<String> {
    gtins()
        .iter()
        .enumerate()
        .map(|(i, g)| format!("https://id.gs1.org/01/{g}/10/LOT{i:05}/21/{}?17=271231", serial(i)))
        .collect()
}

fn epcs() -> Vec<String> {
    (0..BATCH).map(|i| format!("urn:epc:id:sgtin:9506000.0{:05}.{}", i, serial(i))).collect()
}

fn parse_batch(bencher: Bencher, inputs: Vec<String>) {
    let opts = Options::default();
    let mut data = AiData::default();
    for input in &inputs {
        serialhub_gs1::parse_into(&mut data, input, &opts)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"));
    }
    bencher.counter(ItemsCount::new(inputs.len())).bench_local(|| {
        for input in &inputs {
            let _ = black_box(serialhub_gs1::parse_into(&mut data, black_box(input), &opts));
        }
    });
}

/// The physical floor for any parser that keeps its values: read every byte once, find the
/// separators and copy the data out, with no validation at all.
#[divan::bench]
fn baseline_split_and_copy(bencher: Bencher) {
    let inputs = scans();
    let mut out = String::new();
    bencher.counter(ItemsCount::new(inputs.len())).bench_local(|| {
        for input in &inputs {
            out.clear();
            for part in black_box(input).split('\u{1d}') {
                out.push_str(part);
            }
            black_box(&out);
        }
    });
}

#[divan::bench]
fn parse_scan_data(bencher: Bencher) {
    parse_batch(bencher, scans());
}

#[divan::bench]
fn parse_bracketed(bencher: Bencher) {
    parse_batch(bencher, bracketed());
}

#[divan::bench]
fn parse_unbracketed(bencher: Bencher) {
    parse_batch(
        bencher,
        scans().iter().map(|s| format!("^{}", s[3..].replace('\u{1d}', "^"))).collect(),
    );
}

#[divan::bench]
fn parse_digital_link(bencher: Bencher) {
    parse_batch(bencher, digital_links());
}

#[divan::bench]
fn parse_epc_uri(bencher: Bencher) {
    parse_batch(bencher, epcs());
}

fn parsed(inputs: &[String]) -> Vec<AiData> {
    let opts = Options::default();
    inputs.iter().map(|s| serialhub_gs1::parse(s, &opts).expect("valid").0).collect()
}

#[divan::bench]
fn format_bracketed(bencher: Bencher) {
    let data = parsed(&scans());
    let mut out = String::new();
    bencher.counter(ItemsCount::new(data.len())).bench_local(|| {
        for d in &data {
            out.clear();
            d.write_bracketed(&mut out);
            black_box(&out);
        }
    });
}

#[divan::bench]
fn format_scan_data(bencher: Bencher) {
    let data = parsed(&scans());
    let mut out = String::new();
    bencher.counter(ItemsCount::new(data.len())).bench_local(|| {
        for d in &data {
            out.clear();
            out.push_str("]d2");
            d.write_element_string("\u{1d}", &mut out);
            black_box(&out);
        }
    });
}

#[divan::bench]
fn format_digital_link(bencher: Bencher) {
    let data = parsed(&scans());
    let opts = Options::default();
    let mut out = String::new();
    bencher.counter(ItemsCount::new(data.len())).bench_local(|| {
        for d in &data {
            out.clear();
            let _ = serialhub_gs1::digital_link::format_digital_link(
                d,
                "https://id.gs1.org",
                &opts,
                &mut out,
            );
            black_box(&out);
        }
    });
}

#[divan::bench]
fn format_epc_uri(bencher: Bencher) {
    let data = parsed(&scans());
    bencher.counter(ItemsCount::new(data.len())).bench_local(|| {
        for d in &data {
            let pairs: Vec<(&str, &str)> =
                d.elements().iter().map(|e| (e.ai_str(), d.value(e))).collect();
            black_box(serialhub_gs1::epc::format_epc_uri(&pairs, 7).ok());
        }
    });
}

#[divan::bench]
fn canonical_digital_link(bencher: Bencher) {
    let inputs = epcs();
    bencher.counter(ItemsCount::new(inputs.len())).bench_local(|| {
        for input in &inputs {
            black_box(serialhub_gs1::canonical_digital_link(black_box(input)));
        }
    });
}

#[divan::bench]
fn parse_ndc_to_gtin(bencher: Bencher) {
    let ndcs: Vec<String> = (0..BATCH)
        .map(|i| format!("{:05}-{:04}-{:02}", 10_000 + i * 7, i % 10_000, i % 100))
        .collect();
    bencher.counter(ItemsCount::new(ndcs.len())).bench_local(|| {
        for ndc in &ndcs {
            let parsed = serialhub_gs1::ndc::Ndc::parse(black_box(ndc)).ok();
            black_box(parsed.map(|n| n.to_gtin(0)));
        }
    });
}

#[divan::bench]
fn parse_gtin_key(bencher: Bencher) {
    let inputs = gtins();
    bencher.counter(ItemsCount::new(inputs.len())).bench_local(|| {
        for gtin in &inputs {
            black_box(serialhub_gs1::Gtin::parse(black_box(gtin)).ok());
        }
    });
}
