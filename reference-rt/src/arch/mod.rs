//! The one place that selects per-architecture code of the runtime.
//!
//! Every architecture file provides:
//! - `Context` (`new`, `stack_pointer`): what a suspended execution context
//!   keeps, and `switch(from, to)`, which suspends one and resumes another;
//!   `jump(to)`, which resumes one and abandons the current;
//! - `init(ctx, stack_top, bounds, fp, main, entry, arg)`: a context that
//!   starts `entry(arg)` on a given stack, and `INIT_BYTES`, what that uses
//!   at the top of the stack;
//! - `call_on_stack(sp, bounds, f, arg)`: `f(arg)` on another stack, then
//!   back; `call_on_segment(sp, low, high, f, arg)`: the same into a frame of
//!   a segment whose frame space is `[low, high)`;
//! - `StackBounds` (`of_segment`, `of_thread`): the OS's description of a
//!   stack while code runs on it (Windows' TEB; nothing elsewhere), and
//!   `STACK_ROOM`, the bytes the OS needs below every segment;
//! - `FpControl::current()`: the floating-point control state a new proc
//!   inherits (SPEC.md §11.8);
//! - `stack_register(low, high)` / `stack_deregister(id)`: valgrind's stack
//!   registry, and `stack_reuse(low, high)`: memcheck told that part of a
//!   stack is used again (no-ops outside valgrind);
//! - `rust_eh_personality`, a hidden symbol (see below), and `trap() -> !`.
//!
//! Every assembly offset is `offset_of!` of its struct, passed as a `const`
//! operand, with the layouts the code relies on asserted at compile time.
//!
//! The precompiled `core` names the unwinder's personality routine even
//! though the runtime is built with `panic = "abort"` and never unwinds.
//! Defining it in assembly keeps it out of the library's exports (a
//! `#[no_mangle]` Rust function would be exported).
//!
//! Under Miri, `miri.rs` replaces all of it with threads (see there).

#[cfg(all(target_arch = "x86_64", not(windows), not(miri)))]
mod x86_64_sysv;
#[cfg(all(target_arch = "x86_64", not(windows), not(miri)))]
pub use x86_64_sysv::*;

#[cfg(all(target_arch = "x86_64", windows, not(miri)))]
mod x86_64_windows;
#[cfg(all(target_arch = "x86_64", windows, not(miri)))]
pub use x86_64_windows::*;

#[cfg(all(target_arch = "aarch64", target_os = "linux", not(miri)))]
mod aarch64;
#[cfg(all(target_arch = "aarch64", target_os = "linux", not(miri)))]
pub use aarch64::*;

#[cfg(miri)]
mod miri;
#[cfg(miri)]
pub use miri::*;

#[cfg(not(any(
    miri,
    all(target_arch = "x86_64", not(windows)),
    all(target_arch = "x86_64", windows),
    all(target_arch = "aarch64", target_os = "linux"),
)))]
compile_error!("reference-rt has no support for this target: add a file under src/arch/");
