//! The one place that selects per-architecture code for test crates.
//!
//! Every architecture file provides:
//! - the process entry stub `_rt_crate_start` (a `global_asm!` block) that
//!   passes the address of `private_entry` to `rt_start` and never returns;
//! - on ELF platforms, the `.interp` section naming the dynamic linker, so the
//!   crate (a shared object) can also be started by the kernel;
//! - `trap() -> !`, an instruction that stops the process at once;
//! - `os_stack_bounds()`, the OS's record of the current stack (Windows TEB).

#[cfg(all(target_arch = "x86_64", not(windows)))]
mod x86_64_sysv;
#[cfg(all(target_arch = "x86_64", not(windows)))]
pub use x86_64_sysv::{os_stack_bounds, trap};

#[cfg(all(target_arch = "x86_64", windows))]
mod x86_64_windows;
#[cfg(all(target_arch = "x86_64", windows))]
pub use x86_64_windows::{os_stack_bounds, trap};

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
mod aarch64;
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
pub use aarch64::{os_stack_bounds, trap};

#[cfg(not(any(
    all(target_arch = "x86_64", not(windows)),
    all(target_arch = "x86_64", windows),
    all(target_arch = "aarch64", target_os = "linux"),
)))]
compile_error!("crate-support has no entry stub for this target: add one under src/arch/");
