//! The one place that selects this crate's per-architecture code: the
//! probe helper and what it loads.
//!
//! Every architecture file provides:
//! - `probe_call(p)`: loads `p`'s values into every callee-saved register
//!   and the control state, calls `p.func(p.args…)`, stores what it finds
//!   after the call, and restores the crate's own state;
//! - `GPR_NAMES`, `VEC_NAMES` (and `VEC_WORDS`, the 64-bit words of each
//!   vector register the ABI preserves), `CTL_NAMES`, `SP_NAME`: what a
//!   proc keeps (SPEC.md §11.8), in the order `Probe` holds them;
//! - `control_values(tag)`: the control state a proc tagged `tag` loads,
//!   distinct per tag, and `control_same`, which compares the bits the
//!   ABI preserves;
//! - `HAS_OS_BOUNDS`: whether the OS keeps per-stack bounds that
//!   `probe_call` reads after the call (the Windows TEB).

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
compile_error!("callee-saved has no probe for this target: add one under src/arch/");

pub const N_GPR: usize = GPR_NAMES.len();
pub const N_VEC: usize = VEC_NAMES.len();
pub const N_CTL: usize = CTL_NAMES.len();

/// x86_64: MXCSR and x87 control word a proc tagged `tag` loads. Tag 0 is
/// the default state; the others differ from it and from each other in
/// rounding (RC), flush-to-zero (FZ), denormals-are-zero (DAZ), which
/// exceptions are masked (the zero-divide and denormal exceptions are
/// unmasked in some, nothing here raises them) and x87 precision control.
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
