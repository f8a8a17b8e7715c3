//! Procs, the scheduler and message queues (seed lines 2–17).
//!
//! One OS thread runs everything. The scheduler loop runs on that thread's
//! own stack (the "big stack"); each proc runs on its segmented stack and
//! switches back to the scheduler to yield, block or end.
//!
//! Scheduling is deterministic: one FIFO run queue. A spawned proc joins its
//! tail; a proc that yields goes to its tail; a proc woken by a message or by
//! the end of the proc it joins goes to its tail at that moment. A proc runs
//! until it yields, blocks or ends. The same program therefore interleaves
//! the same way on every platform.
//!
//! Runtime code that may need more than a few hundred bytes of stack (the
//! allocator, the OS) runs through `on_big_stack`, on the scheduler's stack
//! below the point where the scheduler is suspended.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::fmt;

use rt_abi::{ExitStatus, FrameDesc, FrameFn, ProcInfo, RT_JOIN_SELF, RT_NO_SUCH_PROC, RtVec, SpawnArgs, StackModel};

use crate::arch::{self, Context, StackBounds};
use crate::stack::{self, FrameRecord, Segment};

/// The root proc: it runs the crate's `rust_entry`.
pub const ROOT: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Runnable,
    Running,
    Receiving,
    /// Waiting for this proc to end.
    Joining(u32),
    /// Ended, with this status (a failure's status included).
    Ended(i32),
}

pub struct Message {
    sender: u32,
    charge: u64,
    bytes: Box<[u8]>,
    /// A reference to a vec the message carries (it holds one), or null.
    vec: *mut RtVec,
}

pub struct Proc {
    pub id: u32,
    ctx: Context,
    pub state: State,
    /// The segment the proc runs on now, and its first one.
    pub seg: *mut Segment,
    pub first: *mut Segment,
    /// The innermost frame.
    pub frame: *mut FrameRecord,
    pub depth: u64,
    pub segments_allocated: u64,
    pub segments_freed: u64,
    pub mem_budget: u64,
    pub curr_mem: u64,
    env: *mut c_void,
    entry_desc: *const FrameDesc,
    entry: FrameFn,
    arg: u64,
    queue: VecDeque<Message>,
    joiners: Vec<u32>,
    pub curr_ticks: u64,
    pub tick_budget: u64,
    /// Ticks since the proc was last switched in: its time slice.
    pub slice_ticks: u64,
    pub vec_copies: u64,
    /// The vec references this proc holds, one entry per reference.
    pub held: Vec<*mut RtVec>,
}

enum Slot {
    Live(Box<Proc>),
    Ended { status: i32, discarded: u64 },
}

struct Runtime {
    /// Indexed by `id - 1`; ids are never reused.
    procs: Vec<Slot>,
    run_queue: VecDeque<u32>,
    current: *mut Proc,
    sched_ctx: Context,
    thread_bounds: StackBounds,
}

/// The runtime's state. Only the one scheduler thread touches it.
struct Global(UnsafeCell<Option<Runtime>>);

// SAFETY: the runtime runs on one thread (SPEC.md); nothing else reads this.
unsafe impl Sync for Global {}

static RT: Global = Global(UnsafeCell::new(None));

/// The runtime state.
fn rt() -> &'static mut Runtime {
    // SAFETY: single-threaded; `start` fills it before any proc runs, and
    // callers do not keep the reference across a context switch.
    unsafe { (*RT.0.get()).as_mut().unwrap_unchecked() }
}

/// The scheduler's saved context, as a raw pointer: it is written by one
/// switch and read by another while procs run, so no reference to it may
/// stay alive across a switch.
fn sched_ctx() -> *mut Context {
    &raw mut rt().sched_ctx
}

/// The running proc.
pub fn current() -> *mut Proc {
    rt().current
}

/// Runs `f` on the scheduler's stack, below where the scheduler is suspended,
/// with the thread's own stack bounds. Only called from a proc.
pub fn on_big_stack<F: FnOnce()>(f: F) {
    unsafe extern "C" fn trampoline<F: FnOnce()>(arg: u64) -> u64 {
        // SAFETY: `arg` is the `Option<F>` below, alive for the call.
        let f = unsafe { (*(arg as *mut Option<F>)).take().unwrap_unchecked() };
        f();
        0
    }
    let mut f = Some(f);
    // Copied out, so that no reference to the runtime state is alive while
    // `f` (which reaches it again) runs. Leave room under the scheduler's
    // suspended frame (and any red zone).
    let (sp, bounds) = {
        let rt = rt();
        ((rt.sched_ctx.stack_pointer() - 256) & !15, rt.thread_bounds)
    };
    // SAFETY: the scheduler is suspended in `switch_context`, so the stack
    // below its stack pointer is free while this proc runs.
    unsafe { arch::call_on_stack(sp, &bounds, trampoline::<F>, &mut f as *mut Option<F> as u64) };
}

/// Writes a runtime message to standard error.
fn report(args: fmt::Arguments) {
    use fmt::Write as _;
    let _ = crate::os::Stderr.write_fmt(args);
}

/// A failure of the runtime itself: message and abort.
pub fn fatal(args: fmt::Arguments) -> ! {
    report(format_args!("rustrt: fatal: {args}\n"));
    arch::trap()
}

/// Fails the running proc: prints why, ends it with `status`, and switches to
/// the scheduler, which frees everything it held. Never returns. Called on
/// the big stack.
pub fn fail_current(status: i32, why: fmt::Arguments) -> ! {
    let rt = rt();
    let p = rt.current;
    // SAFETY: `p` is the running proc; its stack is abandoned, never resumed.
    unsafe {
        report(format_args!("rustrt: proc {} failed: {why}\n", (*p).id));
        (*p).state = State::Ended(status);
        arch::switch_context(&raw mut (*p).ctx, sched_ctx());
    }
    arch::trap()
}

/// Creates the runtime state and the root proc, then runs the scheduler
/// until the root proc ends; returns its status.
pub fn run_root(entry_desc: &'static FrameDesc, entry: FrameFn, arg: u64) -> i32 {
    // SAFETY: called once, before any proc exists.
    unsafe {
        *RT.0.get() = Some(Runtime {
            procs: Vec::new(),
            run_queue: VecDeque::new(),
            current: core::ptr::null_mut(),
            sched_ctx: Context::default(),
            thread_bounds: arch::thread_stack_bounds(),
        });
    }
    let args = SpawnArgs { entry_desc, entry, arg, env: core::ptr::null_mut(), mem_budget: u64::MAX, tick_budget: 0 };
    let root = create_proc(&args);
    debug_assert_eq!(root, ROOT);
    schedule()
}

/// Makes a proc and queues it; returns its id, or 0 when its budget cannot
/// pay for its record and first segment. Runs on a big stack.
fn create_proc(args: &SpawnArgs) -> u32 {
    let rt = rt();
    let first_charge = StackModel::PROC_CHARGE + StackModel::SEGMENT_HEADER + StackModel::FIRST_SEGMENT_SIZE;
    if first_charge > args.mem_budget {
        return 0;
    }
    let id = rt.procs.len() as u32 + 1;
    let first = stack::allocate(core::ptr::null_mut(), StackModel::FIRST_SEGMENT_SIZE);
    let mut proc = Box::new(Proc {
        id,
        ctx: Context::default(),
        state: State::Runnable,
        seg: first,
        first,
        frame: core::ptr::null_mut(),
        depth: 0,
        segments_allocated: 1,
        segments_freed: 0,
        mem_budget: args.mem_budget,
        curr_mem: first_charge,
        env: args.env,
        entry_desc: args.entry_desc,
        entry: args.entry,
        arg: args.arg,
        queue: VecDeque::new(),
        joiners: Vec::new(),
        curr_ticks: 0,
        tick_budget: args.tick_budget,
        slice_ticks: 0,
        vec_copies: 0,
        held: Vec::new(),
    });
    // The proc's start-up code runs at the top of its first segment, in a
    // region as big as any frame's call reserve.
    // SAFETY: `first` is a fresh segment owned by this proc.
    unsafe {
        let boot = StackModel::CALL_RESERVE + StackModel::FRAME_RECORD;
        (*first).live = boot;
        let top = stack::top(first);
        let proc_ptr: *mut Proc = &mut *proc;
        arch::init_context(&mut proc.ctx, top, &(*first).bounds, proc_start, proc_ptr as usize);
    }
    rt.procs.push(Slot::Live(proc));
    rt.run_queue.push_back(id);
    id
}

/// The first code of every proc: its body in a frame, then the end.
unsafe extern "C" fn proc_start(arg: usize) -> ! {
    let p = arg as *mut Proc;
    // SAFETY: `p` is this proc, alive until the scheduler cleans it up.
    unsafe {
        let status = stack::enter_frame(p, (*p).entry_desc, (*p).entry, (*p).arg) as u32 as i32;
        (*p).state = State::Ended(status);
        arch::switch_context(&raw mut (*p).ctx, sched_ctx());
    }
    arch::trap()
}

/// The scheduler loop, on the thread's stack. Returns the root's status.
fn schedule() -> i32 {
    loop {
        let rt = rt();
        let Some(id) = rt.run_queue.pop_front() else {
            deadlock();
        };
        let Slot::Live(proc) = &mut rt.procs[id as usize - 1] else { unreachable!("an ended proc is never queued") };
        let p: *mut Proc = &mut **proc;
        rt.current = p;
        // SAFETY: `p` is live and runnable; its context was saved by a
        // switch or made by `init_context`.
        let state = unsafe {
            (*p).state = State::Running;
            (*p).slice_ticks = 0;
            arch::switch_context(sched_ctx(), &raw const (*p).ctx);
            (*p).state
        };
        let rt = self::rt();
        rt.current = core::ptr::null_mut();
        match state {
            State::Running | State::Runnable => rt.run_queue.push_back(id),
            State::Receiving | State::Joining(_) => {}
            State::Ended(status) => {
                end_proc(id, status);
                if id == ROOT {
                    return status;
                }
            }
        }
    }
}

/// Frees everything an ended proc held, returns its undelivered messages'
/// charges to their senders, and wakes the procs that join it.
fn end_proc(id: u32, status: i32) {
    let rt = rt();
    let slot = core::mem::replace(&mut rt.procs[id as usize - 1], Slot::Ended { status, discarded: 0 });
    let Slot::Live(mut proc) = slot else { unreachable!("a proc ends once") };
    // SAFETY: the proc will never run again; nothing is on its stack.
    unsafe { stack::free_chain(proc.first) };
    let discarded = proc.queue.len() as u64;
    for message in proc.queue.drain(..) {
        if let Slot::Live(sender) = &mut rt.procs[message.sender as usize - 1] {
            sender.curr_mem -= message.charge;
        }
        if !message.vec.is_null() {
            // SAFETY: the message held a reference to a live vec.
            unsafe { crate::vec::release_ref(message.vec) };
        }
    }
    for v in proc.held.drain(..) {
        // SAFETY: each entry is a reference the proc held to a live vec.
        unsafe { crate::vec::release_ref(v) };
    }
    rt.procs[id as usize - 1] = Slot::Ended { status, discarded };
    for joiner in proc.joiners.drain(..) {
        wake(rt, joiner);
    }
}

fn wake(rt: &mut Runtime, id: u32) {
    if let Slot::Live(proc) = &mut rt.procs[id as usize - 1] {
        proc.state = State::Runnable;
        rt.run_queue.push_back(id);
    }
}

fn deadlock() -> ! {
    let rt = rt();
    report(format_args!("rustrt: deadlock: no proc can run;"));
    for slot in &rt.procs {
        if let Slot::Live(proc) = slot {
            match proc.state {
                State::Receiving => report(format_args!(" proc {} waits for a message;", proc.id)),
                State::Joining(target) => report(format_args!(" proc {} waits for proc {target} to end;", proc.id)),
                _ => report(format_args!(" proc {} is stuck;", proc.id)),
            }
        }
    }
    report(format_args!("\n"));
    crate::os::exit(ExitStatus::DEADLOCK)
}

/// Counts `n` ticks for the running proc `p` at a yield point: fails it past
/// its tick budget, yields when its time slice is used up.
///
/// # Safety
/// `p` is the running proc, on its own stack.
#[inline(always)]
pub unsafe fn tick_point(p: *mut Proc, n: u64) {
    // SAFETY: caller's promise.
    unsafe {
        (*p).curr_ticks += n;
        (*p).slice_ticks += n;
        if (*p).tick_budget != 0 && (*p).curr_ticks > (*p).tick_budget {
            let (used, budget) = ((*p).curr_ticks, (*p).tick_budget);
            on_big_stack(|| {
                fail_current(
                    ExitStatus::TICK_BUDGET,
                    format_args!("tick budget: {used} ticks used, the budget is {budget}"),
                )
            });
        }
        if (*p).slice_ticks >= StackModel::TIME_SLICE {
            switch_out(State::Runnable);
        }
    }
}

/// The `tick` slot.
pub unsafe extern "C" fn tick(n: u64) {
    // SAFETY: called by the running proc on its stack.
    unsafe { tick_point(current(), n) }
}

/// Queues a message for `to` from the running proc, charged to it.
/// Returns 0 or `RT_NO_SUCH_PROC`. Runs on the big stack.
pub fn queue_message(to: u32, bytes: Box<[u8]>, vec: *mut RtVec) -> i32 {
    let rt = rt();
    let sender = rt.current;
    let alive = matches!(rt.procs.get((to as usize).wrapping_sub(1)), Some(Slot::Live(_)));
    if !alive {
        return RT_NO_SUCH_PROC;
    }
    let len = bytes.len();
    let charge = StackModel::MESSAGE_OVERHEAD + len as u64;
    // SAFETY: the running proc is live.
    unsafe { charge_current(charge, format_args!("a {len}-byte message to proc {to}")) };
    // SAFETY: the running proc is live.
    let from = unsafe { (*sender).id };
    let Some(Slot::Live(target)) = rt.procs.get_mut(to as usize - 1) else { unreachable!() };
    target.queue.push_back(Message { sender: from, charge, bytes, vec });
    if target.state == State::Receiving {
        wake(rt, to);
    }
    0
}

/// Charges `bytes` to the running proc, or fails it (status 92) when that
/// would exceed its memory budget. Runs on the big stack.
///
/// # Safety
/// A proc is running.
pub unsafe fn charge_current(bytes: u64, what: fmt::Arguments) {
    let p = rt().current;
    // SAFETY: caller's promise.
    unsafe {
        if (*p).curr_mem.saturating_add(bytes) > (*p).mem_budget {
            fail_current(
                ExitStatus::MEMORY_BUDGET,
                format_args!(
                    "memory budget: {what} costs {bytes} bytes, which would bring the proc to {} of its {}-byte \
                     memory budget",
                    (*p).curr_mem.saturating_add(bytes),
                    (*p).mem_budget
                ),
            );
        }
        (*p).curr_mem += bytes;
    }
}

/// Returns `bytes` to proc `id`'s memory, if it is still alive.
pub fn uncharge(id: u32, bytes: u64) {
    if let Some(Slot::Live(proc)) = rt().procs.get_mut((id as usize).wrapping_sub(1)) {
        proc.curr_mem -= bytes;
    }
}

/// Receives the next message of the running proc, waiting for one; `take`
/// runs on the big stack with it.
pub fn receive_with(mut take: impl FnMut(Message)) {
    loop {
        let mut got = false;
        on_big_stack(|| {
            let rt = rt();
            let p = rt.current;
            // SAFETY: the running proc is live.
            let Some(message) = (unsafe { (*p).queue.pop_front() }) else { return };
            uncharge(message.sender, message.charge);
            take(message);
            got = true;
        });
        if got {
            return;
        }
        // SAFETY: the running proc, on its own stack.
        unsafe { switch_out(State::Receiving) };
    }
}

/// Switches the running proc out with `state`; returns when it runs again.
///
/// # Safety
/// Called from the running proc, on its own stack.
unsafe fn switch_out(state: State) {
    let rt = rt();
    let p = rt.current;
    // SAFETY: caller's promise.
    unsafe {
        (*p).state = state;
        arch::switch_context(&raw mut (*p).ctx, sched_ctx());
    }
}

// ---- the table's proc and message slots ----

pub unsafe extern "C" fn spawn(args: *const SpawnArgs) -> u32 {
    let mut id = 0;
    // SAFETY: a crate passes valid spawn arguments (SPEC.md).
    on_big_stack(|| id = create_proc(unsafe { &*args }));
    id
}

pub unsafe extern "C" fn yield_now() {
    // SAFETY: called by the running proc on its stack.
    unsafe { switch_out(State::Runnable) }
}

pub unsafe extern "C" fn self_id() -> u32 {
    // SAFETY: the running proc is live.
    unsafe { (*current()).id }
}

pub unsafe extern "C" fn proc_env() -> *mut c_void {
    // SAFETY: the running proc is live.
    unsafe { (*current()).env }
}

pub unsafe extern "C" fn proc_info(out: *mut ProcInfo) {
    let p = current();
    // SAFETY: the running proc is live; `out` is writable.
    unsafe {
        out.write(ProcInfo {
            id: (*p).id,
            _reserved: 0,
            mem_budget: (*p).mem_budget,
            curr_mem: (*p).curr_mem,
            queued: (*p).queue.len() as u64,
            curr_ticks: (*p).curr_ticks,
            tick_budget: (*p).tick_budget,
            vec_copies: (*p).vec_copies,
        });
    }
}

pub unsafe extern "C" fn join(id: u32, discarded: *mut u64) -> i32 {
    // SAFETY: the running proc is live.
    let me = unsafe { (*current()).id };
    if id == me {
        return RT_JOIN_SELF;
    }
    loop {
        // What the target's slot says, or None when we must wait.
        let mut outcome: Option<(i32, u64)> = None;
        on_big_stack(|| {
            let rt = rt();
            outcome = match rt.procs.get_mut((id as usize).wrapping_sub(1)) {
                None => Some((RT_NO_SUCH_PROC, 0)),
                Some(Slot::Ended { status, discarded }) => Some((*status, *discarded)),
                Some(Slot::Live(target)) => {
                    target.joiners.push(me);
                    None
                }
            };
        });
        match outcome {
            Some((status, n)) => {
                if !discarded.is_null() {
                    // SAFETY: a non-null `discarded` is writable (SPEC.md).
                    unsafe { discarded.write(n) };
                }
                return status;
            }
            // SAFETY: the running proc, on its stack.
            None => unsafe { switch_out(State::Joining(id)) },
        }
    }
}

pub unsafe extern "C" fn send(to: u32, bytes: *const u8, len: usize) -> i32 {
    let mut result = 0;
    on_big_stack(|| {
        // SAFETY: the crate passes `len` readable bytes (SPEC.md).
        let copy: Box<[u8]> = unsafe { core::slice::from_raw_parts(bytes, len) }.into();
        result = queue_message(to, copy, core::ptr::null_mut());
    });
    result
}

pub unsafe extern "C" fn receive(buf: *mut u8, cap: usize, sender: *mut u32) -> usize {
    let mut len = 0;
    receive_with(|message| {
        if !message.vec.is_null() {
            // SAFETY: the message held a reference; read as bytes, it is dropped.
            unsafe { crate::vec::release_ref(message.vec) };
        }
        let n = message.bytes.len().min(cap);
        // SAFETY: the crate passes `cap` writable bytes at `buf` (SPEC.md).
        unsafe { core::ptr::copy_nonoverlapping(message.bytes.as_ptr(), buf, n) };
        if !sender.is_null() {
            // SAFETY: a non-null `sender` is writable.
            unsafe { sender.write(message.sender) };
        }
        len = message.bytes.len();
    });
    len
}

/// The `runtime_info` slot.
pub unsafe extern "C" fn runtime_info(out: *mut rt_abi::RuntimeInfo) {
    let mut info = rt_abi::RuntimeInfo {
        vecs: crate::vec::LIVE_VECS.get(),
        bytes: crate::vec::LIVE_VEC_BYTES.get(),
        ..Default::default()
    };
    for slot in &rt().procs {
        let Slot::Live(proc) = slot else { continue };
        info.procs += 1;
        info.bytes += StackModel::PROC_CHARGE;
        let mut seg = proc.first;
        while !seg.is_null() {
            info.segments += 1;
            // SAFETY: a live proc's segments are live.
            unsafe {
                info.bytes += StackModel::SEGMENT_HEADER + (*seg).size;
                seg = (*seg).next;
            }
        }
        for message in &proc.queue {
            info.messages += 1;
            info.bytes += message.charge;
        }
    }
    // SAFETY: `out` is writable (SPEC.md).
    unsafe { out.write(info) };
}

/// The `receive_vec` slot.
pub unsafe extern "C" fn receive_vec(sender: *mut u32) -> *mut RtVec {
    let mut vec = core::ptr::null_mut();
    receive_with(|message| {
        if !sender.is_null() {
            // SAFETY: a non-null `sender` is writable.
            unsafe { sender.write(message.sender) };
        }
        vec = message.vec;
        if !vec.is_null() {
            // SAFETY: the running proc takes over the message's reference.
            unsafe { crate::vec::hold(current(), vec) };
        }
    });
    vec
}
