//! The one place that selects this crate's per-architecture code: `crash_at(sp)`
//! and `WHAT` it does — an illegal instruction (`ud2`, `udf #0`, so that all
//! three platforms report the same kind of crash) or, with the feature
//! `fault`, a write through a null pointer.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
mod aarch64;
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
pub use aarch64::*;

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))))]
compile_error!("crash-on-segment has no crash for this target: add one under src/arch/");

#[cfg(not(feature = "fault"))]
pub const WHAT: &str = "an illegal instruction";
#[cfg(feature = "fault")]
pub const WHAT: &str = "a write through a null pointer";
