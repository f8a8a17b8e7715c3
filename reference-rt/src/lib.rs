//! The reference runtime: `librustrt.so` / `rustrt.dll`.
//!
//! A `no_std` cdylib whose only export is `rt_start` (SPEC.md). It talks to
//! the operating system through `os/` (libc on Linux, kernel32 on Windows) and
//! keeps per-architecture code in `arch/`. It knows nothing of its tests.
//!
//! `start.rs` is the handshake and the table; `stack.rs` the segmented stacks
//! and frames; `sched.rs` procs, the scheduler, messages, budgets and ticks;
//! `vec.rs` the copy-on-write vecs. ARCHITECTURE.md draws how they meet.
#![cfg_attr(not(test), no_std)]
// Under `cargo test` std provides the panic handler, so what only ours uses is idle.
#![cfg_attr(test, allow(dead_code, unused_imports))]

mod arch;
mod heap;
mod os;
mod sched;
mod stack;
mod start;
mod vec;

extern crate alloc;

#[cfg(test)]
mod tests;

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write as _;
    let _ = writeln!(os::Stderr, "rustrt: internal error: {info}");
    arch::trap()
}
