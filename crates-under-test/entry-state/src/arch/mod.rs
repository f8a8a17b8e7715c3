//! The one place that selects this crate's per-architecture code.
//!
//! Every architecture file provides:
//! - `entry_probe(seen)`, a frame function / proc body in assembly that
//!   records, at its first instructions, the stack pointer, the control
//!   state (and the Windows TEB fields) into `seen`, then calls
//!   `seen.stack_info(&seen.info)` from a stack it aligns itself;
//! - `call_with(call)`: `call.func(call.args…)` with `call.ctl` in force,
//!   the crate's own control state restored afterwards;
//! - `ENTRY_SP_BELOW_TOP`, `ENTRY_SP_MOD16`: where SPEC.md §10.3 puts the
//!   stack pointer at a function's first instruction (the call's, minus a
//!   pushed return address), and its remainder modulo 16 there;
//! - `CTL_NAMES`, `control_values(tag)`, `control_same`, as in the
//!   callee-saved crate; `start_values`, what a new proc starts with when
//!   its spawner had `spawner` (SPEC.md §10.11, §11.8), and `frame_values`,
//!   what a frame's function runs with (`None`: SPEC.md does not say);
//! - `HAS_OS_BOUNDS` and `root_start_wrong()`, the root's Windows
//!   exception chain and guaranteed stack bytes at its start.

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
compile_error!("entry-state has no probe for this target: add one under src/arch/");

pub const N_CTL: usize = CTL_NAMES.len();

/// x86_64: MXCSR and x87 control word per tag (tag 0: the defaults), as in
/// the callee-saved crate: rounding, FZ, DAZ, unmasked #Z / #D, precision.
#[cfg(target_arch = "x86_64")]
fn x86_control(tag: u8) -> (u64, u64) {
    const STATES: [(u64, u64); 8] = [
        (0x1f80, 0x037f), // defaults
        (0xfd80, 0x0e7b), // toward zero, FZ, #Z unmasked; x87 chop, 53-bit, #Z unmasked
        (0x5ec0, 0x047f), // up, DAZ, #D unmasked; x87 down, 24-bit
        (0xbfc0, 0x087f), // down, FZ, DAZ; x87 up, 24-bit
        (0x1c80, 0x0f7f), // nearest, #Z and #D unmasked; x87 chop, 64-bit
        (0x7f80, 0x027f), // toward zero; x87 53-bit
        (0x9f80, 0x0c7f), // FZ; x87 chop, 24-bit
        (0x3fc0, 0x067f), // down, DAZ; x87 down, 53-bit
    ];
    STATES[usize::from(tag) % STATES.len()]
}
