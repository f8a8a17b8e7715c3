//! Miri: no assembly runs under the interpreter, so each context is an OS
//! thread that holds its stack, and a switch passes a baton from one thread
//! to the next (as wasmtime's fiber crate does under Miri). Exactly one
//! thread runs at a time, and each hand-over is a mutex release/acquire, so
//! Miri sees the runtime's accesses in the order the real switches make
//! them — which is what lets it check the runtime's aliasing and ordering.
//!
//! Stacks are not switched: `call_on_stack` calls `f` on the current
//! thread, segments are allocated and accounted but not run on.

use std::sync::{Condvar, Mutex};

/// A thread's turn to run.
struct Baton {
    go: Mutex<bool>,
    cv: Condvar,
}

impl Baton {
    fn new() -> *const Baton {
        Box::into_raw(Box::new(Baton { go: Mutex::new(false), cv: Condvar::new() }))
    }

    fn give(&self) {
        *self.go.lock().unwrap() = true;
        self.cv.notify_one();
    }

    fn wait(&self) {
        let mut go = self.go.lock().unwrap();
        while !*go {
            go = self.cv.wait(go).unwrap();
        }
        *go = false;
    }
}

/// A context: the baton of the thread that runs it (made on first use for
/// a context that is already running, such as the main one).
pub struct Context {
    baton: *const Baton,
}

impl Context {
    pub const fn new() -> Context {
        Context { baton: core::ptr::null() }
    }

    /// Nothing to keep free below it: upcalls run on the current thread.
    pub fn stack_pointer(&self) -> usize {
        0
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackBounds;

impl StackBounds {
    /// Before anything is known.
    pub const EMPTY: StackBounds = StackBounds;

    pub fn of_segment(_low: usize, _high: usize) -> StackBounds {
        StackBounds
    }

    pub fn of_thread() -> StackBounds {
        StackBounds
    }
}

pub const STACK_ROOM: usize = 0;

#[derive(Clone, Copy, Debug)]
pub struct FpControl;

impl FpControl {
    pub fn current() -> FpControl {
        FpControl
    }
}

/// Hands the baton to `to` and waits for `from`'s.
///
/// # Safety
/// `from` is writable; `to` was made by `init` or saved by `switch`.
pub unsafe extern "C" fn switch(from: *mut Context, to: *const Context) {
    // SAFETY: caller's promise; batons live until the process ends.
    unsafe {
        if (*from).baton.is_null() {
            (*from).baton = Baton::new();
        }
        let mine = (*from).baton;
        (*(*to).baton).give();
        (*mine).wait();
    }
}

/// Hands the baton to `to`; this thread never runs again.
///
/// # Safety
/// As for `switch`.
pub unsafe fn jump(to: *const Context) -> ! {
    let mut abandoned = Context::new();
    // SAFETY: forwarded obligation; nobody ever gives `abandoned` the baton.
    unsafe { switch(&raw mut abandoned, to) };
    unreachable!("an abandoned context was resumed")
}

struct SendPtr<T>(T);
// SAFETY: the values are handed to a thread that runs only while the
// sender waits for its baton.
unsafe impl<T> Send for SendPtr<T> {}

/// A thread that waits for its baton, then runs `entry(arg)`.
///
/// # Safety
/// `ctx` is writable.
pub unsafe fn init(
    ctx: *mut Context,
    _stack_top: usize,
    _bounds: &StackBounds,
    _fp: FpControl,
    _main: *const Context,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    let baton = Baton::new();
    // SAFETY: `ctx` is writable (caller's promise).
    unsafe { (*ctx).baton = baton };
    let start = SendPtr((baton, entry, arg));
    std::thread::spawn(move || {
        let start = start;
        let (baton, entry, arg) = start.0;
        // SAFETY: batons live until the process ends; `entry` is what the
        // runtime asked to start.
        unsafe {
            (*baton).wait();
            entry(arg)
        }
    });
}

pub const INIT_BYTES: usize = 0;

/// `f(arg)` on the current thread.
///
/// # Safety
/// `f` may be called with `arg`.
pub unsafe extern "C" fn call_on_stack(
    _sp: usize,
    _bounds: *mut StackBounds,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    // SAFETY: caller's promise.
    unsafe { f(arg) }
}

/// `call_on_stack` for a segment's frame: the same thing here.
///
/// # Safety
/// As for `call_on_stack`.
pub unsafe fn call_on_segment(
    sp: usize,
    _low: usize,
    _high: usize,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    // SAFETY: forwarded obligation.
    unsafe { call_on_stack(sp, core::ptr::null_mut(), f, arg) }
}

pub fn stack_register(_low: usize, _high: usize) -> u32 {
    0
}

pub fn stack_deregister(_id: u32) {}

/// See `stack_register`.
pub fn stack_reuse(_low: usize, _high: usize) {}

pub fn trap() -> ! {
    std::process::abort()
}
