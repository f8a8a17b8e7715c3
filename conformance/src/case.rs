//! Cases as data: `conformance/cases/<case>/case.toml` plus its golden
//! `expected.txt`. Adding a case is adding a directory.
//!
//! ```toml
//! about = "what the case checks, one line"
//! crate = "handshake"        # a crate under crates-under-test/
//! start = "exec"             # exec | host | artifacts | scenarios | scenario
//! host_args = []             # with start = "host": arguments for the host
//! count = 300                # with start = "scenarios": generated scenarios per platform
//! nonblocking_output = false # stdout and stderr as small non-blocking pipes (SPEC.md §2.2: every byte)
//! timeout_seconds = 30
//! needs = ["procs"]          # capabilities it needs (see expectations.rs)
//! [platform_goldens]         # exceptions: platform = "reason", with expected.<platform>.txt
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// How a case starts its crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Start {
    /// Run the crate as a program: its stub calls the runtime's `rt_start`.
    Exec,
    /// Load the crate into the embedding host, which supplies its own table.
    Host,
    /// Check the artifact rules on every built crate (one trial per crate).
    Artifacts,
    /// Generated scenarios, one trial per seed: the crate (the interpreter)
    /// runs each through the runtime, against the model's prediction.
    Scenarios,
    /// One saved scenario, `scenario.txt` beside `case.toml` (a shrunk
    /// difference kept as a regression case), against the model.
    Scenario,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    about: String,
    #[serde(rename = "crate", default)]
    crate_name: Option<String>,
    start: Start,
    #[serde(default)]
    host_args: Vec<String>,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
    #[serde(default)]
    platform_goldens: BTreeMap<String, String>,
    #[serde(default)]
    needs: Vec<String>,
    count: Option<u64>,
    #[serde(default)]
    nonblocking_output: bool,
}

fn default_timeout() -> u64 {
    30
}

/// One case, validated.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub about: String,
    /// The crate to run; `None` only for `Start::Artifacts`.
    pub crate_name: Option<String>,
    pub start: Start,
    pub host_args: Vec<String>,
    pub timeout_seconds: u64,
    /// Platforms whose golden differs, each with its reason.
    pub platform_goldens: BTreeMap<String, String>,
    /// Capabilities the case needs; a runtime without them gets `unsupported`.
    pub needs: Vec<String>,
    /// With `Start::Scenarios`: how many generated scenarios per platform.
    pub count: u64,
    /// With `Start::Scenario`: the saved scenario.
    pub scenario: Option<scenario_format::Scenario>,
    /// Whether the crate's stdout and stderr are 4 KiB non-blocking pipes:
    /// a runtime must still write every byte (`EAGAIN` is not an error).
    pub nonblocking_output: bool,
}

impl Case {
    pub fn load(dir: &Path) -> anyhow::Result<Case> {
        let name = dir.file_name().and_then(|n| n.to_str()).context("case directory has no name")?.to_owned();
        let file = dir.join("case.toml");
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("case `{name}`: cannot read {}", file.display()))?;
        let parsed: CaseFile =
            toml::from_str(&text).with_context(|| format!("case `{name}`: {} is invalid", file.display()))?;
        match (parsed.start, &parsed.crate_name) {
            (Start::Artifacts, Some(_)) => bail!("case `{name}`: `crate` must be absent when start = \"artifacts\""),
            (Start::Exec | Start::Host | Start::Scenarios | Start::Scenario, None) => {
                bail!("case `{name}`: `crate` is required")
            }
            _ => {}
        }
        if (parsed.start == Start::Scenarios) != parsed.count.is_some() {
            bail!("case `{name}`: `count` is required with start = \"scenarios\", and only there");
        }
        let scenario = if parsed.start == Start::Scenario {
            let path = dir.join("scenario.txt");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("case `{name}`: start = \"scenario\" needs {}", path.display()))?;
            let scenario = scenario_format::Scenario::parse(&text)
                .map_err(|e| anyhow::anyhow!("case `{name}`: {} is not a scenario: {e}", path.display()))?;
            crate::model::predict(&scenario)
                .map_err(|e| anyhow::anyhow!("case `{name}`: {} is not a valid scenario: {e}", path.display()))?;
            Some(scenario)
        } else {
            None
        };
        if parsed.start != Start::Host && !parsed.host_args.is_empty() {
            bail!("case `{name}`: `host_args` is only for start = \"host\"");
        }
        let scenario_start = matches!(parsed.start, Start::Scenario | Start::Scenarios);
        if scenario_start && !parsed.needs.is_empty() {
            bail!("case `{name}`: a scenario case needs every capability; drop its `needs`");
        }
        // The interpreter crate reads the whole state after every step.
        let needs = if scenario_start {
            crate::expectations::CAPABILITIES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            parsed.needs
        };
        for need in &needs {
            if !crate::expectations::CAPABILITIES.contains(&need.as_str()) {
                bail!("case `{name}`: unknown capability `{need}` in `needs`");
            }
        }
        for (platform, reason) in &parsed.platform_goldens {
            if reason.trim().is_empty() {
                bail!("case `{name}`: the platform golden for `{platform}` needs a reason");
            }
        }
        Ok(Case {
            name,
            dir: dir.to_owned(),
            about: parsed.about,
            crate_name: parsed.crate_name,
            start: parsed.start,
            host_args: parsed.host_args,
            timeout_seconds: parsed.timeout_seconds,
            platform_goldens: parsed.platform_goldens,
            needs,
            count: parsed.count.unwrap_or(0),
            scenario,
            nonblocking_output: parsed.nonblocking_output,
        })
    }

    /// Every case under `dir`, sorted by name.
    pub fn load_all(dir: &Path) -> anyhow::Result<Vec<Case>> {
        let mut cases = Vec::new();
        for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list cases in {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                cases.push(Case::load(&path)?);
            }
        }
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(cases)
    }

    /// Whose check the case is: a crate started through the runtime's
    /// `rt_start` is the runtime's; the artifact rules and the host's own
    /// table are the suite's (they pass or fail whatever the runtime does).
    pub fn scope(&self) -> crate::report::Scope {
        match self.start {
            Start::Exec | Start::Scenarios | Start::Scenario => crate::report::Scope::Runtime,
            Start::Host | Start::Artifacts => crate::report::Scope::Suite,
        }
    }

    /// The spec area the case belongs to, for the matrix's totals.
    pub fn area(&self) -> &'static str {
        let needs = |c: &str| self.needs.iter().any(|n| n == c);
        match self.start {
            Start::Artifacts => "artifact rules",
            Start::Host => "embedding",
            Start::Scenarios | Start::Scenario => "scenarios",
            Start::Exec if needs("ticks") => "ticks",
            Start::Exec if needs("vecs") => "vecs and memory",
            Start::Exec if needs("messages") => "messages",
            Start::Exec if needs("stacks") => "segments",
            Start::Exec if needs("procs") => "procs",
            Start::Exec => "handshake",
        }
    }

    /// The golden for `platform`: its own file where the case lists an
    /// exception for it, else the shared `expected.txt`.
    pub fn golden_path(&self, platform: &str) -> PathBuf {
        if self.platform_goldens.contains_key(platform) {
            self.dir.join(format!("expected.{platform}.txt"))
        } else {
            self.dir.join("expected.txt")
        }
    }
}
