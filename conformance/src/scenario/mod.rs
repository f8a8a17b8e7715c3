//! Scenarios for the model and the interpreter crate: a seeded generator
//! that aims at the boundaries of SPEC.md's rules with the model's help
//! (`generate`), the fixed set the suite runs (`fixed_set`), and a shrinker
//! that finds a smaller scenario that still fails (`shrink`).
//!
//! Files: `rng.rs` (SplitMix64, so seeds never change meaning), `build.rs`
//! (a scenario under construction and the model's view of it),
//! `episodes.rs` (the pieces aimed at each group of rules), `generate.rs`
//! (foci, endings, random procs), `shrink.rs`.

mod build;
mod episodes;
mod generate;
mod rng;
mod shrink;

#[cfg(test)]
mod tests;

pub use generate::{fixed_set, generate};
pub use rng::Rng;
pub use shrink::shrink;
