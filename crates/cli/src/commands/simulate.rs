//! `serialhub simulate`: writes a simulated supply chain (`serialhub-sim`) as EPCIS JSON-LD
//! documents, `NNNNNN.jsonld` in order, and the ground truth of injected faults as
//! `faults.jsonl`. Documents are written as they are generated, so any size runs in the
//! simulator's bounded memory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serialhub_sim::{Config, Simulation};

use crate::clock::Stopwatch;

/// `serialhub simulate`.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// The seed: the same seed and options write the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many packs the packaging lines commission.
    #[arg(long)]
    packs: u64,
    /// The probability (0 to 1) of injecting a fault at each opportunity; every kind of fault
    /// appears at least once in a large enough run when above 0.
    #[arg(long, default_value_t = 0.0)]
    faults: f64,
    /// The most events per document.
    #[arg(long, default_value_t = 10_000)]
    events_per_document: usize,
    /// The output folder (created if absent; existing documents of the same names are
    /// overwritten).
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn simulate(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.faults) {
        anyhow::bail!("--faults {}: expected a rate from 0 to 1", args.faults);
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("could not create {}", args.out.display()))?;
    let faults_path = args.out.join("faults.jsonl");
    let mut faults = std::io::BufWriter::new(
        std::fs::File::create(&faults_path)
            .with_context(|| format!("could not create {}", faults_path.display()))?,
    );
    let mut simulation = Simulation::new(Config {
        seed: args.seed,
        packs: args.packs,
        fault_rate: args.faults,
        events_per_document: args.events_per_document,
    });
    let progress = indicatif::ProgressBar::new(args.packs);
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} packs {msg}",
        )
        .context("progress template")?
        .progress_chars("=> "),
    );
    let started = Stopwatch::start();
    let mut bytes = 0u64;
    while let Some(document) = simulation.next_document() {
        let n = simulation.stats().documents;
        let path = args.out.join(format!("{n:06}.jsonld"));
        let json = serialhub_epcis::json::write::to_json_ld(&document);
        bytes += json.len() as u64;
        std::fs::write(&path, &json)
            .with_context(|| format!("could not write {}", path.display()))?;
        for fault in simulation.drain_faults() {
            faults.write_all(fault.to_json_line().as_bytes())?;
            faults.write_all(b"\n")?;
        }
        progress.set_position(simulation.stats().packs.min(args.packs));
    }
    faults.flush().with_context(|| format!("could not write {}", faults_path.display()))?;
    progress.finish_and_clear();
    let stats = simulation.stats();
    let summary = format!(
        "packs: {}\nevents: {}\nEPCs: {}\ndocuments: {} ({} bytes)\nfaults: {} (in {})\ntime: {:.2} s\n",
        stats.packs,
        stats.events,
        stats.epcs,
        stats.documents,
        bytes,
        stats.faults,
        faults_path.display(),
        started.secs()
    );
    std::io::stdout().lock().write_all(summary.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
