//! The reference runtime: `librustrt.so` / `rustrt.dll`.
//!
//! A `no_std` cdylib whose only export is `rt_start` (SPEC.md). It talks to
//! the operating system through `os/` (libc on Linux, kernel32 on Windows)
//! and keeps per-architecture code in `arch/`. It knows nothing of its tests.
//!
//! The modules form a DAG; each uses only those before it:
//!
//! ```text
//!   budget, upcall         accounts and the ledger, failures; running on the thread's stack
//!   stack, vec, queue      a proc's segments and frames; vecs; message queues
//!   state                  the proc record and the runtime state
//!   messages               sending and receiving between procs
//!   sched                  switching, yield points, blocking, spawn, join, ends and failures
//!   table                  rt_start and the interface table
//! ```
//!
//! (`arch`, `os` and `heap` sit under all of them.) ARCHITECTURE.md draws
//! how a proc runs.
#![cfg_attr(not(test), no_std)]
// Under `cargo test` std provides the panic handler, so what only ours uses is idle.
#![cfg_attr(test, allow(dead_code, unused_imports))]

mod arch;
mod budget;
mod heap;
mod messages;
mod os;
mod queue;
mod sched;
mod stack;
mod state;
mod table;
mod upcall;
mod vec;

extern crate alloc;

#[cfg(test)]
mod tests;

/// A static the single-threaded runtime mutates: reached only as a raw
/// pointer (`get`), never through a reference that could outlive a switch.
pub(crate) struct Global<T>(core::cell::UnsafeCell<T>);

// SAFETY: the runtime runs on one thread (SPEC.md §6); under Miri, threads
// stand in for stacks but run one at a time, handing over through a mutex.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub(crate) const fn new(value: T) -> Global<T> {
        Global(core::cell::UnsafeCell::new(value))
    }

    pub(crate) fn get(&self) -> *mut T {
        self.0.get()
    }
}

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // A panic is a runtime bug; formatting its message needs more stack
    // than a segment's call reserve, so it is written from the thread's.
    upcall::run(|| os::fatal(format_args!("internal error: {info}")));
    arch::trap()
}
