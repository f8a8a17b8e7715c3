//! `cargo xtask new-case NAME`: scaffolds a case and its crate, the two
//! halves the tidy tests require of every case:
//!
//! - `conformance/cases/NAME/case.toml` (strict settings, naming the crate);
//! - `crates-under-test/NAME/` (`Cargo.toml`, `src/lib.rs` with `crate_main!`).
//!
//! No golden is written: the case fails ("the golden … is missing", with
//! what the run printed) until its output has been read and blessed, and
//! the tidy test `every_case_has_a_golden` says so meanwhile.

use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use xshell::Shell;

#[derive(Args, Debug)]
pub struct NewCase {
    /// The case's name, also its crate's: lowercase letters, digits and `-`
    pub name: String,
    /// How the case starts its crate
    #[arg(long, value_name = "exec|host", default_value = "exec")]
    pub start: String,
    /// Capabilities the case needs (stacks, procs, messages, vecs, ticks)
    #[arg(long, value_delimiter = ',')]
    pub needs: Vec<String>,
}

impl NewCase {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let written = scaffold(&sh.current_dir(), &self)?;
        for path in &written {
            eprintln!("xtask: wrote {path}");
        }
        eprintln!(
            "xtask: next: write the crate, run it with `cargo xtask test --target linux-x86_64 -- --exact linux-x86_64/{0}`, \
             read what it printed, then `cargo xtask bless --target all -- --exact linux-x86_64/{0}` (and the other platforms)",
            self.name
        );
        Ok(())
    }
}

/// Writes the case and crate files under `root`; returns their paths.
pub fn scaffold(root: &Path, new: &NewCase) -> anyhow::Result<Vec<String>> {
    let name = &new.name;
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        bail!("case name `{name}` must start with a lowercase letter and hold only lowercase letters, digits and `-`");
    }
    if !["exec", "host"].contains(&new.start.as_str()) {
        bail!("--start `{}`: a new case starts its crate with `exec` or `host`", new.start);
    }
    for need in &new.needs {
        if !conformance::expectations::CAPABILITIES.contains(&need.as_str()) {
            bail!("--needs `{need}` is not a capability: use {}", conformance::expectations::CAPABILITIES.join(", "));
        }
    }
    let case_dir = root.join("conformance/cases").join(name);
    let crate_dir = root.join("crates-under-test").join(name);
    for dir in [&case_dir, &crate_dir] {
        if dir.exists() {
            bail!("{} already exists: choose another name", dir.display());
        }
    }
    let needs: Vec<String> = new.needs.iter().map(|n| format!("\"{n}\"")).collect();
    let host_args = if new.start == "host" { "host_args = []\n" } else { "" };
    let case_toml = format!(
        "about = \"TODO: what the case checks, one line\"\ncrate = \"{name}\"\nstart = \"{}\"\n{host_args}needs = [{}]\n",
        new.start,
        needs.join(", ")
    );
    let cargo_toml = format!(
        "[package]\nname = \"{name}\"\nedition.workspace = true\nversion.workspace = true\nlicense.workspace = true\n\
         publish.workspace = true\n\n[lib]\ncrate-type = [\"staticlib\"]\ntest = false\ndoctest = false\n\n\
         [dependencies]\ncrate-support = {{ path = \"../support\" }}\n\n[lints]\nworkspace = true\n"
    );
    let lib_rs = format!(
        "//! TODO: what case `{name}` runs and what it prints.\n#![no_std]\n\nuse crate_support::{{Rt, crate_main, outln}};\n\n\
         crate_main!(main);\n\nfn main(rt: &Rt) -> i32 {{\n    outln!(rt, \"{name}: TODO\");\n    0\n}}\n"
    );
    let files = [
        (case_dir.join("case.toml"), case_toml),
        (crate_dir.join("Cargo.toml"), cargo_toml),
        (crate_dir.join("src/lib.rs"), lib_rs),
    ];
    let mut written = Vec::new();
    for (path, text) in files {
        std::fs::create_dir_all(path.parent().expect("a file has a directory"))?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path.display().to_string());
    }
    // The scaffold is a valid case from the start.
    conformance::case::Case::load(&case_dir)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, start: &str, needs: &[&str]) -> NewCase {
        NewCase { name: name.into(), start: start.into(), needs: needs.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn scaffolds_a_case_that_loads_and_a_crate() {
        let root = tempfile::tempdir().unwrap();
        scaffold(root.path(), &new("ping-twice", "exec", &["procs", "messages"])).unwrap();
        let case = conformance::case::Case::load(&root.path().join("conformance/cases/ping-twice")).unwrap();
        assert_eq!(case.crate_name.as_deref(), Some("ping-twice"));
        assert_eq!(case.needs, ["procs", "messages"]);
        let lib = std::fs::read_to_string(root.path().join("crates-under-test/ping-twice/src/lib.rs")).unwrap();
        assert!(lib.starts_with("//!") && lib.contains("crate_main!(main);"), "{lib}");
        let cargo = std::fs::read_to_string(root.path().join("crates-under-test/ping-twice/Cargo.toml")).unwrap();
        assert!(cargo.contains("crate-type = [\"staticlib\"]"), "{cargo}");
        assert!(!root.path().join("conformance/cases/ping-twice/expected.txt").exists());
    }

    #[test]
    fn refuses_bad_names_starts_needs_and_existing_cases() {
        let root = tempfile::tempdir().unwrap();
        for (bad, phrase) in [
            (new("Ping", "exec", &[]), "must start with a lowercase letter"),
            (new("a/b", "exec", &[]), "must start with a lowercase letter"),
            (new("ok", "artifacts", &[]), "`exec` or `host`"),
            (new("ok", "exec", &["threads"]), "`threads` is not a capability"),
        ] {
            let error = scaffold(root.path(), &bad).unwrap_err().to_string();
            assert!(error.contains(phrase), "{error}");
        }
        scaffold(root.path(), &new("twice", "host", &[])).unwrap();
        let error = scaffold(root.path(), &new("twice", "exec", &[])).unwrap_err().to_string();
        assert!(error.contains("already exists"), "{error}");
    }
}
