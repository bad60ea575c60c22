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
