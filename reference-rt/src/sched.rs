//! The scheduler (SPEC.md §11, §14): one FIFO run queue, procs switching
//! straight to one another, yield points, blocking and waking, joins, and
//! the end of procs — by returning, by failing, or by deadlock.
//!
//! ```text
//!   thread stack                         proc stacks (segments)
//!   rt_start → run_root ─ switch ──────► proc 1 ─ yield ─► proc 2 ─ receive ─► proc 3 …
//!   (main context, suspended)            each switch goes straight to the
//!   upcalls run below it ◄── upcall::run ─ head of the run queue
//! ```
//!
//! The main context is resumed only to end the process: when proc 1 ends
//! (its status) or no proc can run (93). A proc that ends or fails finishes
//! on the thread's stack — its segments are freed there — and jumps to the
//! next proc from there.

use core::ffi::c_void;

use rt_abi::{ExitStatus, FrameDesc, FrameFn, ProcInfo, RT_JOIN_SELF, RT_NO_SUCH_PROC, SpawnArgs, StackModel};

use crate::arch::{self, FpControl};
use crate::budget::{Account, Failure, Kind};
use crate::stack::{FrameRecord, ProcStack, Segment};
use crate::state::{self, Body, Lookup, Proc, ROOT, State, runtime};
use crate::{messages, os, stack, upcall};

// What `arch::init` writes at the top of segment 0 fits its start-up region (SPEC.md §10.1).
const _: () = assert!(arch::INIT_BYTES <= (StackModel::CALL_RESERVE + StackModel::FRAME_RECORD) as usize);

/// Runs `entry(arg)` as proc 1 in a frame of `desc` until the process would
/// end; returns its exit status (SPEC.md §5.2, §11.2). Called once, on the
/// thread's stack.
pub fn run_root(desc: *const FrameDesc, entry: FrameFn, arg: u64) -> i32 {
    state::init();
    upcall::init();
    let body = Body { desc, entry, arg };
    let root = create_proc(u64::MAX, 0, core::ptr::null_mut(), body, FpControl::current());
    debug_assert_eq!(root, ROOT);
    let rt = runtime();
    // SAFETY: single-threaded; the root is the only runnable proc. The main
    // context is suspended here until `finish` resumes it.
    unsafe {
        let first = (*rt).next_runnable();
        run_next(first);
        upcall::leave();
        arch::switch(upcall::main_context(), &raw const (*first).ctx);
        upcall::enter();
        (*rt).exit_status
    }
}

/// Makes a proc and queues it; its id, or 0 when `mem_budget` cannot pay
/// for its record and first segment (SPEC.md §11.3). On the thread's stack.
fn create_proc(mem_budget: u64, tick_budget: u64, env: *mut c_void, body: Body, fp: FpControl) -> u32 {
    let rt = runtime();
    let mut account = Account::new(mem_budget);
    let start_cost = StackModel::PROC_CHARGE + StackModel::SEGMENT_HEADER + StackModel::FIRST_SEGMENT_SIZE;
    if account.check(start_cost).is_err() {
        return 0;
    }
    // SAFETY: single-threaded, on the thread's stack; no other reference to the runtime is alive.
    unsafe {
        let ledger = &mut (*rt).ledger;
        if account.try_charge(ledger, Kind::Proc, StackModel::PROC_CHARGE).is_err() {
            unreachable!("checked above");
        }
        // One allocation: segment 0, then the record (see `state::PROC_FOOTPRINT`).
        let block = os::alloc(state::PROC_FOOTPRINT);
        if block.is_null() {
            os::fatal(format_args!("out of memory for a proc"));
        }
        let stack = ProcStack::new_in(block, &mut account, ledger);
        let (top, bounds) = stack.start_up();
        stack.start_up_scratch().cast::<Body>().write(body);
        let p = state::record_in(block);
        p.write(Proc::new(account, stack, tick_budget, env));
        let id = (*rt).add(p);
        arch::init(&raw mut (*p).ctx, top, &bounds, fp, upcall::main_context(), proc_start, p as usize);
        (*rt).make_runnable(p);
        id
    }
}

/// The first code of every proc, on its segment 0: its body in a frame,
/// then its end.
unsafe extern "C" fn proc_start(p: usize) -> ! {
    let p = p as *mut Proc;
    check_start_bounds(p);
    first_tick();
    // SAFETY: `p` is this proc, running; its body was left at the bottom of
    // its start-up region, which nothing has reached yet (the start-up code
    // has only just begun, at the region's top). Read last, so that nothing
    // needs keeping across a call in this frame.
    let body = unsafe { (*p).stack.start_up_scratch().cast::<Body>().read() };
    // SAFETY: the body's descriptor and function came from `spawn` (SPEC.md §11.3).
    let status = unsafe { enter_frame(body.desc, body.entry, body.arg) };
    end_current(status as u32 as i32)
}

/// The first switch into a proc installs segment 0's bounds (Windows' TEB);
/// a context whose layout disagrees with its assembly does not. Not inlined:
/// `StackBounds` is big on Windows, and the start-up region is small.
#[inline(never)]
fn check_start_bounds(p: *mut Proc) {
    // SAFETY: `p` is the running proc.
    let expected = unsafe { (*p).stack.start_up().1 };
    if arch::StackBounds::of_thread() != expected {
        upcall::run(|| os::fatal(format_args!("a new proc started with the OS's stack bounds of another stack")));
    }
}

/// Makes `next` the running proc (SPEC.md §14.2: its slice starts).
///
/// # Safety
/// `next` is live, just taken from the run queue.
unsafe fn run_next(next: *mut Proc) {
    // SAFETY: caller's promise; single-threaded.
    unsafe {
        (*next).state = State::Running;
        (*next).slice = 0;
        (*runtime()).current = next;
    }
}

/// Switches from `me` (queued, blocked) to the head of the run queue, and
/// returns when `me` runs again — at once when `me` is the head (SPEC.md
/// §11.4). When nothing can run, that is a deadlock (§11.5).
///
/// # Safety
/// `me` is the running proc, on its own stack.
unsafe fn switch_to_next(me: *mut Proc) {
    // SAFETY: single-threaded; no reference to the runtime is held across the switch.
    unsafe {
        let next = (*runtime()).next_runnable();
        if next.is_null() {
            upcall::run(|| deadlock());
        }
        run_next(next);
        if next != me {
            arch::switch(&raw mut (*me).ctx, &raw const (*next).ctx);
        }
    }
}

/// `yield_now`, and a preemption at a yield point: `me` goes to the tail.
pub fn yield_current() {
    // SAFETY: called from the running proc, on its stack.
    unsafe {
        let rt = runtime();
        let me = (*rt).current;
        (*rt).make_runnable(me);
        switch_to_next(me);
    }
}

/// Blocks the running proc in `state` until something makes it runnable.
fn block(state: State) {
    // SAFETY: called from the running proc, on its stack.
    unsafe {
        let me = (*runtime()).current;
        (*me).state = state;
        switch_to_next(me);
    }
}

/// A yield point counting `n` ticks (SPEC.md §14.1–§14.3): the tick budget
/// first, then the time slice. The fast path: on the proc's segment.
#[inline(always)]
pub fn yield_point(n: u64) {
    // SAFETY: called from the running proc; the reference to its ticks ends
    // before anything else runs.
    let (curr, budget, slice) = unsafe {
        let me = &mut *(*runtime()).current;
        me.ticks.curr = me.ticks.curr.saturating_add(n);
        me.slice = me.slice.saturating_add(n.min(u64::from(u32::MAX)) as u32);
        (me.ticks.curr, me.ticks.budget, u64::from(me.slice))
    };
    if budget != 0 && curr > budget {
        out_of_ticks(curr, budget);
    }
    if slice >= StackModel::TIME_SLICE {
        preempt();
    }
}

/// The tick budget is used up: the failure is made on the thread's stack.
#[cold]
#[inline(never)]
fn out_of_ticks(used: u64, budget: u64) -> ! {
    upcall::run(|| fail_current(Failure::TickBudget { used, budget }));
    arch::trap()
}

#[cold]
#[inline(never)]
fn preempt() {
    yield_current()
}

/// A proc's first tick, its body frame's (SPEC.md §14.1): it can neither
/// use up a tick budget (1 tick; a budget of 0 is none) nor a time slice.
fn first_tick() {
    // SAFETY: called from the running proc, which has just started.
    unsafe {
        let me = &mut *(*runtime()).current;
        me.ticks.curr += 1;
        me.slice += 1;
    }
}

/// `frame_call` (SPEC.md §10.4) after its yield point: `f(arg)` in a frame
/// of `desc` on the running proc's stack. Only the fast paths run here, on
/// the caller's call reserve; a new segment and a segment to free are
/// handled on the thread's stack.
///
/// # Safety
/// Called from the running proc, after its yield point; `desc` is valid and
/// `f` may be called with `arg`.
pub unsafe fn enter_frame(desc: *const FrameDesc, f: FrameFn, arg: u64) -> u64 {
    // SAFETY: the running proc is live; no reference to it is held while
    // `f` runs.
    unsafe {
        let mut record = (*current()).stack.push(desc);
        if record.is_null() {
            record = push_on_new_segment(desc);
        }
        let (low, high) = stack::frame_segment(record);
        let result = arch::call_on_segment(record as usize, low, high, f, arg);
        let beyond = (*current()).stack.pop(record);
        if !beyond.is_null() {
            free_beyond(beyond);
        }
        result
    }
}

/// `ProcStack::push_on_new_segment` on the thread's stack, or the proc's
/// failure there: only a pointer comes back, so the frame this leaves on the
/// proc's segment stays small (the start-up code runs this too).
#[cold]
#[inline(never)]
fn push_on_new_segment(desc: *const FrameDesc) -> *mut FrameRecord {
    upcall::run(|| {
        // SAFETY: single-threaded, on the thread's stack; the running proc is live.
        let pushed = unsafe {
            let rt = &mut *runtime();
            let me = rt.current;
            (*me).stack.push_on_new_segment(&mut (*me).account, &mut rt.ledger, desc)
        };
        match pushed {
            Ok(record) => record,
            Err(failure) => fail_current(failure),
        }
    })
}

/// Frees the segment `ProcStack::pop` left beyond the cached one.
#[cold]
#[inline(never)]
fn free_beyond(beyond: *mut Segment) {
    upcall::run(|| {
        // SAFETY: single-threaded, on the thread's stack; the running proc is live.
        unsafe {
            let rt = &mut *runtime();
            let me = rt.current;
            (*me).stack.free_beyond(&mut (*me).account, &mut rt.ledger, beyond);
        }
    })
}

/// Ends the running proc with `status` (its body returned).
pub fn end_current(status: i32) -> ! {
    upcall::run(|| retire_current(status))
}

/// Fails the running proc: its line (SPEC.md §14.5), then its end.
pub fn fail_current(failure: Failure) -> ! {
    upcall::run(|| {
        // SAFETY: single-threaded; the running proc is live.
        let id = unsafe { (*(*runtime()).current).id };
        failure.write_line(id, &mut os::Stderr);
        retire_current(failure.status())
    })
}

/// Everything a proc leaves when it ends (SPEC.md §11.7), in order; then
/// the next proc runs, or the process ends. On the thread's stack: the
/// proc's segments are freed here, and this stack is abandoned.
fn retire_current(status: i32) -> ! {
    // SAFETY: single-threaded, on the thread's stack; the proc never runs
    // again, so its record and segments may go.
    unsafe {
        let rt = &mut *runtime();
        let me = rt.current;
        let id = (*me).id;
        let discarded = messages::discard_all(rt, me);
        while let Some(v) = (*me).held.pop() {
            messages::drop_vec(rt, v);
        }
        (*me).held.free();
        (*me).stack.free_all(&mut (*me).account, &mut rt.ledger);
        (*me).account.uncharge(&mut rt.ledger, Kind::Proc, StackModel::PROC_CHARGE);
        rt.wake_joiners(me);
        rt.retire(id, status, discarded);
        rt.current = core::ptr::null_mut();
        state::free_record(me);
        if id == ROOT {
            finish(status);
        }
        let next = rt.next_runnable();
        if next.is_null() {
            deadlock();
        }
        run_next(next);
        upcall::leave();
        arch::jump(&raw const (*next).ctx)
    }
}

/// Resumes the main context, which returns `status` from `run_root`. On
/// the thread's stack.
fn finish(status: i32) -> ! {
    // SAFETY: single-threaded; the main context is suspended in `run_root`.
    unsafe {
        (*runtime()).exit_status = status;
        arch::jump(upcall::main_context())
    }
}

/// No proc can run (SPEC.md §11.5): the line of §14.5 (d), then the end.
/// On the thread's stack.
fn deadlock() -> ! {
    use core::fmt::Write as _;
    let mut err = os::Stderr;
    let _ = write!(err, "rustrt: deadlock: no proc can run;");
    // SAFETY: single-threaded; live procs are blocked.
    unsafe {
        for p in (*runtime()).live_procs() {
            let _ = match (*p).state {
                State::Joining(target) => write!(err, " proc {} waits for proc {target} to end;", (*p).id),
                _ => write!(err, " proc {} waits for a message;", (*p).id),
            };
        }
    }
    let _ = writeln!(err);
    finish(ExitStatus::DEADLOCK)
}

// ---- procs ----

/// `spawn` (SPEC.md §11.3).
///
/// # Safety
/// `args` is valid.
pub unsafe fn spawn(args: *const SpawnArgs) -> u32 {
    // SAFETY: caller's promise.
    let args = unsafe { &*args };
    let body = Body { desc: args.entry_desc, entry: args.entry, arg: args.arg };
    let fp = FpControl::current();
    upcall::run(|| create_proc(args.mem_budget, args.tick_budget, args.env, body, fp))
}

/// `join` (SPEC.md §11.6).
///
/// # Safety
/// `discarded` is null or writable.
pub unsafe fn join(id: u32, discarded: *mut u64) -> i32 {
    // SAFETY: single-threaded; no reference is held across `block`.
    unsafe {
        let me = (*runtime()).current;
        if id == (*me).id {
            return RT_JOIN_SELF;
        }
        loop {
            let rt = runtime();
            match (*rt).lookup(id) {
                Lookup::Never => return RT_NO_SUCH_PROC,
                Lookup::Ended { status, discarded: n } => {
                    if !discarded.is_null() {
                        discarded.write(n);
                    }
                    return status;
                }
                Lookup::Live(target) => {
                    (*rt).add_joiner(target, me);
                    block(State::Joining(id));
                }
            }
        }
    }
}

/// `proc_info` (SPEC.md §12.4).
pub fn proc_info() -> ProcInfo {
    // SAFETY: the running proc is live.
    unsafe {
        let me = &*(*runtime()).current;
        ProcInfo {
            id: me.id,
            _reserved: 0,
            mem_budget: me.account.mem_budget(),
            curr_mem: me.account.curr_mem(),
            queued: u64::from(me.queued),
            curr_ticks: me.ticks.curr,
            tick_budget: me.ticks.budget,
            vec_copies: me.vec_copies,
        }
    }
}

/// Blocks the running proc until a message arrives (SPEC.md §12.3).
pub fn wait_for_message() {
    block(State::Receiving)
}

/// The running proc.
pub fn current() -> *mut Proc {
    // SAFETY: single-threaded.
    unsafe { (*runtime()).current }
}

/// Frees everything the runtime still holds, after `run_root` returned: for
/// tests, which run the runtime more than once in one process.
#[cfg(test)]
pub fn teardown() -> rt_abi::RuntimeInfo {
    // SAFETY: no proc runs any more; on the thread's stack.
    unsafe {
        let rt = &mut *runtime();
        let live: alloc::vec::Vec<*mut Proc> = rt.live_procs().collect();
        for p in live {
            rt.current = p;
            messages::discard_all(rt, p);
            while let Some(v) = (*p).held.pop() {
                messages::drop_vec(rt, v);
            }
            (*p).held.free();
            (*p).stack.free_all(&mut (*p).account, &mut rt.ledger);
            (*p).account.uncharge(&mut rt.ledger, Kind::Proc, StackModel::PROC_CHARGE);
            rt.retire((*p).id, 0, 0);
            state::free_record(p);
        }
        rt.current = core::ptr::null_mut();
        rt.pool.free_all();
        let left = rt.ledger.info();
        core::ptr::drop_in_place(rt);
        left
    }
}
