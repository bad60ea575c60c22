//! Project automation: `cargo xtask codegen` regenerates checked-in tables, `cargo xtask tidy`
//! checks the house rules that rustc and clippy do not.

mod codegen;
mod tidy;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    match args.first().map(String::as_str) {
        Some("codegen") => codegen::run(&root, codegen::Mode::Overwrite),
        Some("tidy") => tidy::run(&root),
        _ => anyhow::bail!("usage: cargo xtask <codegen|tidy>"),
    }
}

/// The workspace root, found from this crate's manifest so the tasks work from any directory.
pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}
