//! `cargo xtask matrix`, `cargo xtask merge` and `cargo xtask diff OLD NEW`:
//! results for people, from the `report.json` files only (the same code as
//! the runner's `conformance matrix|merge|diff`).

use std::path::PathBuf;

use clap::Args;
use conformance::summary;
use xshell::Shell;

#[derive(Args, Debug)]
pub struct Matrix {
    /// The results directory [default: results/]
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
}

impl Matrix {
    fn dir(&self, sh: &Shell) -> PathBuf {
        self.results_dir.clone().unwrap_or_else(|| sh.current_dir().join("results"))
    }

    /// Writes `matrix.md` and `index.html` from every full report.
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        summary::matrix_command(&self.dir(sh))?;
        Ok(())
    }

    /// Merges shard reports, then writes the matrix; exits 101 when a merged report failed.
    pub fn run_merge(self, sh: &Shell) -> anyhow::Result<()> {
        let code = summary::merge_command(&self.dir(sh))?;
        if code != 0 {
            std::process::exit(code);
        }
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Diff {
    /// The earlier run: a results directory or one report.json
    pub old: PathBuf,
    /// The later run: a results directory or one report.json
    pub new: PathBuf,
}

impl Diff {
    /// Prints the regressions and fixes as Markdown; exits 1 when there are regressions.
    pub fn run(self, _sh: &Shell) -> anyhow::Result<()> {
        let code = summary::diff_command(&self.old, &self.new)?;
        if code != 0 {
            std::process::exit(code);
        }
        Ok(())
    }
}
