//! `cargo xtask test` and `cargo xtask bless`: check the inputs, build the
//! suite for the selected platforms, then hand over to the conformance
//! runner (`target/release/conformance`), which replaces this process: a
//! SIGINT or SIGTERM reaches the runner directly, and it stops every case.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use clap::Args;
use conformance::REFERENCE_RUNTIME;
use conformance::cli::RunArgs;
use conformance::suite::{Layout, check_inputs};
use xshell::Shell;

use crate::build::{self, Built};

#[derive(Args, Debug, Clone)]
pub struct Test {
    #[command(flatten)]
    pub run: RunArgs,
    /// What builds the Rust parts: the local toolchains, or `cross` (docker or podman)
    #[arg(long, value_name = "local|cross", default_value = "local")]
    pub backend: String,
}

impl Test {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let (runner, args) = prepare(sh, self.run, &self.backend)?;
        let error = Command::new(&runner).args(args.to_args()).exec();
        Err(error).with_context(|| format!("cannot start {}", runner.display()))
    }
}

/// The repository's layout for the runner: what `cargo xtask` builds.
pub fn layout(root: &Path) -> Layout {
    Layout {
        platforms: root.join("platforms"),
        cases: root.join("conformance/cases"),
        build: root.join("target/conformance/build"),
        work: root.join("target/conformance/work"),
    }
}

/// Checks the inputs, builds what the run needs, and returns the runner and
/// its arguments: the repository's layout, and the reference runtime when
/// no `--runtime` was given.
pub fn prepare(sh: &Shell, mut args: RunArgs, backend: &str) -> anyhow::Result<(PathBuf, RunArgs)> {
    let root = sh.current_dir();
    let layout = layout(&root);
    let reference = args.runtime.is_none();
    if reference {
        args.name.get_or_insert_with(|| REFERENCE_RUNTIME.to_owned());
        args.expectations.get_or_insert_with(|| root.join("reference-rt/expectations.toml"));
        args.runtime = Some(root.join("target/conformance/reference"));
    }
    args.results_dir.get_or_insert_with(|| root.join("results"));
    args.platforms = Some(layout.platforms.clone());
    args.cases = Some(layout.cases.clone());
    args.build = Some(layout.build.clone());
    args.work_dir = Some(layout.work.clone());
    // Everything that can be wrong with the inputs is said before any build.
    check_inputs(&args, &layout, false, !reference)?;

    let platforms = build::platforms(sh, &args.target)?;
    crate::deps::ensure(sh, &platforms)?;
    let backend = build::Backend::choose(sh, backend)?;
    let builds = platforms
        .iter()
        .map(|p| build::build_platform(sh, p, backend, args.verbose))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if reference {
        stage_reference(&root, &builds)?;
    }
    let runner = build::runner(sh, args.verbose)?;
    Ok((runner, args))
}

/// Copies each platform's reference runtime to
/// `target/conformance/reference/<platform>/`, the layout `--runtime DIR` reads.
pub fn stage_reference(root: &Path, builds: &[Built]) -> anyhow::Result<()> {
    for built in builds {
        let dir = root.join("target/conformance/reference").join(&built.platform.name);
        std::fs::create_dir_all(&dir)?;
        let to = dir.join(&built.platform.runtime_file);
        std::fs::copy(&built.reference_runtime, &to)
            .with_context(|| format!("cannot copy {} to {}", built.reference_runtime.display(), to.display()))?;
    }
    Ok(())
}

/// Runs the runner as a child with `args` (and `env` added to its
/// environment); its output goes to `log` when given. Returns whether it
/// succeeded.
pub fn run_runner(
    runner: &Path,
    args: &RunArgs,
    log: Option<&Path>,
    env: &[(&str, std::ffi::OsString)],
) -> anyhow::Result<bool> {
    let mut command = Command::new(runner);
    command.args(args.to_args()).envs(env.iter().map(|(k, v)| (k, v)));
    if let Some(log) = log {
        let file = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        command.stdout(file.try_clone()?).stderr(file);
    }
    let status = command.status().with_context(|| format!("cannot start {}", runner.display()))?;
    Ok(status.success())
}
