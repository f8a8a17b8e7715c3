//! The conformance runner: `conformance [OPTIONS] [FILTER]...` runs one
//! libtest-mimic trial per (platform, case), named `<platform>/<case>`;
//! `conformance diff|merge|matrix` work on reports. See `cli.rs` for the
//! options and `suite.rs` for what a run does.

use clap::Parser as _;
use conformance::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        None => conformance::suite::run(&cli.run),
        Some(Command::Diff(args)) => conformance::summary::diff_command(&args.old, &args.new),
        Some(Command::Merge(args)) => conformance::summary::merge_command(&args.results_dir),
        Some(Command::Matrix(args)) => conformance::summary::matrix_command(&args.results_dir),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("conformance: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
