//! `cargo xtask`: the project's commands, declared once in `Cli` (clap:
//! `cargo xtask --help`, `cargo xtask <command> --help`). One file per
//! command; each command is a struct with `fn run(self, sh: &Shell) ->
//! anyhow::Result<()>`.
//!
//! Options of the conformance runner (`conformance::cli::RunArgs`) are
//! shared by `test` and `bless`; what follows `--` is read as runner
//! options too, libtest style (`cargo xtask test -- --exact linux-x86_64/handshake`).
//! Commands that fan out over CI machines take `--shard K/N`
//! (`conformance::cli::Shard`): `test`, `mutants` and `fuzz`.

mod bench;
mod build;
mod ci;
mod debuggers;
mod deps;
mod example;
mod fixtures;
mod fuzz;
mod kit;
mod miri;
mod mutants;
mod new_case;
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

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use conformance::cli::RunArgs;
use xshell::Shell;

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "The rustrt conformance project's commands", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build the suite for the selected platforms and run it against a runtime (the reference by default)
    Test(test::Test),
    /// Like `test`, rewriting goldens from what ran (refused when CI is set)
    Bless(test::Test),
    /// The broken runtimes under conformance/fixtures fail exactly the cases they should
    Fixtures(fixtures::Fixtures),
    /// Install the Debian packages and rust targets the platforms need
    Deps(deps::Deps),
    /// The reference runtime against baselines -> results/bench.json
    Bench(bench::Bench),
    /// results/matrix.md and index.html from the full reports
    Matrix(report::Matrix),
    /// Regressions and fixes between two runs, as Markdown (exit 1 on regressions)
    Diff(report::Diff),
    /// Merge the shard reports of a results directory into full reports and a matrix
    Merge(report::Matrix),
    /// cargo-mutants over reference-rt with the suite as the test -> results/mutants*.json
    Mutants(mutants::Mutants),
    /// Scaffold a case: conformance/cases/NAME and crates-under-test/NAME
    NewCase(new_case::NewCase),
    /// One archive to run the suite without a Rust toolchain: runner, built crates, hosts, goldens
    Kit(kit::Kit),
    /// Build the example C runtime (examples/c-runtime) and check what the suite says about it
    Example(example::Example),
    /// Generated scenarios against the model: the interpreter crate on each platform, differences shrunk
    Fuzz(fuzz::Fuzz),
    /// The runtime's logic under Miri (Stacked and Tree Borrows), on its cfg(miri) backend
    Miri(miri::Miri),
    /// gdb's backtrace through segments and valgrind's memcheck on the reference runtime (linux-x86_64)
    Debuggers(debuggers::Debuggers),
    /// Stack use of the runtime's code on segments, from the disassembly, against SPEC.md's reserves
    StackBudget(stack_budget::StackBudget),
    /// What CI runs: fmt, clippy, unit tests, Miri, stack budgets, gdb and valgrind, the suite, fixtures, example, kit
    Ci(ci::Ci),
}

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let mut argv: Vec<String> = std::env::args().collect();
    // What follows `--` is for the runner, libtest style: parse it as runner options.
    let after = match argv.iter().position(|a| a == "--") {
        Some(at) => {
            let after: Vec<String> = argv.drain(at..).skip(1).collect();
            Some(after)
        }
        None => None,
    };
    let mut cli = Cli::parse_from(&argv);
    if let Some(after) = after {
        let extra = RunnerArgs::try_parse_from(std::iter::once("runner-options".to_owned()).chain(after))
            .map_err(|e| anyhow::anyhow!("after `--`: {}", e.to_string().trim_end()))?
            .run;
        match &mut cli.command {
            Command::Test(test) | Command::Bless(test) => test.run.merge_after_dashes(extra),
            Command::Fixtures(fixtures) => fixtures.names.extend(extra.filters),
            _ => anyhow::bail!("only test, bless and fixtures take arguments after `--`"),
        }
    }
    match cli.command {
        Command::Test(test) => test.run(&sh),
        Command::Bless(mut test) => {
            test.run.bless = true;
            test.run(&sh)
        }
        Command::Fixtures(fixtures) => fixtures.run(&sh),
        Command::Deps(deps) => deps.run(&sh),
        Command::Bench(bench) => bench.run(&sh),
        Command::Matrix(matrix) => matrix.run(&sh),
        Command::Diff(diff) => diff.run(&sh),
        Command::Merge(merge) => merge.run_merge(&sh),
        Command::Mutants(mutants) => mutants.run(&sh),
        Command::NewCase(new_case) => new_case.run(&sh),
        Command::Kit(kit) => kit.run(&sh),
        Command::Example(example) => example.run(&sh),
        Command::Fuzz(fuzz) => fuzz.run(&sh),
        Command::Miri(miri) => miri.run(&sh),
        Command::Debuggers(debuggers) => debuggers.run(&sh),
        Command::StackBudget(stack_budget) => stack_budget.run(&sh),
        Command::Ci(ci) => ci.run(&sh),
    }
}

/// The runner options after `--`.
#[derive(Parser, Debug)]
#[command(no_binary_name = false)]
struct RunnerArgs {
    #[command(flatten)]
    run: RunArgs,
}

/// The workspace root.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}
