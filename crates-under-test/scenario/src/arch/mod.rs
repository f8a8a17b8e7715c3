//! The one place that selects per-architecture code of the interpreter: the
//! *thin* frame function, in assembly so that its stack use is known
//! exactly (INTERPRETING.md, "Frames and bodies"): it enters its site's
//! child frame, if any, and returns the child's result plus its `ret`.
//!
//! Every architecture file provides `thin(site: *const Site) -> u64` and
//! `THIN_STACK`, the bytes of the frame's declared size it uses: its return
//! address, the shadow space its caller gives it on Windows, and what it
//! saves. `THIN_MIN_FRAME` must cover it (asserted below).

#[cfg(all(target_arch = "x86_64", not(windows)))]
mod x86_64_sysv;
#[cfg(all(target_arch = "x86_64", not(windows)))]
pub use x86_64_sysv::{THIN_STACK, thin};

#[cfg(all(target_arch = "x86_64", windows))]
mod x86_64_windows;
#[cfg(all(target_arch = "x86_64", windows))]
pub use x86_64_windows::{THIN_STACK, thin};

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
mod aarch64;
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
pub use aarch64::{THIN_STACK, thin};

#[cfg(not(any(
    all(target_arch = "x86_64", not(windows)),
    all(target_arch = "x86_64", windows),
    all(target_arch = "aarch64", target_os = "linux"),
)))]
compile_error!("the scenario interpreter has no thin function for this target: add one under src/arch/");

const _: () = assert!(THIN_STACK as u64 <= scenario_format::THIN_MIN_FRAME);
