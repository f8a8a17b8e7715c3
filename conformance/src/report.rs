//! Reports: `<results>/<runtime>/<platform>/report.json` and `junit.xml`.
//! Each file is written whole or not at all (a temporary file, then rename).
//!
//! A report keeps two scores apart: the runtime's (`passed / applicable`
//! over the runtime cases, unsupported ones not applicable) and the suite's
//! own checks (artifact rules, host-table cases), which say nothing about the
//! runtime. Where a report goes depends on what ran (`Selection`): only a
//! full run writes `report.json` beside the platform; a filtered run writes
//! `partial/`, a shard `shards/<k>-of-<n>/`, so neither overwrites a full one.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// The SPEC.md ABI version the suite checks.
    pub spec_version: u32,
    pub runtime: RuntimeInfo,
    pub platform: String,
    pub triple: String,
    pub runner: RunnerInfo,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// Which trials ran.
    #[serde(default)]
    pub selection: Selection,
    /// Why nothing ran on this platform, when the runtime was refused before
    /// any case (not a library, wrong architecture, another ABI version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Derived from `cases` when written; ignored when read.
    #[serde(default, skip_deserializing)]
    pub summary: Summary,
    pub cases: Vec<CaseResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeInfo {
    /// The name reports file the runtime under (`--name`, else its `runtime_name`).
    pub name: String,
    /// The `runtime_name` its table declares, when the probe could read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_name: Option<String>,
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunnerInfo {
    /// The command prefix; empty when binaries run natively.
    pub command: Vec<String>,
    pub version: String,
}

/// Which trials of a platform a run ran.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// Every trial.
    #[default]
    Full,
    /// Those the filters chose (the filters, as given).
    Filtered(String),
    /// Shard `index` (from 1) of `count`.
    Shard { index: u32, count: u32 },
}

impl Selection {
    /// Where a report of this selection goes, under the platform's directory.
    pub fn dir(&self, platform_dir: &Path) -> PathBuf {
        match self {
            Selection::Full => platform_dir.to_owned(),
            Selection::Filtered(_) => platform_dir.join("partial"),
            Selection::Shard { index, count } => platform_dir.join("shards").join(format!("{index}-of-{count}")),
        }
    }
}

/// Whose check a trial is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// A case the runtime under test passes or fails: its score.
    #[default]
    Runtime,
    /// The suite's own check (artifact rules, a host's table): not the runtime's score.
    Suite,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseResult {
    /// `<platform>/<case>[/<detail>]`, as the trial is named.
    pub name: String,
    #[serde(default)]
    pub scope: Scope,
    /// The spec area, for the matrix's totals.
    #[serde(default)]
    pub area: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// Empty on a pass.
    pub message: String,
    /// What the program wrote, capped (`REPORT_OUTPUT_CAP`); empty on a pass.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// The first attempt's message when the case was run twice (it was `broken`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried: Option<String>,
}

/// The counts of one report, per scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub runtime: RuntimeScore,
    pub suite: SuiteScore,
}

/// The runtime's score: `passed / applicable`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeScore {
    pub cases: usize,
    /// Cases that are not `unsupported`.
    pub applicable: usize,
    pub passed: usize,
    pub unsupported: usize,
    pub xfail: usize,
    /// fail, crash, timeout, xpass.
    pub failed: usize,
    pub broken: usize,
}

/// The suite's own checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteScore {
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
}

impl Summary {
    pub fn of(cases: &[CaseResult]) -> Summary {
        let mut summary = Summary::default();
        for case in cases {
            match case.scope {
                Scope::Runtime => {
                    let score = &mut summary.runtime;
                    score.cases += 1;
                    match case.outcome {
                        Outcome::Unsupported => score.unsupported += 1,
                        Outcome::Pass => score.passed += 1,
                        Outcome::Xfail => score.xfail += 1,
                        Outcome::Broken => score.broken += 1,
                        Outcome::Fail | Outcome::Crash | Outcome::Timeout | Outcome::Xpass => score.failed += 1,
                    }
                    if case.outcome != Outcome::Unsupported {
                        score.applicable += 1;
                    }
                }
                Scope::Suite => {
                    summary.suite.checks += 1;
                    if case.outcome == Outcome::Pass {
                        summary.suite.passed += 1;
                    } else {
                        summary.suite.failed += 1;
                    }
                }
            }
        }
        summary
    }

    /// One line: `runtime 4/4 applicable passed (26 unsupported); suite checks 33/33`.
    pub fn line(&self) -> String {
        let r = &self.runtime;
        let mut notes = Vec::new();
        for (n, what) in [
            (r.unsupported, "unsupported"),
            (r.xfail, "xfail"),
            (r.failed, "failed"),
            (r.broken, "broken (environment)"),
        ] {
            if n > 0 {
                notes.push(format!("{n} {what}"));
            }
        }
        let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
        format!(
            "runtime: {}/{} applicable cases passed{notes}; suite's own checks: {}/{} passed",
            r.passed, r.applicable, self.suite.passed, self.suite.checks
        )
    }
}

/// Bytes of each captured stream kept in a report and in JUnit.
pub const REPORT_OUTPUT_CAP: usize = 16 * 1024;

/// Captured output fit for JSON and XML: control characters other than
/// newline and tab shown as U+FFFD (XML cannot hold most of them).
pub fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{fffd}' } else { c }).collect()
}

/// `text` cut to `cap` bytes (at a character boundary), with a marker that
/// says how much there was; `total` counts bytes already dropped upstream.
pub fn capped(text: &str, total: u64, cap: usize) -> String {
    if text.len() <= cap && total <= text.len() as u64 {
        return text.to_owned();
    }
    let mut end = cap.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let total = total.max(text.len() as u64);
    format!("{}\n[… truncated: {total} bytes or more, the first {end} shown]\n", &text[..end])
}

impl Report {
    /// Writes `report.json` and `junit.xml` into `dir`.
    pub fn write(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.summary = Summary::of(&self.cases);
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the results directory {}", dir.display()))?;
        let json = serde_json::to_string_pretty(self)? + "\n";
        write_whole(&dir.join("report.json"), json.as_bytes())?;
        write_whole(&dir.join("junit.xml"), self.junit().as_bytes())
    }

    pub fn read(path: &Path) -> anyhow::Result<Report> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read report {}", path.display()))?;
        let mut report: Report =
            serde_json::from_str(&text).with_context(|| format!("report {} is invalid", path.display()))?;
        report.summary = Summary::of(&report.cases);
        Ok(report)
    }

    /// The report as JUnit XML (quick-junit), one `testcase` per case; the
    /// suite is named `<runtime>/<platform>`, with the runtime as a property.
    pub fn junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestRerun, TestSuite};
        let mut suite = TestSuite::new(format!("{}/{}", self.runtime.name, self.platform));
        suite.add_property(Property::new("runtime", self.runtime.name.as_str()));
        suite.add_property(Property::new("runtime_sha256", self.runtime.sha256.as_str()));
        suite.add_property(Property::new("platform", self.platform.as_str()));
        suite.add_property(Property::new("score", Summary::of(&self.cases).line()));
        if let Some(why) = &self.refused {
            suite.add_property(Property::new("refused", why.as_str()));
        }
        for case in &self.cases {
            let (class, name) = case.name.split_once('/').unwrap_or((&self.platform, &case.name));
            let first_line = case.message.lines().next().unwrap_or("").to_owned();
            let mut status = match case.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Xfail | Outcome::Unsupported => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_type(case.outcome.as_str());
                    status.set_message(format!("{}: {first_line}", case.outcome.as_str()));
                    status
                }
                Outcome::Fail | Outcome::Xpass | Outcome::Crash | Outcome::Timeout | Outcome::Broken => {
                    // A refused runtime ran nothing: an error, like a crash.
                    let kind = match case.outcome {
                        Outcome::Fail | Outcome::Xpass if self.refused.is_none() => NonSuccessKind::Failure,
                        _ => NonSuccessKind::Error,
                    };
                    let mut status = TestCaseStatus::non_success(kind);
                    let kind_name = if self.refused.is_some() { "refused" } else { case.outcome.as_str() };
                    status.set_type(kind_name);
                    status.set_message(format!("{kind_name}: {first_line}"));
                    status.set_description(case.message.as_str());
                    status
                }
            };
            if let Some(first) = &case.retried {
                let mut rerun = TestRerun::new(NonSuccessKind::Error);
                rerun.set_type("broken");
                rerun.set_message(first.lines().next().unwrap_or(""));
                rerun.set_description(first.as_str());
                status.add_rerun(rerun);
            }
            let mut test_case = TestCase::new(name, status);
            test_case.set_classname(format!("{}.{class}", self.runtime.name));
            test_case.set_time(Duration::from_millis(case.duration_ms));
            test_case.add_property(Property::new("scope", format!("{:?}", case.scope).to_lowercase()));
            if !case.stdout.is_empty() {
                test_case.set_system_out(case.stdout.as_str());
            }
            if !case.stderr.is_empty() {
                test_case.set_system_err(case.stderr.as_str());
            }
            suite.add_test_case(test_case);
        }
        let mut report = quick_junit::Report::new(format!("conformance of {}", self.runtime.name));
        report.add_test_suite(suite);
        report.to_string().unwrap_or_else(|e| format!("<!-- cannot serialise JUnit: {e} -->\n"))
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it,
/// then a rename.
pub fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().context("no file name")?.to_string_lossy();
    // Unique per call: trials run on several threads and may write the same file.
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        std::fs::remove_file(&tmp).ok();
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}
