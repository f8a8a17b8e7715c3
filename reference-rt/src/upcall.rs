//! Upcalls: runtime code that needs more stack than a frame's call reserve
//! (allocation, freeing, output, formatting) runs on the thread's own stack,
//! below the point where the main context (`rt_start`'s) is suspended, the
//! way the historical runtime ran its services on a separate large stack.
//!
//! `run(f)` moves there for the duration of `f` (installing the thread's
//! stack bounds on Windows) and comes back; when code already runs there it
//! just calls `f`. `f` may also never return: a proc that ends or fails
//! finishes on this stack and jumps to the next proc, and calls `leave`
//! first.

use core::mem::MaybeUninit;

use crate::Global;
use crate::arch::{self, Context, StackBounds};

struct BigStack {
    /// The context suspended on the thread's stack while procs run.
    main: Context,
    /// The thread's stack as the OS describes it, kept up to date.
    bounds: StackBounds,
    /// Whether code runs on the thread's stack now.
    active: bool,
}

static BIG: Global<BigStack> = Global::new(BigStack { main: Context::new(), bounds: StackBounds::EMPTY, active: true });

/// Room left below the main context's stack pointer, whatever it was doing.
const GAP: usize = 256;
/// What upcalls use of the thread's stack at most, for valgrind (the
/// thread's stack is megabytes; upcalls allocate, free, format and write).
const UPCALL_STACK: usize = 64 * 1024;

/// Starts on the thread's stack (called once by `sched::run_root`).
pub fn init() {
    // SAFETY: single-threaded; nothing else uses BIG before procs run.
    unsafe {
        let big = BIG.get();
        (*big).bounds = StackBounds::of_thread();
        (*big).active = true;
    }
}

/// The main context, which `sched` suspends while procs run and resumes to end the process.
pub fn main_context() -> *mut Context {
    // SAFETY: a field of the static; no reference is made.
    unsafe { &raw mut (*BIG.get()).main }
}

/// Code now runs on a proc's stack: the next `run` moves.
pub fn leave() {
    // SAFETY: single-threaded.
    unsafe { (*BIG.get()).active = false }
}

/// Code runs on the thread's stack again (the main context resumed).
pub fn enter() {
    // SAFETY: single-threaded.
    unsafe { (*BIG.get()).active = true }
}

/// Runs `f` on the thread's stack and returns its result. A caller on a
/// segment keeps only `f`'s captures and result in its frame: `f` runs in
/// a trampoline, never inlined into the caller.
#[inline(always)]
pub fn run<R, F: FnOnce() -> R>(f: F) -> R {
    /// Takes `f` out of the slot and puts its result in. Never inlined:
    /// `f`'s locals belong on the thread's stack, not in the caller's frame.
    #[inline(never)]
    unsafe extern "C" fn trampoline<R, F: FnOnce() -> R>(slot: u64) -> u64 {
        // SAFETY: `slot` is the `(Option<F>, MaybeUninit<R>)` below, alive for the call.
        unsafe {
            let slot = slot as *mut (Option<F>, MaybeUninit<R>);
            let f = (*slot).0.take().unwrap_unchecked();
            (*slot).1.write(f());
        }
        0
    }
    let mut slot: (Option<F>, MaybeUninit<R>) = (Some(f), MaybeUninit::uninit());
    run_erased(trampoline::<R, F>, &raw mut slot as u64);
    // SAFETY: the trampoline wrote the result (or never returned).
    unsafe { slot.1.assume_init() }
}

/// Calls `f(arg)` on the thread's stack: directly when code runs there
/// already, else below the suspended main context. Inlined into each
/// caller (all small, mostly cold): a call level costs stack on a segment.
#[inline(always)]
fn run_erased(f: unsafe extern "C" fn(u64) -> u64, arg: u64) {
    let big = BIG.get();
    // SAFETY: single-threaded; the main context is suspended in `switch`
    // (active is false only then), so the stack below its stack pointer is
    // free until `leave` is called again; no reference to BIG is held while
    // `f` runs.
    unsafe {
        if (*big).active {
            f(arg);
            return;
        }
        (*big).active = true;
        let sp = (*big).main.stack_pointer().wrapping_sub(GAP) & !15;
        arch::stack_reuse(sp.wrapping_sub(UPCALL_STACK), sp);
        arch::call_on_stack(sp, &raw mut (*big).bounds, f, arg);
        (*big).active = false;
    }
}
