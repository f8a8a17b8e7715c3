//! `cargo xtask bench`: builds the reference runtime and `rt-bench` natively
//! and runs them; the table is printed and written to `results/bench.json`.
//! Ratios are measured side by side in one run; nothing here is a timed test.

use clap::Args;
use xshell::{Shell, cmd};

#[derive(Args, Debug)]
pub struct Bench {}

impl Bench {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        cmd!(sh, "cargo build --quiet --release -p reference-rt -p rt-bench").run()?;
        let root = sh.current_dir();
        let runtime = root.join("target/release/librustrt.so");
        let output = root.join("results/bench.json");
        std::fs::create_dir_all(root.join("results"))?;
        let bench = root.join("target/release/rt-bench");
        cmd!(sh, "{bench} {runtime} {output}").run()?;
        Ok(())
    }
}
