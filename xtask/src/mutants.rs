//! `cargo xtask mutants [--target PLATFORM] [--shard K/N]`: proof that the suite catches
//! bugs. Runs cargo-mutants over `reference-rt` with the conformance suite as
//! the test (through the env-gated `suite_test`), then writes
//! `results/mutants.json` (linux-x86_64; other platforms
//! `results/mutants-<platform>.json`): `{target, viable, caught, missed,
//! timeout, unviable, equivalent, score, missed_mutants, equivalent_mutants}`.
//!
//! Mutants of files that are not compiled for the platform are excluded (they
//! cannot change its binary). A mutant that makes the runtime fail to build
//! is unviable, however cargo-mutants labelled it (see `suite_test.rs`).
//! With `--shard K/N` (cargo-mutants' own sharding), each CI machine runs
//! a part into `target/mutants/<platform>/shard-K-of-N`; `--merge DIR...`
//! summarises several such outputs as one run.
//!
//! `reference-rt/mutants-equivalent.toml` lists mutants that cannot change
//! behaviour, each with its reason; they do not count against the score.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use clap::Args;
use conformance::cli::Shard;
use serde::Deserialize;
use xshell::{Shell, cmd};

use crate::suite_test_marker::UNVIABLE_MARKER;

/// Per-architecture and per-OS files compiled for each platform's runtime.
fn excluded_files(platform: &str) -> &'static [&'static str] {
    match platform {
        "linux-x86_64" => &[
            "reference-rt/src/os/windows.rs",
            "reference-rt/src/arch/x86_64_windows.rs",
            "reference-rt/src/arch/aarch64.rs",
        ],
        "linux-aarch64" => &[
            "reference-rt/src/os/windows.rs",
            "reference-rt/src/arch/x86_64_windows.rs",
            "reference-rt/src/arch/x86_64_sysv.rs",
        ],
        _ => {
            &["reference-rt/src/os/unix.rs", "reference-rt/src/arch/x86_64_sysv.rs", "reference-rt/src/arch/aarch64.rs"]
        }
    }
}

#[derive(Args, Debug)]
pub struct Mutants {
    /// The platform the suite runs on
    #[arg(long, value_name = "PLATFORM", default_value = "linux-x86_64")]
    pub target: String,
    /// Run only the K-th of N parts of the mutants (cargo-mutants --shard)
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Only summarise an existing run in target/mutants
    #[arg(long)]
    pub summarize_only: bool,
    /// Summarise these cargo-mutants output directories (shards of one run) as one
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub merge: Vec<std::path::PathBuf>,
}

#[derive(Deserialize)]
struct Outcomes {
    outcomes: Vec<OutcomeEntry>,
    cargo_mutants_version: String,
}

#[derive(Deserialize)]
struct OutcomeEntry {
    scenario: serde_json::Value,
    summary: String,
    log_path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Equivalents {
    #[serde(default)]
    equivalent: Vec<Equivalent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Equivalent {
    mutant: String,
    reason: String,
}

impl Mutants {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let root = sh.current_dir();
        if !self.merge.is_empty() {
            let outs: Vec<_> = self.merge.iter().map(|d| d.join("mutants.out")).collect();
            return summarize(&root, &outs, &self.target, &root.join("results"));
        }
        let out = match self.shard {
            Some(shard) => {
                root.join("target/mutants").join(&self.target).join(format!("shard-{}-of-{}", shard.index, shard.count))
            }
            None => root.join("target/mutants").join(&self.target),
        };
        if !self.summarize_only {
            // cargo-mutants creates `out` but not its parents.
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let shard_args: Vec<String> = self.shard.iter().map(|s| format!("--shard={}", s)).collect();
            let target = &self.target;
            // tests.rs is the runtime's unit tests; arch/miri.rs is the
            // backend only Miri compiles.
            let mut excludes = vec!["reference-rt/src/tests.rs".to_owned(), "reference-rt/src/arch/miri.rs".to_owned()];
            excludes.extend(excluded_files(target).iter().map(|s| s.to_string()));
            let exclude_args: Vec<String> = excludes.iter().flat_map(|e| ["-e".to_owned(), e.clone()]).collect();
            let _suite = sh.push_env("CONFORMANCE_SUITE_TARGET", target);
            let _cap = sh.push_env("CONFORMANCE_TIMEOUT_CAP", "10");
            // Mutants "caught" by a failing suite make cargo-mutants exit non-zero
            // only when some were missed; the summary below is what counts.
            let _ = cmd!(
                sh,
                "cargo mutants -j 1 --timeout 240 --build-timeout 600 --test-package=xtask
                 -f reference-rt/src/**/*.rs {exclude_args...} {shard_args...} -o {out}"
            )
            .run();
        }
        // A shard's summary stays beside its output: only a whole run (or
        // the merge of every shard) is the recorded score.
        let into = if self.shard.is_some() { out.clone() } else { root.join("results") };
        summarize(&root, &[out.join("mutants.out")], &self.target, &into)
    }
}

/// Reads `outcomes.json` of each output directory as parts of one run.
fn read_outcomes(outs: &[std::path::PathBuf]) -> anyhow::Result<(Outcomes, Vec<std::path::PathBuf>)> {
    let mut all = Outcomes { outcomes: Vec::new(), cargo_mutants_version: String::new() };
    let mut logs_dirs = Vec::new();
    for out in outs {
        let path = out.join("outcomes.json");
        let part: Outcomes = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("no cargo-mutants results at {}", path.display()))?,
        )?;
        all.cargo_mutants_version = part.cargo_mutants_version;
        logs_dirs.extend(std::iter::repeat_n(out.clone(), part.outcomes.len()));
        all.outcomes.extend(part.outcomes);
    }
    Ok((all, logs_dirs))
}

fn summarize(root: &Path, outs: &[std::path::PathBuf], target: &str, into: &Path) -> anyhow::Result<()> {
    let (outcomes, logs_dirs) = read_outcomes(outs)?;
    let equivalents: Equivalents =
        toml::from_str(&std::fs::read_to_string(root.join("reference-rt/mutants-equivalent.toml"))?)?;
    let reasons: BTreeMap<&str, &str> =
        equivalents.equivalent.iter().map(|e| (e.mutant.as_str(), e.reason.as_str())).collect();
    let (mut caught, mut missed, mut timeout, mut unviable, mut equivalent) = (0, 0, 0, 0, 0);
    let mut missed_mutants = Vec::new();
    for (entry, out) in outcomes.outcomes.iter().zip(&logs_dirs) {
        let Some(name) = entry.scenario.get("Mutant").and_then(|m| m.get("name")).and_then(|n| n.as_str()) else {
            continue; // the baseline
        };
        let log = std::fs::read_to_string(out.join(&entry.log_path)).unwrap_or_default();
        match entry.summary.as_str() {
            "CaughtMutant" if log.contains(UNVIABLE_MARKER) => unviable += 1,
            "CaughtMutant" => caught += 1,
            "Timeout" => timeout += 1,
            "Unviable" => unviable += 1,
            "MissedMutant" if reasons.contains_key(name) => equivalent += 1,
            "MissedMutant" => {
                missed += 1;
                missed_mutants.push(name.to_owned());
            }
            other => anyhow::bail!("unknown cargo-mutants outcome `{other}` for {name}"),
        }
    }
    // A timeout is a mutant the suite stopped (it hung): caught.
    let viable = caught + missed + timeout + equivalent;
    let score = if viable == equivalent { 1.0 } else { (caught + timeout) as f64 / (viable - equivalent) as f64 };
    let json = serde_json::json!({
        "target": target,
        "cargo_mutants_version": outcomes.cargo_mutants_version,
        "viable": viable,
        "caught": caught,
        "missed": missed,
        "timeout": timeout,
        "unviable": unviable,
        "equivalent": equivalent,
        "score": (score * 1000.0).round() / 1000.0,
        "missed_mutants": missed_mutants,
        "equivalent_mutants": equivalents.equivalent.iter().map(|e| serde_json::json!({"mutant": e.mutant, "reason": e.reason})).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&json)? + "\n";
    let file = if target == "linux-x86_64" { "mutants.json".to_owned() } else { format!("mutants-{target}.json") };
    std::fs::create_dir_all(into)?;
    conformance::report::write_whole(&into.join(file), text.as_bytes())?;
    println!(
        "mutants on {target}: {viable} viable, {caught} caught, {timeout} timeout, {missed} missed, {equivalent} equivalent, \
         {unviable} unviable; score {:.1}%",
        score * 100.0
    );
    for name in &missed_mutants {
        println!("  missed: {name}");
    }
    Ok(())
}
