//! The one place that selects this crate's per-architecture code.
//!
//! Every architecture file provides:
//! - `measured_call(m)`: paints `[m.paint_low, m.call_sp)` (word at `a`:
//!   `a ^ m.pattern`) with the stack pointer at `m.paint_low`, so nothing
//!   else writes there meanwhile; then calls `m.func(m.args…)` with the
//!   stack pointer at `m.call_sp` and stores the result in `m.ret`;
//! - `trash_body(trash)` (the `stack-budget` case only): a proc body declared `TRASH_BODY_SIZE` bytes that
//!   overwrites every byte its frame gives it (SPEC.md §10.3: the declared
//!   size counts its return address and Windows shadow space) but its own
//!   return address, calls `trash.yield_now`, overwrites it all again and
//!   returns `TRASH_BODY_STATUS`.

#[cfg(all(target_arch = "x86_64", not(windows)))]
mod x86_64_sysv;
#[cfg(all(target_arch = "x86_64", not(windows)))]
pub use x86_64_sysv::*;

#[cfg(all(target_arch = "x86_64", windows))]
mod x86_64_windows;
#[cfg(all(target_arch = "x86_64", windows))]
pub use x86_64_windows::*;

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
mod aarch64;
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
pub use aarch64::*;

#[cfg(not(any(
    all(target_arch = "x86_64", not(windows)),
    all(target_arch = "x86_64", windows),
    all(target_arch = "aarch64", target_os = "linux"),
)))]
compile_error!("stack-budget has no measured call for this target: add one under src/arch/");

/// What `trash_body` gets as its argument.
#[cfg(not(feature = "services"))]
#[repr(C)]
pub struct Trash {
    /// The table's `yield_now`.
    pub yield_now: u64,
}

#[cfg(not(feature = "services"))]
/// The declared size of the trashing body: the most that still puts its
/// frame in segment 0, right under the start-up region (768 − 288 − 288).
pub const TRASH_BODY_SIZE: u64 = 192;
#[cfg(not(feature = "services"))]
/// What the trashing body returns.
pub const TRASH_BODY_STATUS: i32 = 0x600d;
#[cfg(not(feature = "services"))]
/// What it writes over its frame: a non-canonical address, so that a
/// return address or pointer of the runtime's found there faults.
const TRASH: u64 = 0xdead_0bad_dead_0bad;
