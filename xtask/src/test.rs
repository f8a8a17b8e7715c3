//! `cargo xtask test` and `cargo xtask bless`: build for the selected
//! platforms, then run the conformance runner against the runtime under test.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use conformance::plan::{PLAN_ENV, Plan, PlatformRun, REFERENCE_RUNTIME};
use conformance::platform::Platform;
use xshell::{Shell, cmd};

use crate::build::{self, Built};
use crate::{Options, deps, wine};

pub struct Test {
    pub options: Options,
    pub bless: bool,
}

impl Test {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        if self.bless && std::env::var_os("CI").is_some() {
            bail!("refusing to bless goldens while CI is set: bless locally, read the diff, commit it");
        }
        let platforms = build::platforms(sh, &self.options.target)?;
        deps::ensure(sh, &platforms)?;
        let backend = build::Backend::choose(sh, &self.options.backend)?;
        let builds =
            platforms.iter().map(|p| build::build_platform(sh, p, backend)).collect::<anyhow::Result<Vec<_>>>()?;
        let runtime = RuntimeUnderTest::from_options(&self.options, &platforms)?;
        let expectations = match &self.options.expectations {
            Some(path) => Some(std::path::absolute(path)?),
            None => runtime.default_expectations(&sh.current_dir()),
        };
        let passed = run_suite(sh, &builds, &runtime, self.bless, &self.options.libtest_args, expectations, None)?;
        crate::report::write_matrix(sh)?;
        if !passed {
            bail!("the conformance suite failed against runtime `{}`", runtime.name);
        }
        Ok(())
    }
}

/// The runtime under test: a name for reports and where each platform's
/// library is.
pub struct RuntimeUnderTest {
    pub name: String,
    source: RuntimeSource,
}

enum RuntimeSource {
    Reference,
    /// One library, for the one selected platform.
    File(PathBuf),
    /// `<dir>/<platform>/<runtime_file>`, or `<dir>/<runtime_file>`.
    Dir(PathBuf),
}

impl RuntimeUnderTest {
    pub fn reference() -> RuntimeUnderTest {
        RuntimeUnderTest { name: REFERENCE_RUNTIME.to_owned(), source: RuntimeSource::Reference }
    }

    pub fn from_dir(name: &str, dir: &Path) -> RuntimeUnderTest {
        RuntimeUnderTest { name: name.to_owned(), source: RuntimeSource::Dir(dir.to_owned()) }
    }

    fn from_options(options: &Options, platforms: &[Platform]) -> anyhow::Result<RuntimeUnderTest> {
        let Some(path) = &options.runtime else {
            return Ok(RuntimeUnderTest::reference());
        };
        let path = std::path::absolute(path)?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = options.runtime_name.clone().unwrap_or(stem);
        if path.is_file() {
            if platforms.len() != 1 {
                bail!(
                    "`--runtime {}` is one platform's library: choose that platform with `--target`, \
                     or pass a directory holding <platform>/<runtime file> for each",
                    path.display()
                );
            }
            return Ok(RuntimeUnderTest { name, source: RuntimeSource::File(path) });
        }
        if path.is_dir() {
            return Ok(RuntimeUnderTest { name, source: RuntimeSource::Dir(path) });
        }
        bail!("the runtime under test {} does not exist", path.display())
    }

    /// The expectations kept with the runtime: `reference-rt/expectations.toml`
    /// for the reference, `expectations.toml` beside (or in) another.
    pub fn default_expectations(&self, root: &Path) -> Option<PathBuf> {
        let path = match &self.source {
            RuntimeSource::Reference => root.join("reference-rt/expectations.toml"),
            RuntimeSource::File(file) => file.with_file_name("expectations.toml"),
            RuntimeSource::Dir(dir) => dir.join("expectations.toml"),
        };
        path.is_file().then_some(path)
    }

    fn path_for(&self, built: &Built, n_platforms: usize) -> anyhow::Result<PathBuf> {
        let platform = &built.platform;
        let path = match &self.source {
            RuntimeSource::Reference => built.reference_runtime.clone(),
            RuntimeSource::File(path) => path.clone(),
            RuntimeSource::Dir(dir) => {
                let nested = dir.join(&platform.name).join(&platform.runtime_file);
                let flat = dir.join(&platform.runtime_file);
                if nested.is_file() || n_platforms > 1 { nested } else { flat }
            }
        };
        if !path.is_file() {
            bail!("runtime `{}` has no library for {}: {} does not exist", self.name, platform.name, path.display());
        }
        Ok(path)
    }
}

/// Runs the suite against `runtime` on every built platform. Returns whether
/// every trial passed. With `log`, the runner's output goes to that file
/// instead of the terminal.
pub fn run_suite(
    sh: &Shell,
    builds: &[Built],
    runtime: &RuntimeUnderTest,
    bless: bool,
    libtest_args: &[String],
    expectations: Option<PathBuf>,
    log: Option<&Path>,
) -> anyhow::Result<bool> {
    let root = sh.current_dir();
    let _wine = if builds.iter().any(|b| b.platform.wine) { Some(wine::start(&root)?) } else { None };
    let mut runs = Vec::new();
    for built in builds {
        let mut env = Vec::new();
        if built.platform.wine {
            env.push(("WINEPREFIX".to_owned(), wine::prefix(&root).display().to_string()));
        }
        runs.push(PlatformRun {
            platform: built.platform.clone(),
            runtime_name: runtime.name.clone(),
            runtime_path: runtime.path_for(built, builds.len())?,
            crates_dir: built.crates_dir.clone(),
            host_path: built.host_path.clone(),
            work_dir: built.dir.join(format!("run-{}", runtime.name)),
            env,
        });
    }
    let plan = Plan {
        cases_dir: root.join("conformance/cases"),
        results_dir: root.join("results"),
        bless,
        expectations,
        runs,
    };
    let plan_path = root.join("target/conformance").join(format!("plan-{}.json", runtime.name));
    plan.write(&plan_path)?;

    cmd!(sh, "cargo build --quiet --release -p conformance").run()?;
    let runner = root.join("target/release/conformance");
    eprintln!("xtask: running the conformance suite against runtime `{}`", runtime.name);
    let mut command = Command::new(&runner);
    command.args(libtest_args).env(PLAN_ENV, &plan_path);
    if let Some(log) = log {
        let file = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        command.stdout(file.try_clone()?).stderr(file);
    }
    let status = command.status().with_context(|| format!("cannot start {}", runner.display()))?;
    Ok(status.success())
}
