//! The run plan: what `cargo xtask test` built and wants run. The runner reads
//! it from the file named by `CONFORMANCE_PLAN`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::platform::Platform;

/// The name under which reports file the reference runtime.
pub const REFERENCE_RUNTIME: &str = "reference";

/// The environment variable that names the plan file.
pub const PLAN_ENV: &str = "CONFORMANCE_PLAN";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// `conformance/cases`.
    pub cases_dir: PathBuf,
    /// Where reports go: `results/`.
    pub results_dir: PathBuf,
    /// Rewrite goldens from what the runtime printed instead of comparing.
    pub bless: bool,
    /// The runtime's expectations file; `None` holds it to everything.
    #[serde(default)]
    pub expectations: Option<PathBuf>,
    pub runs: Vec<PlatformRun>,
}

/// One runtime on one platform.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformRun {
    pub platform: Platform,
    /// The runtime under test, as given.
    pub runtime_name: String,
    pub runtime_path: PathBuf,
    /// The built crates: `<dir>/<crate><exe_suffix>`.
    pub crates_dir: PathBuf,
    /// The embedding host.
    pub host_path: PathBuf,
    /// A scratch directory where crates run beside the runtime under test.
    pub work_dir: PathBuf,
    /// Environment for every child process (Wine prefix and the like).
    pub env: Vec<(String, String)>,
}

impl Plan {
    pub fn read(path: &Path) -> anyhow::Result<Plan> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read run plan {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("run plan {} is invalid", path.display()))
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("cannot write run plan {}", path.display()))
    }
}
