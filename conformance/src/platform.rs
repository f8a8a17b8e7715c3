//! Platforms as data: one TOML file per platform under `platforms/`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The object format of a platform's binaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Elf,
    Pe,
}

/// One platform: how to build for it and how to run its binaries.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// Short name, used in trial names and result paths: `linux-x86_64`.
    pub name: String,
    /// The Rust target triple.
    pub triple: String,
    pub format: Format,
    /// `x86_64` or `aarch64`: checked against every binary's header.
    pub arch: String,
    /// The C compiler that links crates and builds the host and C runtimes.
    pub cc: String,
    /// The command prefix that runs a binary of this platform (empty: native).
    pub runner: Vec<String>,
    /// The command that prints the runner's version (empty: native).
    pub runner_version: Vec<String>,
    /// Whether the runner is Wine, which needs a prefix and a wineserver.
    #[serde(default)]
    pub wine: bool,
    /// With `wine`: the wineserver that runs the prefix.
    #[serde(default)]
    pub wineserver: Option<String>,
    /// The file name a runtime library must have on this platform.
    pub runtime_file: String,
    /// `.exe` on Windows.
    pub exe_suffix: String,
    /// Debian packages the build and the runner need.
    pub debian_packages: Vec<String>,
    /// Arguments that link a crate's archive into an executable library;
    /// `{link_dir}` is `crates-under-test/support/link`.
    pub crate_link_args: Vec<String>,
    /// Extra arguments for building the embedding host.
    pub host_link_args: Vec<String>,
    /// Arguments that build a runtime written in C into a library.
    pub c_runtime_args: Vec<String>,
    /// Extra rustc flags for everything built for this platform.
    #[serde(default)]
    pub rustflags: Vec<String>,
    /// Environment for every run under this platform's runner.
    #[serde(default)]
    pub runner_env: BTreeMap<String, String>,
    /// Whether the runner needs a fixed address layout (no ASLR) to start
    /// reliably: Wine without its preloader (ARCHITECTURE.md, "Wine").
    #[serde(default)]
    pub fixed_address_layout: bool,
}

impl Platform {
    /// Reads `platforms/<name>.toml`.
    pub fn load(path: &Path) -> anyhow::Result<Platform> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read platform file {}", path.display()))?;
        let platform: Platform =
            toml::from_str(&text).with_context(|| format!("platform file {} is invalid", path.display()))?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if platform.name != stem {
            bail!("platform file {}: `name` is {:?} but must match the file name", path.display(), platform.name);
        }
        Ok(platform)
    }

    /// Every platform under `dir`, sorted by name.
    pub fn load_all(dir: &Path) -> anyhow::Result<Vec<Platform>> {
        let mut platforms = Vec::new();
        for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                platforms.push(Platform::load(&path)?);
            }
        }
        platforms.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(platforms)
    }

    /// Selects platforms by `all`, a platform name or a triple.
    pub fn select(all: Vec<Platform>, target: &str) -> anyhow::Result<Vec<Platform>> {
        if target == "all" {
            return Ok(all);
        }
        let known: Vec<String> = all.iter().map(|p| format!("{} ({})", p.name, p.triple)).collect();
        let chosen: Vec<Platform> = all.into_iter().filter(|p| p.name == target || p.triple == target).collect();
        if chosen.is_empty() {
            bail!("unknown target `{target}`: use `all`, or one of: {}", known.join(", "));
        }
        Ok(chosen)
    }
}
