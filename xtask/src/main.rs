//! `cargo xtask`: the project's commands. One file per command; each command
//! is a struct with `fn run(self, sh: &Shell) -> anyhow::Result<()>`.
//!
//! ```text
//! cargo xtask test  [--target T|all] [--runtime PATH] [--name NAME] [--expectations FILE]
//!                   [--backend local|cross] [-- LIBTEST-ARGS]
//! cargo xtask bless [--target T|all] [-- LIBTEST-ARGS]     rewrite goldens (refused when CI is set)
//! cargo xtask fixtures [--target T|all]                    the broken runtimes fail what they should
//! cargo xtask deps  [--target T|all]                       install packages and rust targets
//! cargo xtask bench                                        runtime vs baselines -> results/bench.json
//! cargo xtask matrix                                       results/matrix.md and index.html from the reports
//! cargo xtask mutants [--target P]                         cargo-mutants over reference-rt -> results/mutants.json
//! cargo xtask diff OLD NEW                                 regressions and fixes between two runs, as Markdown
//! cargo xtask ci                                           fmt, clippy, unit tests, suite, fixtures
//! ```

mod bench;
mod build;
mod ci;
mod debuggers;
mod deps;
mod fixtures;
mod fuzz;
mod mutants;
/// The marker `suite_test` prints for a runtime that does not build; shared
/// with `mutants.rs`, which is not a test module.
mod suite_test_marker {
    pub const UNVIABLE_MARKER: &str = "conformance-suite: the runtime under test does not build";
}
mod report;
mod stack_budget;
#[cfg(test)]
mod suite_test;
mod test;
#[cfg(test)]
mod tidy;
mod wine;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use xshell::Shell;

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        bail!("no command: use one of test, bless, fixtures, deps, bench, matrix, diff, ci (see xtask/src/main.rs)");
    }
    let command = args.remove(0);
    if command == "fuzz" {
        return fuzz::Fuzz::parse(&args)?.run(&sh);
    }
    if command == "diff" {
        let [old, new] = args.as_slice() else {
            bail!("usage: cargo xtask diff OLD NEW (results directories or report.json files)")
        };
        return report::diff(Path::new(old), Path::new(new));
    }
    let options = Options::parse(args)?;
    match command.as_str() {
        "test" => test::Test { options, bless: false }.run(&sh),
        "bless" => test::Test { options, bless: true }.run(&sh),
        "fixtures" => fixtures::Fixtures { options }.run(&sh),
        "deps" => deps::Deps { target: options.target }.run(&sh),
        "bench" => bench::Bench.run(&sh),
        "matrix" => report::write_matrix(&sh),
        "mutants" => mutants::Mutants { target: mutants_target(&options), summarize_only: false }.run(&sh),
        "mutants-summary" => mutants::Mutants { target: mutants_target(&options), summarize_only: true }.run(&sh),
        "ci" => ci::Ci.run(&sh),
        "debuggers" => debuggers::Debuggers.run(&sh),
        "stack-budget" => stack_budget::StackBudget.run(&sh),
        other => bail!("unknown command `{other}`: use one of test, bless, fixtures, deps, bench, matrix, diff, ci"),
    }
}

/// Options shared by the commands that run the suite.
#[derive(Clone, Debug)]
pub struct Options {
    /// `all`, a platform name or a Rust target triple.
    pub target: String,
    /// The runtime under test; `None` for the reference runtime.
    pub runtime: Option<PathBuf>,
    /// The name reports use for the runtime under test.
    pub runtime_name: Option<String>,
    /// The runtime's expectations file (xfail list, capabilities).
    pub expectations: Option<PathBuf>,
    /// `local` (the default) or `cross`.
    pub backend: String,
    /// Passed to the libtest-mimic runner: filters, `--exact`, `--list`…
    pub libtest_args: Vec<String>,
}

impl Options {
    fn parse(args: Vec<String>) -> anyhow::Result<Options> {
        let mut options = Options {
            target: "all".to_owned(),
            runtime: None,
            runtime_name: None,
            expectations: None,
            backend: "local".to_owned(),
            libtest_args: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| args.next().with_context(|| format!("{flag} needs a value"));
            match arg.as_str() {
                "--target" => options.target = value("--target")?,
                "--runtime" => options.runtime = Some(PathBuf::from(value("--runtime")?)),
                "--name" => options.runtime_name = Some(value("--name")?),
                "--expectations" => options.expectations = Some(PathBuf::from(value("--expectations")?)),
                "--backend" => options.backend = value("--backend")?,
                "--" => {
                    options.libtest_args = args.collect();
                    break;
                }
                other => bail!("unknown option `{other}` (runner options go after `--`)"),
            }
        }
        Ok(options)
    }
}

/// `mutants` runs on one platform: linux-x86_64 unless `--target` says otherwise.
fn mutants_target(options: &Options) -> String {
    if options.target == "all" { "linux-x86_64".to_owned() } else { options.target.clone() }
}

/// The workspace root.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}
