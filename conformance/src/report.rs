//! Reports: `results/<runtime>/<platform>/report.json` and `junit.xml`.
//! Each file is written whole or not at all (a temporary file, then rename).

use std::io::Write as _;
use std::path::Path;

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
    /// Why nothing ran on this platform, when the runtime was refused before
    /// any case (not a library, wrong architecture, another ABI version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    pub cases: Vec<CaseResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeInfo {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunnerInfo {
    /// The command prefix; empty when binaries run natively.
    pub command: Vec<String>,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseResult {
    /// `<platform>/<case>`, as the trial is named.
    pub name: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// Empty on a pass.
    pub message: String,
}

impl Report {
    /// Writes `report.json` and `junit.xml` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the results directory {}", dir.display()))?;
        let json = serde_json::to_string_pretty(self)? + "\n";
        write_whole(&dir.join("report.json"), json.as_bytes())?;
        write_whole(&dir.join("junit.xml"), self.junit().as_bytes())
    }

    pub fn read(path: &Path) -> anyhow::Result<Report> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read report {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("report {} is invalid", path.display()))
    }

    /// The report as JUnit XML, one `testcase` per case.
    pub fn junit(&self) -> String {
        let count = |o: Outcome| self.cases.iter().filter(|c| c.outcome == o).count();
        let failures = count(Outcome::Fail) + count(Outcome::Xpass);
        let errors = count(Outcome::Crash) + count(Outcome::Timeout) + count(Outcome::Broken);
        let skipped = count(Outcome::Xfail) + count(Outcome::Unsupported);
        let total_s: f64 = self.cases.iter().map(|c| c.duration_ms as f64 / 1000.0).sum();
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml += &format!(
            "<testsuites>\n<testsuite name=\"{}/{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{total_s:.3}\" timestamp=\"{}\">\n",
            escape(&self.runtime.name),
            escape(&self.platform),
            self.cases.len(),
            escape(&self.started_at),
        );
        for case in &self.cases {
            let (class, name) = case.name.split_once('/').unwrap_or((&self.platform, &case.name));
            xml += &format!(
                "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(class),
                escape(name),
                case.duration_ms as f64 / 1000.0
            );
            let message = escape(&case.message);
            xml += &match case.outcome {
                Outcome::Pass => "/>\n".to_owned(),
                Outcome::Xfail | Outcome::Unsupported => {
                    format!("><skipped message=\"{}: {message}\"/></testcase>\n", case.outcome.as_str())
                }
                Outcome::Fail | Outcome::Xpass => format!(
                    "><failure type=\"{0}\" message=\"{0}\">{message}</failure></testcase>\n",
                    case.outcome.as_str()
                ),
                Outcome::Crash | Outcome::Timeout | Outcome::Broken => format!(
                    "><error type=\"{0}\" message=\"{0}\">{message}</error></testcase>\n",
                    case.outcome.as_str()
                ),
            };
        }
        xml += "</testsuite>\n</testsuites>\n";
        xml
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("&#x{:x};", c as u32).replace("&#x", "\\x").replace(';', ""))
            }
            c => out.push(c),
        }
    }
    out
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
