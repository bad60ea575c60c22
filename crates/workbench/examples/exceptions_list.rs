//! Listing exceptions with filters over one million of them: the workbench's in-memory rows
//! against PostgreSQL holding the same rows with an index on every filtered column (the way a
//! database-backed workbench would answer), in the same run.
//!
//! `cargo run --release -p serialhub-workbench --example exceptions_list -- [N] [POSTGRES_URL]`
//! (N defaults to 1,000,000; without a URL, or when it cannot be reached, only the workbench
//! is measured). Each query: the first page of 100 rows as JSON and the total count, the
//! median of 21 runs.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::disallowed_methods)]

use std::time::Instant;

use serialhub_core::ExceptionType;
use serialhub_store::audit::{AuditDraft, AuditEntry, AuditLog};
use serialhub_workbench::cause::Suggestion;
use serialhub_workbench::{
    Department, ExceptionRef, ListFilter, RootCause, Sla, Status, Workbench,
};

const CAUSES: [RootCause; 6] = [
    RootCause::MasterDataMismatch,
    RootCause::PackDataNotUploaded,
    RootCause::AggregationError,
    RootCause::Duplicate,
    RootCause::PartnerOutage,
    RootCause::Unknown,
];

/// A deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

struct Generated {
    bench: Workbench,
    /// (id, type, status, owner, cause, partner, raised_at) for the database.
    rows: Vec<(i64, String, String, String, String, String, i64)>,
}

fn generate(n: usize) -> Generated {
    let mut bench = Workbench::new(Sla::default());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut rows = Vec::with_capacity(n);
    let t0 = 1_750_000_000_000i64;
    for i in 0..n {
        let t = ExceptionType::ALL[rng.below(12) as usize];
        let cause = CAUSES[rng.below(6) as usize];
        let partner = format!("40987650{:05}", rng.below(200));
        let scope = format!("0031234567{:04}", rng.below(500));
        let id = ExceptionRef::Message { id: i as u64 + 1 };
        let at = t0 + i as i64 * 1_000;
        let suggestion = Suggestion { cause, scope, evidence: String::new() };
        bench.raise(id, t, "rejected", &suggestion, Some(&partner), None, at);
        rows.push((
            i as i64 + 1,
            t.code().to_owned(),
            String::new(),
            String::new(),
            cause.name().to_owned(),
            partner,
            at,
        ));
    }
    // A tenth of them acted on: investigated, closed, or reassigned.
    let mut log = AuditLog::default();
    let mut drafts = Vec::new();
    for i in (0..n).step_by(10) {
        let (status, closure) = match rng.below(3) {
            0 => ("investigating", None),
            1 => ("closed", Some("voided")),
            _ => ("awaiting_partner", None),
        };
        let mut after = serde_json::json!({ "status": status, "owner": "it" });
        if let Some(c) = closure {
            after["closure"] = c.into();
        }
        drafts.push(AuditDraft {
            at: serialhub_epcis::time::Timestamp {
                unix_millis: t0 + n as i64 * 1_000,
                has_offset: true,
            },
            actor: "bench".to_owned(),
            action: "bench".to_owned(),
            targets: vec![format!("m{}", i + 1)],
            reason: "bench".to_owned(),
            before: "{}".to_owned(),
            after: after.to_string(),
        });
    }
    let entries: Vec<AuditEntry> = log.link(drafts);
    for e in &entries {
        bench.apply(e);
    }
    log.push(entries);
    for row in &mut rows {
        let r = bench.row(ExceptionRef::Message { id: row.0 as u64 }).unwrap();
        row.2 = r.status.name().to_owned();
        row.3 = r.owner.name().to_owned();
    }
    Generated { bench, rows }
}

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn time_ms(mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut total = 0;
    let runs = (0..21)
        .map(|_| {
            let start = Instant::now();
            total = run();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    (median(runs), total)
}

struct Query {
    name: &'static str,
    filter: ListFilter,
    sql: &'static str,
    params: Vec<String>,
}

fn queries() -> Vec<Query> {
    vec![
        Query {
            name: "all, first page",
            filter: ListFilter::default(),
            sql: "TRUE",
            params: vec![],
        },
        Query {
            name: "type=F10&status=new",
            filter: ListFilter {
                types: vec![ExceptionType::RegulatorRejection],
                statuses: vec![Status::New],
                ..ListFilter::default()
            },
            sql: "type = $1 AND status = $2",
            params: vec!["F10".into(), "new".into()],
        },
        Query {
            name: "open&owner=it&rootCause=partner_outage",
            filter: ListFilter {
                open: Some(true),
                owners: vec![Department::It],
                causes: vec![RootCause::PartnerOutage],
                ..ListFilter::default()
            },
            sql: "status <> 'closed' AND owner = $1 AND cause = $2",
            params: vec!["it".into(), "partner_outage".into()],
        },
        Query {
            name: "partner=4098765000042&type=F5",
            filter: ListFilter {
                partner: Some("4098765000042".into()),
                types: vec![ExceptionType::MasterData],
                ..ListFilter::default()
            },
            sql: "partner = $1 AND type = $2",
            params: vec!["4098765000042".into(), "F5".into()],
        },
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let start = Instant::now();
    let generated = generate(n);
    println!("{n} exceptions generated and folded in {:.1} s", start.elapsed().as_secs_f64());
    let now = 1_750_000_000_000 + n as i64 * 2_000;
    let mut db = args.get(2).and_then(|url| postgres::Client::connect(url, postgres::NoTls).ok());
    if let Some(client) = db.as_mut() {
        load(client, &generated.rows);
    }
    println!("| query | workbench (ms) | matches | PostgreSQL, indexed (ms) | ratio |");
    println!("|---|---|---|---|---|");
    for q in queries() {
        let (ms, total) = time_ms(|| {
            let page = generated.bench.list(&q.filter, None, 100);
            let rows: Vec<_> = page.rows.iter().map(|r| generated.bench.row_json(r, now)).collect();
            std::hint::black_box(serde_json::to_string(&rows).unwrap());
            page.total
        });
        let pg = db.as_mut().map(|client| {
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                q.params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
            let page_sql = format!("SELECT row_to_json(x)::text FROM (SELECT * FROM bench_exceptions WHERE {} ORDER BY id LIMIT 100) x", q.sql);
            let count_sql = format!("SELECT count(*) FROM bench_exceptions WHERE {}", q.sql);
            time_ms(|| {
                let rows = client.query(&page_sql, &params).unwrap();
                let count: i64 = client.query_one(&count_sql, &params).unwrap().get(0);
                std::hint::black_box(rows);
                usize::try_from(count).unwrap()
            })
        });
        match pg {
            Some((pg_ms, pg_total)) => {
                assert_eq!(pg_total, total, "{}: both see the same rows", q.name);
                println!("| {} | {ms:.2} | {total} | {pg_ms:.2} | {:.1}x |", q.name, pg_ms / ms);
            }
            None => println!("| {} | {ms:.2} | {total} | - | - |", q.name),
        }
    }
}

/// The same rows in a table with an index on each filtered column and on the paging order.
fn load(
    client: &mut postgres::Client,
    rows: &[(i64, String, String, String, String, String, i64)],
) {
    client
        .batch_execute(
            "DROP TABLE IF EXISTS bench_exceptions; CREATE UNLOGGED TABLE bench_exceptions (
                id bigint PRIMARY KEY, type text, status text, owner text, cause text,
                partner text, raised_at bigint)",
        )
        .unwrap();
    let mut copy = client.copy_in("COPY bench_exceptions FROM STDIN").unwrap();
    let mut buf = String::new();
    for (i, r) in rows.iter().enumerate() {
        buf.push_str(&format!("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r.0, r.1, r.2, r.3, r.4, r.5, r.6));
        if i % 100_000 == 0 {
            std::io::Write::write_all(&mut copy, buf.as_bytes()).unwrap();
            buf.clear();
        }
    }
    std::io::Write::write_all(&mut copy, buf.as_bytes()).unwrap();
    copy.finish().unwrap();
    client
        .batch_execute(
            "CREATE INDEX ON bench_exceptions (type, status, id);
             CREATE INDEX ON bench_exceptions (owner, cause, id);
             CREATE INDEX ON bench_exceptions (partner, type, id);
             CREATE INDEX ON bench_exceptions (status, id);
             ANALYZE bench_exceptions",
        )
        .unwrap();
}
