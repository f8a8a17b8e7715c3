//! `cargo xtask fuzz`: differential scenarios at scale. The runner's
//! scenario trials (`conformance::scenario_trials`) with more seeds than a
//! test run's fixed set: for each seed the generator makes a scenario, the
//! model predicts what a conforming runtime shows, and the interpreter crate
//! runs it against the runtime under test on each selected platform. Every
//! difference is a failing trial with its seed, its first differing record
//! and, for the first `--shrink` of a platform, the smallest scenario that
//! still differs (saved beside the repro scripts).
//!
//! ```text
//! cargo xtask fuzz [--target T] [--runtime PATH] [--count N] [--seed S] [--shard K/N] [--shrink N]
//! ```

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;
use clap::Args;
use conformance::cli::{RunArgs, Shard};
use xshell::Shell;

#[derive(Args, Debug)]
pub struct Fuzz {
    /// `all`, a platform name or a Rust target triple
    #[arg(long, value_name = "PLATFORM", default_value = "all")]
    pub target: String,
    /// The runtime under test (as for `test`) [default: the reference runtime]
    #[arg(long, value_name = "PATH")]
    pub runtime: Option<PathBuf>,
    /// The runtime's expectations.toml (its capabilities)
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// Scenarios per platform
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub count: u64,
    /// The first scenario's seed
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    pub seed: u64,
    /// Run only the K-th of N equal parts of the seeds (1 <= K <= N)
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// How many differing scenarios per platform to shrink
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub shrink: u32,
    /// Show each scenario's trial line instead of one character per scenario
    #[arg(short, long)]
    pub verbose: bool,
}

impl Fuzz {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let mut args = RunArgs {
            runtime: self.runtime,
            expectations: self.expectations,
            target: self.target,
            shard: self.shard,
            scenarios: Some(self.count),
            first_seed: self.seed,
            shrink: self.shrink,
            quiet: !self.verbose,
            verbose: self.verbose,
            ..RunArgs::default()
        };
        // Only the generated scenarios: `<platform>/scenarios/<seed>`.
        args.filters.push("/scenarios/".to_owned());
        let (runner, args) = crate::test::prepare(sh, args, "local")?;
        let error = Command::new(&runner).args(args.to_args()).exec();
        Err(error).with_context(|| format!("cannot start {}", runner.display()))
    }
}
