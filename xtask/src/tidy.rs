//! Repository checks that run with `cargo test`: every Rust file opens with a
//! `//!` line saying what it is; no `cfg(target_arch …)` appears outside an
//! `arch/` directory (ARCHITECTURE.md, "Invariants"); cases and crates match
//! one to one, every case has its golden, and no document keeps a list of
//! them by hand; the workflows mirror the platform files.

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

/// Crates under test that no case names: used by a trial kind of their own
/// (see `conformance/src/kinds.rs`), each with the reason.
const CRATES_OF_OTHER_TRIAL_KINDS: [(&str, &str); 0] = [];

/// Staticlib crates under `crates-under-test/`: the crates a case can run.
fn case_crates() -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(crate::project_root().join("crates-under-test")).unwrap() {
        let path = entry.unwrap().path();
        let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap_or_default();
        if manifest.contains("crate-type = [\"staticlib\"]") {
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

fn cases() -> Vec<conformance::case::Case> {
    conformance::case::Case::load_all(&crate::project_root().join("conformance/cases")).unwrap()
}

#[test]
fn every_case_names_a_crate_that_exists() {
    let crates = case_crates();
    for case in cases() {
        let Some(name) = &case.crate_name else {
            assert_eq!(case.start, conformance::case::Start::Artifacts, "case `{}` names no crate", case.name);
            continue;
        };
        assert!(
            crates.contains(name),
            "case `{}` names crate `{name}`, which is not under crates-under-test/",
            case.name
        );
    }
}

#[test]
fn every_crate_has_a_case() {
    let cases = cases();
    let orphans: Vec<String> = case_crates()
        .into_iter()
        .filter(|name| !cases.iter().any(|c| c.crate_name.as_deref() == Some(name)))
        .filter(|name| !CRATES_OF_OTHER_TRIAL_KINDS.iter().any(|(crate_name, _)| crate_name == name))
        .collect();
    assert!(
        orphans.is_empty(),
        "these crates under test have no case (add one with `cargo xtask new-case`, or list the crate in \
         CRATES_OF_OTHER_TRIAL_KINDS with the trial kind that uses it): {}",
        orphans.join(", ")
    );
}

#[test]
fn every_case_has_a_golden() {
    use conformance::case::Start;
    let missing: Vec<String> = cases()
        .into_iter()
        // The model is the scenario kinds' golden.
        .filter(|case| !matches!(case.start, Start::Scenarios | Start::Scenario))
        .flat_map(|case| {
            let mut goldens = vec![case.dir.join("expected.txt")];
            goldens.extend(case.platform_goldens.keys().map(|p| case.dir.join(format!("expected.{p}.txt"))));
            goldens.into_iter().filter(|g| !g.is_file()).map(|g| g.display().to_string()).collect::<Vec<_>>()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "missing goldens (run the case, read what it printed, then `cargo xtask bless`):\n{}",
        missing.join("\n")
    );
}

/// ARCHITECTURE.md names files and types, not every case: a list kept by
/// hand goes stale with the next case.
#[test]
fn architecture_keeps_no_list_of_the_cases() {
    let root = crate::project_root();
    let names: Vec<String> = cases().into_iter().map(|c| format!("`{}`", c.name)).collect();
    for doc in ["ARCHITECTURE.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for line in text.lines() {
            let n = names.iter().filter(|name| line.contains(name.as_str())).count();
            assert!(
                n <= 3,
                "{doc} lists {n} cases on one line; the cases are conformance/cases/, say so instead:\n{line}"
            );
        }
    }
}

#[test]
fn workflows_mirror_the_platform_files() {
    let root = crate::project_root();
    let reusable = std::fs::read_to_string(root.join(".github/workflows/conformance-suite.yml")).unwrap();
    for platform in conformance::platform::Platform::load_all(&root.join("platforms")).unwrap() {
        let packages = platform.debian_packages.join(" ");
        let entry = format!("{}) echo \"{packages}\" ;;", platform.name);
        assert!(
            reusable.contains(&entry),
            "conformance-suite.yml must install the packages of platforms/{}.toml with the line:\n{entry}",
            platform.name
        );
    }
    assert!(reusable.contains("workflow_call:"), "conformance-suite.yml must be a reusable workflow");
    let own = std::fs::read_to_string(root.join(".github/workflows/conformance.yml")).unwrap();
    assert!(
        own.contains("uses: ./.github/workflows/conformance-suite.yml"),
        "this repository must use the reusable workflow"
    );
    let example = std::fs::read_to_string(root.join("examples/c-runtime/.github/workflows/conformance.yml")).unwrap();
    assert!(
        example.contains("/.github/workflows/conformance-suite.yml@"),
        "the example must call the reusable workflow"
    );
}
