//! Scenarios for the model and the interpreter crate: a seeded generator, the
//! fixed set the suite runs, and a shrinker.
