//! The conformance suite's library: the platform data files, the run plan
//! that `cargo xtask` hands the runner, and the pieces of the runner that are
//! worth testing on their own (output normalisation, goldens, artifact rules,
//! reports).
//!
//! The runner binary (`src/main.rs`) turns a plan into one libtest-mimic
//! trial per (platform, case). It treats the runtime under test as a binary
//! it did not build.

pub mod artifact;
pub mod case;
pub mod differential;
pub mod expectations;
pub mod golden;
pub mod image;
pub mod model;
pub mod outcome;
pub mod plan;
pub mod platform;
pub mod preflight;
pub mod report;
pub mod repro;
pub mod run;
pub mod scenario;
pub mod summary;

#[cfg(test)]
mod tests;
