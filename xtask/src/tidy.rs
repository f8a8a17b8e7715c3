//! Repository checks that run with `cargo test`: every Rust file opens with a
//! `//!` line saying what it is, and no `cfg(target_arch …)` appears outside
//! an `arch/` directory (ARCHITECTURE.md, "Invariants").

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&crate::project_root(), &mut files);
    files.sort();
    files
}

#[test]
fn every_rust_file_opens_with_a_doc_line() {
    let missing: Vec<String> = all_rust_files()
        .into_iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap().starts_with("//!"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "these files do not open with a `//!` line:\n{}", missing.join("\n"));
}

#[test]
fn target_arch_only_in_arch_directories() {
    let offenders: Vec<String> = all_rust_files()
        .into_iter()
        .filter(|path| !path.components().any(|c| c.as_os_str() == "arch") && !path.ends_with("tidy.rs"))
        .filter(|path| std::fs::read_to_string(path).unwrap().contains("target_arch"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "`target_arch` outside an arch/ directory:\n{}", offenders.join("\n"));
}

#[test]
fn workflow_mirrors_the_platform_files() {
    let root = crate::project_root();
    let workflow = std::fs::read_to_string(root.join(".github/workflows/conformance.yml")).unwrap();
    for platform in conformance::platform::Platform::load_all(&root.join("platforms")).unwrap() {
        let job =
            format!("- platform: {}\n            packages: {}\n", platform.name, platform.debian_packages.join(" "));
        assert!(
            workflow.contains(&job),
            "the workflow's matrix entry for {} must read:\n{job}(its packages are those of platforms/{}.toml)",
            platform.name,
            platform.name
        );
    }
    assert!(workflow.contains("run: cargo xtask test --target ${{ matrix.platform }}"));
    assert!(workflow.contains("run: cargo xtask fixtures --target ${{ matrix.platform }}"));
}
