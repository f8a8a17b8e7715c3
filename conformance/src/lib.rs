//! The conformance suite's library: everything the runner does, so that
//! `cargo xtask` and the tests can use it. The runner binary (`src/main.rs`)
//! only parses its command line (`cli.rs`) and calls `suite::run` or a report
//! command (`summary.rs`). It treats the runtime under test as a binary it
//! did not build.

pub mod artifact;
pub mod case;
pub mod cli;
pub mod differential;
pub mod expectations;
pub mod golden;
pub mod image;
pub mod kinds;
pub mod model;
pub mod outcome;
pub mod platform;
pub mod preflight;
pub mod procs;
pub mod report;
pub mod repro;
pub mod run;
pub mod scenario;
pub mod scenario_trials;
pub mod suite;
pub mod summary;
pub mod wine;

/// The name under which reports file the reference runtime.
pub const REFERENCE_RUNTIME: &str = "reference";

#[cfg(test)]
mod tests;
