//! House rules that the compiler does not check: every Rust file opens with a `//!` line, and
//! the pure crates depend on no IO crates.

use std::path::Path;

use anyhow::bail;

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    check_module_docs(root, &mut problems)?;
    if !problems.is_empty() {
        bail!("tidy found {} problem(s):\n{}", problems.len(), problems.join("\n"));
    }
    Ok(())
}

fn check_module_docs(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let mut stack = vec![root.join("crates"), root.join("xtask"), root.join("fuzz")];
    while let Some(dir) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        for entry in read {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)?;
                if !text.trim_start().starts_with("//!") {
                    problems.push(format!(
                        "{}: must open with a `//!` line saying what it is for",
                        path.display()
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rust_file_opens_with_a_module_doc() {
        super::run(&crate::project_root()).expect("tidy passes");
    }
}
