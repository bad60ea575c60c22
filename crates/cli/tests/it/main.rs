//! Black-box tests of the `serialhub` binary: one test binary, one module per command family.

mod browser;
mod crash;
mod epcis;
mod gs1_parse;
mod ledger;
mod serve;
mod simulate;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `serialhub` with `args`, feeding `stdin`, and returns its output.
pub(crate) fn serialhub(args: &[&str], stdin: &[u8]) -> Output {
    serialhub_env(args, stdin, &[])
}

/// `serialhub` with extra environment variables.
pub(crate) fn serialhub_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_serialhub"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serialhub starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may exit before reading everything on a usage error; that is not a failure here.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("serialhub finishes");
    writer.join().expect("writer thread");
    output
}

/// A schema of its own on the test PostgreSQL server (`SERIALHUB_TEST_POSTGRES`, or the one
/// on this machine kind), dropped however the test ends.
pub(crate) struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    /// Creates the schema `name`, after dropping one left by an earlier run.
    pub(crate) fn new(name: &str) -> PgSchema {
        let url = std::env::var("SERIALHUB_TEST_POSTGRES")
            .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".to_owned());
        let name = format!("{name}_{}", std::process::id());
        let schema = PgSchema { url, name };
        let out = schema
            .psql(&format!("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema.name));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        schema
    }

    /// Runs `statements` in this schema, for what the command line does not offer (faults).
    pub(crate) fn sql(&self, statements: &str) {
        let out = self.psql(&format!("SET search_path TO {}; {statements}", self.name));
        assert!(out.status.success(), "{statements}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn psql(&self, statement: &str) -> Output {
        Command::new("psql")
            .args([self.url.as_str(), "-v", "ON_ERROR_STOP=1", "-qc", statement])
            .output()
            .expect("psql runs (PostgreSQL's client; .ci/run installs it)")
    }

    /// The `--postgres` URL whose search path is this schema.
    pub(crate) fn store_url(&self) -> String {
        let (url, schema) = (&self.url, &self.name);
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let joint = if url.contains('?') { '&' } else { '?' };
            format!("{url}{joint}options=-csearch_path%3D{schema}")
        } else {
            format!("{url} options=-csearch_path={schema}")
        }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Best effort, never a panic: this may run while a failed test unwinds.
        let _ = self.psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}
