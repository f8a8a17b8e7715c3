//! Per-runtime expectations: a TOML file kept with the runtime (or named by
//! `--expectations`), read strictly.
//!
//! ```toml
//! spec_version = 2                       # the ABI version the runtime implements
//! capabilities = ["stacks", "procs"]     # optional; absent = all of them
//! [[xfail]]                              # a failure the runtime's authors know about
//! case = "hot-split"
//! platforms = ["windows-x86_64"]         # optional; absent = every platform
//! reason = "segments are not cached yet"
//! ```
//!
//! A listed failure that fails is `xfail`; one that passes is `xpass`, an
//! error, so lists get cleaned. A case that needs a capability the runtime
//! does not declare is `unsupported` and does not run.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::case::Case;

/// The optional capabilities a runtime may declare (SPEC.md, "Capabilities").
pub const CAPABILITIES: [&str; 5] = ["stacks", "procs", "messages", "vecs", "ticks"];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    pub spec_version: u32,
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    #[serde(default)]
    pub xfail: Vec<ExpectedFailure>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    pub case: String,
    #[serde(default)]
    pub platforms: Option<Vec<String>>,
    pub reason: String,
}

impl Expectations {
    /// What a runtime without an expectations file is held to: this suite's
    /// version, every capability, no expected failure.
    pub fn strict() -> Expectations {
        Expectations { spec_version: rt_abi::RT_ABI_VERSION, capabilities: None, xfail: Vec::new() }
    }

    /// Reads and checks a file against the cases and platforms that exist.
    pub fn load(path: &Path, cases: &[Case], platforms: &[String]) -> anyhow::Result<Expectations> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read expectations {}", path.display()))?;
        let expectations: Expectations =
            toml::from_str(&text).with_context(|| format!("expectations {} are invalid", path.display()))?;
        for name in expectations.capabilities.iter().flatten() {
            if !CAPABILITIES.contains(&name.as_str()) {
                bail!(
                    "expectations {}: unknown capability `{name}` (known: {})",
                    path.display(),
                    CAPABILITIES.join(", ")
                );
            }
        }
        for entry in &expectations.xfail {
            if !cases.iter().any(|c| c.name == entry.case) {
                bail!("expectations {}: xfail names case `{}`, which does not exist", path.display(), entry.case);
            }
            if entry.reason.trim().is_empty() {
                bail!("expectations {}: xfail of `{}` needs a reason", path.display(), entry.case);
            }
            for platform in entry.platforms.iter().flatten() {
                if !platforms.contains(platform) {
                    bail!(
                        "expectations {}: xfail of `{}` names unknown platform `{platform}`",
                        path.display(),
                        entry.case
                    );
                }
            }
        }
        Ok(expectations)
    }

    /// The capabilities `case` needs that the runtime does not declare.
    pub fn missing_capabilities(&self, case: &Case) -> Vec<String> {
        let Some(declared) = &self.capabilities else { return Vec::new() };
        case.needs.iter().filter(|need| !declared.contains(need)).cloned().collect()
    }

    /// Why `case` is expected to fail on `platform`, if it is.
    pub fn expected_failure(&self, case: &str, platform: &str) -> Option<&str> {
        self.xfail
            .iter()
            .find(|e| e.case == case && e.platforms.as_ref().is_none_or(|p| p.iter().any(|p| p == platform)))
            .map(|e| e.reason.as_str())
    }
}
