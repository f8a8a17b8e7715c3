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
//! The runtime is `runtime.patch`, a unified diff applied to a copy of the
//! reference runtime (a bug planted in one spec area), `runtime.c`, built
//! for each platform, or `runtime.bin`, copied as it is. An `expectations.toml` beside it is the runtime's own
//! expectations file (xfail entries, capabilities), as a runtime author
//! would keep one.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use conformance::case::{Case, Start};
use conformance::outcome::Outcome;
use conformance::report::Report;
use serde::Deserialize;
use xshell::Shell;

use crate::Options;
use crate::build;
use crate::test::{RuntimeUnderTest, run_suite};

pub struct Fixtures {
    pub options: Options,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Read (the schema is strict) for people, not by the code.
    #[allow(dead_code)]
    about: String,
    #[serde(default)]
    fails: BTreeMap<String, ExpectedFailure>,
    every_exec_case: Option<ExpectedFailure>,
    refused: Option<String>,
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
        let platforms = build::platforms(sh, &self.options.target)?;
        crate::deps::ensure(sh, &platforms)?;
        let backend = build::Backend::choose(sh, &self.options.backend)?;
        let builds =
            platforms.iter().map(|p| build::build_platform(sh, p, backend)).collect::<anyhow::Result<Vec<_>>>()?;
        let fixtures_dir = root.join("conformance/fixtures");
        let mut names: Vec<String> = std::fs::read_dir(&fixtures_dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        names.sort();
        let mut problems = Vec::new();
        for name in &names {
            let dir = fixtures_dir.join(name);
            let expect_path = dir.join("expect.toml");
            let mut expect: Expect = toml::from_str(&std::fs::read_to_string(&expect_path)?)
                .with_context(|| format!("{} is invalid", expect_path.display()))?;
            if let Some(every) = expect.every_exec_case.take() {
                for case in Case::load_all(&root.join("conformance/cases"))? {
                    if case.start == Start::Exec {
                        expect.fails.entry(case.name).or_insert_with(|| every.clone());
                    }
                }
            }
            let out_dir = root.join("target/conformance/fixtures").join(name);
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
            let runtime = RuntimeUnderTest::from_dir(&runtime_name, &out_dir);
            // The suite is expected to fail here: what matters is how. Its
            // output (failures by design) goes to a log, not the terminal.
            let log = root.join("target/conformance").join(format!("{runtime_name}.log"));
            let expectations = Some(dir.join("expectations.toml")).filter(|p| p.is_file());
            run_suite(sh, &builds, &runtime, false, &self.options.libtest_args, expectations, Some(&log))?;
            let mut n_failed = 0;
            for built in &builds {
                let report_path =
                    root.join("results").join(&runtime_name).join(&built.platform.name).join("report.json");
                let report = Report::read(&report_path)?;
                n_failed += report.cases.iter().filter(|c| c.outcome != Outcome::Pass).count();
                problems.extend(compare(name, &built.platform.name, &report, &expect));
            }
            eprintln!("fixtures: {name}: {n_failed} trials did not pass (runner output: {})", log.display());
        }
        eprintln!();
        if !problems.is_empty() {
            for problem in &problems {
                eprintln!("fixtures: {problem}");
            }
            bail!("{} broken-runtime expectations were not met", problems.len());
        }
        eprintln!("fixtures: every broken runtime failed exactly the cases it should");
        println!("fixtures: {} passed, 0 failed", names.len());
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
