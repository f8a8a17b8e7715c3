//! The one place that selects per-architecture code of the runtime.
//!
//! Every architecture file provides:
//! - `Context`, the callee-saved state of a suspended execution context, and
//!   `switch_context(from, to)`, which saves one and resumes another;
//! - `init_context(ctx, stack_top, bounds, entry, arg)`: a context that starts
//!   `entry(arg)` on a given stack;
//! - `call_on_stack(sp, bounds, f, arg)`: `f(arg)` on another stack, then back;
//! - `thread_stack_bounds()`: the OS's idea of the current stack (Windows TEB);
//! - `rust_eh_personality`, a hidden symbol (see below);
//! - `trap() -> !`, an instruction that stops the process at once.
//!
//! The precompiled `core` names the unwinder's personality routine even though
//! the runtime is built with `panic = "abort"` and never unwinds. Defining it
//! in assembly keeps it out of the library's exports (a `#[no_mangle]` Rust
//! function would be exported).

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
compile_error!("reference-rt has no support for this target: add a file under src/arch/");

/// A stack's bounds as Windows records them in the TEB: `base` is the highest
/// address, `limit` the lowest usable one, `dealloc` the lowest reserved one.
/// Other platforms carry them but do not use them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StackBounds {
    pub base: usize,
    pub limit: usize,
    pub dealloc: usize,
}
