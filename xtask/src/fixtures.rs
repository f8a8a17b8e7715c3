//! `cargo xtask fixtures`: the suite's own test. Each deliberately broken
//! runtime under `conformance/fixtures/<name>/` (one C file against
//! `rustrt.h`) is built for every platform and the suite is run against it;
//! its `expect.toml` lists the cases it must fail, with the outcome and a
//! phrase the message must contain. Every other case must pass. A fixture
//! that fails too little, too much or with the wrong message fails this
//! command.
//!
//! ```toml
//! about = "what is broken"
//! [fails.handshake]        # a case name, without the platform
//! outcome = "crash"        # fail | crash | timeout
//! message = "SIG"          # a phrase the message must contain
//! [every_exec_case]        # optional: the same for every case with start = "exec"
//! outcome = "crash"        # (an entry under `fails` takes precedence)
//! message = "crashed: "
//! ```
//!
//! or, for a runtime the suite must refuse before running anything (not a
//! library, no `rt_start`, another ABI version), a phrase of the refusal:
//!
//! ```toml
//! refused = "does not export `rt_start`"
//! ```
//!
//! `tier = "zoo"` marks a fixture that only `--all` runs (the bug zoo);
//! the others (`tier = "representative"`, the default) are what CI runs.
//! Reports go to `target/conformance/fixture-results/`, never `results/`.
//!
//! The runtime is `runtime.patch`, a unified diff applied to a copy of the
//! reference runtime (a bug planted in one spec area), `runtime.c`, built
//! for each platform, or `runtime.bin`, copied as it is. An `expectations.toml` beside it is the runtime's own
//! expectations file (xfail entries, capabilities), as a runtime author
//! would keep one.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use clap::Args;
use conformance::case::{Case, Start};
use conformance::cli::RunArgs;
use conformance::outcome::Outcome;
use conformance::report::Report;
use serde::Deserialize;
use xshell::Shell;

use crate::build;
use crate::test::{layout, run_runner};

#[derive(Args, Debug)]
pub struct Fixtures {
    /// `all`, a platform name or a Rust target triple
    #[arg(long, value_name = "PLATFORM", default_value = "all")]
    pub target: String,
    /// Every fixture, the bug zoo included (by default: the representative ones, as CI runs)
    #[arg(long)]
    pub all: bool,
    /// What builds the Rust parts: the local toolchains, or `cross`
    #[arg(long, value_name = "local|cross", default_value = "local")]
    pub backend: String,
    /// Show the commands
    #[arg(short, long)]
    pub verbose: bool,
    /// Only fixtures whose names contain one of these
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Read (the schema is strict) for people, not by the code.
    #[allow(dead_code)]
    about: String,
    #[serde(default)]
    tier: Tier,
    #[serde(default)]
    fails: BTreeMap<String, ExpectedFailure>,
    every_exec_case: Option<ExpectedFailure>,
    refused: Option<String>,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Tier {
    #[default]
    Representative,
    Zoo,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFailure {
    outcome: Outcome,
    message: String,
}

impl Fixtures {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let root = sh.current_dir();
        let fixtures_dir = root.join("conformance/fixtures");
        let cases = Case::load_all(&root.join("conformance/cases"))?;
        // Every fixture file is read (and so checked) before anything is built.
        let mut chosen = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(&fixtures_dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for name in &names {
            let expect_path = fixtures_dir.join(name).join("expect.toml");
            let mut expect: Expect = toml::from_str(
                &std::fs::read_to_string(&expect_path)
                    .with_context(|| format!("cannot read {}", expect_path.display()))?,
            )
            .with_context(|| format!("{} is invalid", expect_path.display()))?;
            if let Some(every) = expect.every_exec_case.take() {
                for case in cases.iter().filter(|c| c.start == Start::Exec) {
                    expect.fails.entry(case.name.clone()).or_insert_with(|| every.clone());
                }
            }
            for case in expect.fails.keys() {
                if !cases.iter().any(|c| &c.name == case) {
                    bail!("{}: names case `{case}`, which does not exist", expect_path.display());
                }
            }
            let named = self.names.is_empty() || self.names.iter().any(|n| name.contains(n.as_str()));
            if named && (self.all || expect.tier == Tier::Representative || !self.names.is_empty()) {
                chosen.push((name.clone(), expect));
            }
        }
        if chosen.is_empty() {
            bail!("no fixture matches {:?} (fixtures: {})", self.names, names.join(", "));
        }

        let platforms = build::platforms(sh, &self.target)?;
        crate::deps::ensure(sh, &platforms)?;
        let backend = build::Backend::choose(sh, &self.backend)?;
        let builds = platforms
            .iter()
            .map(|p| build::build_platform(sh, p, backend, self.verbose))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let runner = build::runner(sh, self.verbose)?;
        let results_dir = root.join("target/conformance/fixture-results");
        let layout = layout(&root);
        let mut problems = Vec::new();
        for (name, expect) in &chosen {
            let dir = fixtures_dir.join(name);
            let out_dir = root.join("target/conformance/fixtures").join(name);
            let step = build::Step::start(&format!("fixture {name}"), "building the broken runtime, running the suite");
            let patched = match dir.join("runtime.patch") {
                patch if patch.is_file() => Some(build::patched_runtime_source(sh, name, &patch)?),
                _ => None,
            };
            for built in &builds {
                let platform_dir = out_dir.join(&built.platform.name);
                if let Some(src) = &patched {
                    build::build_runtime_from(sh, src, &built.platform, &platform_dir)?;
                } else if dir.join("runtime.bin").is_file() {
                    std::fs::create_dir_all(&platform_dir)?;
                    std::fs::copy(dir.join("runtime.bin"), platform_dir.join(&built.platform.runtime_file))?;
                } else {
                    build::build_c_runtime(sh, &built.platform, &dir.join("runtime.c"), &platform_dir)?;
                }
            }
            let runtime_name = format!("fixture-{name}");
            let args = RunArgs {
                runtime: Some(out_dir.clone()),
                name: Some(runtime_name.clone()),
                expectations: Some(dir.join("expectations.toml")).filter(|p| p.is_file()),
                results_dir: Some(results_dir.clone()),
                target: self.target.clone(),
                platforms: Some(layout.platforms.clone()),
                cases: Some(layout.cases.clone()),
                build: Some(layout.build.clone()),
                work_dir: Some(layout.work.clone()),
                ..RunArgs::default()
            };
            // The suite is expected to fail here: what matters is how. Its
            // output (failures by design) goes to a log, not the terminal.
            let log = root.join("target/conformance").join(format!("{runtime_name}.log"));
            run_runner(&runner, &args, Some(&log), &[])?;
            let mut n_failed = 0;
            for built in &builds {
                let report_path = results_dir.join(&runtime_name).join(&built.platform.name).join("report.json");
                let report = Report::read(&report_path)
                    .with_context(|| format!("the suite wrote no report for {name} (its output: {})", log.display()))?;
                n_failed += report.cases.iter().filter(|c| c.outcome != Outcome::Pass).count();
                problems.extend(compare(name, &built.platform.name, &report, expect));
            }
            step.done();
            eprintln!("xtask:   {n_failed} trials did not pass, as planned (runner output: {})", log.display());
        }
        eprintln!();
        if !problems.is_empty() {
            for problem in &problems {
                eprintln!("fixtures: {problem}");
            }
            bail!("{} broken-runtime expectations were not met", problems.len());
        }
        eprintln!("fixtures: every broken runtime failed exactly the cases it should");
        println!("fixtures: {} passed, 0 failed", chosen.len());
        Ok(())
    }
}

/// What differs between a fixture's report and its expectations.
fn compare(fixture: &str, platform: &str, report: &Report, expect: &Expect) -> Vec<String> {
    let mut problems = Vec::new();
    match (&expect.refused, &report.refused) {
        (Some(phrase), Some(why)) if why.contains(phrase.as_str()) => return problems,
        (Some(phrase), Some(why)) => {
            problems.push(format!("{fixture}: {platform}: the refusal lacks \"{phrase}\": {why}"));
            return problems;
        }
        (Some(phrase), None) => {
            problems.push(format!("{fixture}: {platform}: should be refused (\"{phrase}\") but the cases ran"));
            return problems;
        }
        (None, Some(why)) => {
            problems.push(format!("{fixture}: {platform}: refused unexpectedly: {why}"));
            return problems;
        }
        (None, None) => {}
    }
    for case in expect.fails.keys() {
        let trial = format!("{platform}/{case}");
        if !report.cases.iter().any(|c| c.name == trial) {
            problems.push(format!("{fixture}: {trial} should fail but did not run"));
        }
    }
    for result in &report.cases {
        let case = result.name.strip_prefix(&format!("{platform}/")).unwrap_or(&result.name);
        match expect.fails.get(case) {
            None if result.outcome != Outcome::Pass => problems.push(format!(
                "{fixture}: {} should pass but is {}: {}",
                result.name,
                result.outcome.as_str(),
                first_line(&result.message)
            )),
            Some(expected) if result.outcome != expected.outcome => problems.push(format!(
                "{fixture}: {} should be {} but is {}: {}",
                result.name,
                expected.outcome.as_str(),
                result.outcome.as_str(),
                first_line(&result.message)
            )),
            Some(expected) if !result.message.contains(&expected.message) => problems.push(format!(
                "{fixture}: {}'s message lacks \"{}\":\n{}",
                result.name, expected.message, result.message
            )),
            _ => {}
        }
    }
    problems
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
