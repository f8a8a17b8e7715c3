//! The stack budget of runtime code (SPEC.md §10.3, last sentence): the
//! runtime code a frame's function calls uses at most `RT_CALL_RESERVE`
//! (256) bytes below the caller's stack pointer — whatever the slot does,
//! switching procs included.
//!
//! In a frame with plenty of room (declared 8192 bytes, innermost, so its
//! lowest address is `segment_high − segment_live`), `arch::measured_call`
//! paints the frame's lowest 4096 bytes with a pattern that depends on each
//! word's address, moves the stack pointer to the top of the painted area
//! and calls one slot from there; the crate then finds the lowest word that
//! changed. Each call is reported only as within 256 bytes or not (the
//! depth itself is free: runtimes differ).
//!
//! This source is two crates, two cases, split the way a runtime splits its
//! work (ARCHITECTURE.md: only fast paths run on a proc's segment, anything
//! that allocates, frees or calls the OS runs elsewhere):
//! - `stack-budget` (this package): the fast paths and the proc switches —
//!   queries, `tick`, `vec_share`, a `vec_release` that frees nothing,
//!   `join`, frames within the current and onto the cached segment, and
//!   preemption at a frame entry and at `tick`, `yield_now` to another proc,
//!   `join` blocking on a proc that ends and on one that fails; and the
//!   start-up region (below);
//! - `stack-budget-services` (package of that name, feature `services`):
//!   the slots that allocate, free, copy or write — output, `spawn`,
//!   messages (`receive` and `receive_vec` also blocking), vec allocation,
//!   writes, copies, growth and freeing, frames onto a new segment, bigger
//!   than the cached one, and a return that frees one.
//!
//! A crate cannot see the runtime's start-up code directly: it runs before
//! the body and in a region the crate does not own. What it can see is
//! whether the start-up code keeps anything it needs below that region
//! while the body runs: a body in segment 0 right under the region
//! (declared size 192) overwrites every byte its frame gives it (all but
//! its own return address), yields, does it again and returns. Start-up
//! frames that overflowed into the body's frame would be corrupted, and the
//! proc would not end with the body's status.
#![no_std]

mod arch;

use core::fmt::Write as _;

use crate_support::abi::{FrameDesc, FrameFn, StackModel};
use crate_support::{Rt, crate_main, frame_desc, rt};

crate_main!(main);

#[cfg(not(feature = "services"))]
use fast::main;
#[cfg(feature = "services")]
use services::main;

/// What `arch::measured_call` reads and writes.
#[repr(C)]
pub struct Measure {
    pub func: u64,
    pub args: [u64; 4],
    /// The painted area is `[paint_low, call_sp)`; the call is made with
    /// the stack pointer at `call_sp` (16-aligned).
    pub paint_low: u64,
    pub call_sp: u64,
    /// The word at address `a` is painted `a ^ pattern`.
    pub pattern: u64,
    pub ret: u64,
}

/// Bytes painted below the stack pointer of each measured call.
const PAINT: u64 = 4096;
const PATTERN: u64 = 0xa5c3_5a3c_96e1_1e69;

/// Where measured calls are made from in the innermost frame, whose lowest
/// address `stack_info` gives: the frame's lowest `PAINT` bytes are painted.
#[derive(Clone, Copy)]
struct Place {
    paint_low: u64,
    call_sp: u64,
}

impl Place {
    fn here(rt: &Rt) -> Place {
        let info = rt.stack_info();
        let bottom = info.segment_high - info.segment_live;
        Place { paint_low: bottom, call_sp: (bottom + PAINT) & !15 }
    }

    /// Calls `func(args)` from this place; returns its result and how many
    /// bytes below the call's stack pointer were written.
    fn measure(self, func: usize, args: [u64; 4]) -> (u64, u64) {
        let mut m = Measure {
            func: func as u64,
            args,
            paint_low: self.paint_low,
            call_sp: self.call_sp,
            pattern: PATTERN,
            ret: 0,
        };
        // SAFETY: `[paint_low, call_sp)` is the lowest part of the calling
        // frame, below every stack pointer the crate uses; `func` takes `args`.
        unsafe { arch::measured_call(&mut m) };
        let mut lowest = self.call_sp;
        let mut a = self.paint_low;
        while a < self.call_sp {
            // SAFETY: a painted word of this frame, nobody else's.
            if unsafe { core::ptr::read_volatile(a as *const u64) } != a ^ PATTERN {
                lowest = a;
                break;
            }
            a += 8;
        }
        (m.ret, self.call_sp - lowest)
    }
}

// ---- results, printed by the root in order ----

#[derive(Clone, Copy)]
struct Entry {
    what: &'static str,
    depth: u64,
}

const CAP: usize = 48;

struct Results {
    entries: [Entry; CAP],
    len: usize,
}

/// A static that procs running one at a time share.
struct Global<T>(core::cell::UnsafeCell<T>);

// SAFETY: the runtime runs one proc at a time (SPEC.md §6); accesses are short.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    const fn new(value: T) -> Global<T> {
        Global(core::cell::UnsafeCell::new(value))
    }

    fn get(&self) -> *mut T {
        self.0.get()
    }
}

static RESULTS: Global<Results> = Global::new(Results { entries: [Entry { what: "", depth: 0 }; CAP], len: 0 });

/// Measures `func(args)` from `place` and records it as `what`; returns the result.
fn measured(place: Place, what: &'static str, func: usize, args: [u64; 4]) -> u64 {
    let (ret, depth) = place.measure(func, args);
    // SAFETY: procs run one at a time; the reference ends with the block.
    unsafe {
        let results = &mut *RESULTS.get();
        assert!(results.len < CAP, "stack-budget: too many results");
        results.entries[results.len] = Entry { what, depth };
        results.len += 1;
    }
    ret
}

fn print_results(rt: &Rt) {
    // SAFETY: every other proc has ended.
    let results = unsafe { &*RESULTS.get() };
    for e in &results.entries[..results.len] {
        let mut out = rt.out();
        if e.depth <= StackModel::CALL_RESERVE {
            let _ = writeln!(out, "{}: within 256 bytes below the caller's sp", e.what);
        } else {
            let _ = writeln!(out, "{}: {} bytes below the caller's sp, more than 256", e.what, e.depth);
        }
    }
}

fn addr<T>(p: *const T) -> u64 {
    p as usize as u64
}

/// The frame measurements are made from: `PAINT` bytes of it painted, the
/// crate's own code above them. As a proc's body it fills its segment
/// exactly (8192 + 288 bytes), so that body's first frame needs the next
/// segment.
static MEASURE: FrameDesc = frame_desc!(c"budget-measure", 8192);
static SMALL: FrameDesc = frame_desc!(c"budget-small", 64);
static PARTNER: FrameDesc = frame_desc!(c"budget-partner", 4096);
static QUICK: FrameDesc = frame_desc!(c"budget-quick", 1024);

unsafe extern "C" fn leaf(arg: u64) -> u64 {
    arg.wrapping_add(1)
}

unsafe extern "C" fn quick(_: u64) -> u64 {
    7
}

/// The procs' ids, written by the root before any of them runs.
static IDS: Global<[u32; 3]> = Global::new([0; 3]);

fn ids() -> [u32; 3] {
    // SAFETY: written once, before the procs that read it run.
    unsafe { *IDS.get() }
}

fn set_ids(ids: [u32; 3]) {
    // SAFETY: none of the procs that read it has run yet.
    unsafe { *IDS.get() = ids };
}

/// The `stack-budget` case: fast paths, proc switches, the start-up region.
#[cfg(not(feature = "services"))]
mod fast {
    use super::*;

    /// Fits segment 0 under the start-up region: 288 + 192 + 288 = 768 (SPEC.md §10.1, §10.2).
    static BODY_SEG0: FrameDesc = frame_desc!(c"budget-body-seg0", arch::TRASH_BODY_SIZE);

    /// The failer's tick budget: its body's entry and one `tick(1)` fit.
    const FAILER_TICKS: u64 = 2;

    use crate_support::abi::RtVec;

    pub fn main(rt: &Rt) -> i32 {
        rt.frame(&MEASURE, || {
            alone(rt, Place::here(rt));
            0
        });
        let measurer = rt.spawn(&MEASURE, measurer, 0, u64::MAX);
        let partner = rt.spawn(&PARTNER, partner, 0, u64::MAX);
        let failer = rt.spawn_with_ticks(&QUICK, failer, 0, u64::MAX, FAILER_TICKS);
        set_ids([measurer, partner, failer]);
        rt.join(measurer);
        let status = start_up_region(rt);
        print_results(rt);
        let _ = writeln!(
            rt.out(),
            "proc body under the start-up region, its whole frame overwritten twice: status {}",
            if status == arch::TRASH_BODY_STATUS { "as it returned" } else { "WRONG" }
        );
        0
    }

    /// The fast paths, from the root, no other proc alive.
    fn alone(rt: &Rt, p: Place) {
        let t = rt.table();
        use crate_support::abi::{BacktraceEntry, ProcInfo, RuntimeInfo, StackInfo};
        let leaf_fn = leaf as FrameFn as usize as u64;
        measured(p, "frame_call within the current segment", t.frame_call as usize, [addr(&SMALL), leaf_fn, 1, 0]);
        let mut info = StackInfo::default();
        measured(p, "stack_info", t.stack_info as usize, [addr(&raw mut info), 0, 0, 0]);
        let mut trace = [BacktraceEntry { desc: core::ptr::null(), segment_index: 0, _reserved: 0 }; 4];
        measured(p, "backtrace", t.backtrace as usize, [addr(trace.as_mut_ptr()), 4, 0, 0]);
        let me = measured(p, "self_id", t.self_id as usize, [0; 4]) & u64::from(u32::MAX);
        measured(p, "proc_env", t.proc_env as usize, [0; 4]);
        let mut pinfo = ProcInfo::default();
        measured(p, "proc_info", t.proc_info as usize, [addr(&raw mut pinfo), 0, 0, 0]);
        let mut rinfo = RuntimeInfo::default();
        measured(p, "runtime_info", t.runtime_info as usize, [addr(&raw mut rinfo), 0, 0, 0]);
        measured(p, "tick(0)", t.tick as usize, [0; 4]);
        measured(p, "tick(1)", t.tick as usize, [1, 0, 0, 0]);
        measured(p, "yield_now, alone", t.yield_now as usize, [0; 4]);
        // SAFETY: a vec for this proc; shared, then released once: never the last reference.
        let v = unsafe { (t.vec_alloc)(16) } as usize as u64;
        measured(p, "vec_share", t.vec_share as usize, [v, 0, 0, 0]);
        measured(p, "vec_release of a shared vec", t.vec_release as usize, [v, 0, 0, 0]);
        // SAFETY: the vec's last reference, this proc's.
        unsafe { (t.vec_release)(v as usize as *mut RtVec) };
        measured(p, "join itself", t.join as usize, [me, 0, 0, 0]);
        measured(p, "join no proc", t.join as usize, [999_999, 0, 0, 0]);
        let id = rt.spawn(&QUICK, quick, 0, u64::MAX);
        measured(p, "join a runnable proc", t.join as usize, [u64::from(id), 0, 0, 0]);
        measured(p, "join an ended proc", t.join as usize, [u64::from(id), 0, 0, 0]);
    }

    /// Its body frame is the measuring frame. The order of its calls and
    /// its partner's is fixed by SPEC.md §11.4 and §14.2 (see `partner`).
    unsafe extern "C" fn measurer(_: u64) -> u64 {
        let rt = rt();
        let t = rt.table();
        let p = Place::here(&rt);
        let [_, partner, failer] = ids();
        let (small, leaf_fn) = (addr(&SMALL), leaf as FrameFn as usize as u64);
        // A first frame makes the next segment, then kept as the cached one.
        rt.frame(&SMALL, || 0);
        measured(p, "frame_call onto the cached segment", t.frame_call as usize, [small, leaf_fn, 1, 0]);
        // The body's entry and the two frames counted three ticks of this
        // slice: the measured frame entry makes it 1000.
        rt.tick(StackModel::TIME_SLICE - 4);
        measured(p, "frame_call preempted at its entry", t.frame_call as usize, [small, leaf_fn, 2, 0]);
        rt.tick(StackModel::TIME_SLICE - 1);
        measured(p, "tick(1) preempted", t.tick as usize, [1, 0, 0, 0]);
        measured(p, "yield_now, another proc runnable", t.yield_now as usize, [0; 4]);
        measured(p, "join, blocking", t.join as usize, [u64::from(partner), 0, 0, 0]);
        // The failer waits for this message, then spins past its tick budget.
        rt.send(failer, b"go");
        measured(p, "join a proc that fails, blocking", t.join as usize, [u64::from(failer), 0, 0, 0]);
        0
    }

    /// Gives the measurer back the processor each time it switches away:
    /// after its preemption at a frame entry (the failer, queued after
    /// this one, runs then too and blocks in `receive`), at `tick`, its
    /// `yield_now`; ends while it blocks in `join`.
    unsafe extern "C" fn partner(_: u64) -> u64 {
        let rt = rt();
        rt.yield_now();
        rt.yield_now();
        rt.yield_now();
        0
    }

    /// Waits for the measurer's message, then spins until its tick budget
    /// fails it (status 94) while the measurer joins it.
    unsafe extern "C" fn failer(_: u64) -> u64 {
        let rt = rt();
        rt.receive(&mut [0u8; 4]);
        loop {
            rt.tick(1);
        }
    }

    /// Runs the body that overwrites its whole frame (see the module
    /// comment); returns its status.
    fn start_up_region(rt: &Rt) -> i32 {
        let trash = arch::Trash { yield_now: rt.table().yield_now as usize as u64 };
        let id = rt.spawn(&BODY_SEG0, arch::trash_body, addr(&trash), u64::MAX);
        rt.join(id).0
    }
}

/// The `stack-budget-services` case: the slots that allocate, free, copy or write.
#[cfg(feature = "services")]
mod services {
    use super::*;
    use crate_support::abi::{RtVec, SpawnArgs};

    /// Bigger than the cached segment the first frame leaves (2 × 8480 bytes).
    static BIGGER: FrameDesc = frame_desc!(c"budget-bigger", 20000);
    /// Bigger than what is left of the segment `BIGGER` made.
    static HUGE: FrameDesc = frame_desc!(c"budget-huge", 30000);

    /// In a small frame: enters one too big for the segment it is on, so
    /// that returning from the outer frame frees a segment (SPEC.md §10.6).
    unsafe extern "C" fn nest(arg: u64) -> u64 {
        // SAFETY: a static descriptor and a function of this crate.
        unsafe { (rt().table().frame_call)(&HUGE, leaf, arg) }
    }

    pub fn main(rt: &Rt) -> i32 {
        rt.frame(&MEASURE, || {
            alone(rt, Place::here(rt));
            0
        });
        let measurer = rt.spawn(&MEASURE, measurer, 0, u64::MAX);
        let partner = rt.spawn(&PARTNER, partner, 0, u64::MAX);
        set_ids([measurer, partner, 0]);
        rt.join(measurer);
        print_results(rt);
        0
    }

    /// Every service once, from the root, no other proc alive.
    fn alone(rt: &Rt, p: Place) {
        let t = rt.table();
        let line = b"stack-budget: a line through write_out\n";
        measured(p, "write_out", t.header.write_out as usize, [addr(line.as_ptr()), line.len() as u64, 0, 0]);
        measured(p, "write_out of 0 bytes", t.header.write_out as usize, [0; 4]);
        let line = b"stack-budget: a line through write_err\n";
        measured(p, "write_err", t.write_err as usize, [addr(line.as_ptr()), line.len() as u64, 0, 0]);
        let me = u64::from(rt.self_id());
        let hello = b"hello";
        measured(p, "send to itself", t.send as usize, [me, addr(hello.as_ptr()), 5, 0]);
        let mut buf = [0u8; 8];
        let mut sender = 0u32;
        let s = addr(&raw mut sender);
        measured(p, "receive of a queued message", t.receive as usize, [addr(buf.as_mut_ptr()), 8, s, 0]);
        measured(p, "send to no proc", t.send as usize, [999_999, addr(hello.as_ptr()), 5, 0]);
        let mut v = measured(p, "vec_alloc", t.vec_alloc as usize, [16, 0, 0, 0]) as *mut RtVec;
        let pv = addr(&raw mut v);
        let data = [0x5au8; 40];
        let d = addr(data.as_ptr());
        measured(p, "vec_write in place", t.vec_write as usize, [pv, 0, d, 8]);
        // SAFETY: `v` is this proc's vec: a second reference to it.
        let mut shared = unsafe { (t.vec_share)(v) };
        measured(p, "vec_write that copies", t.vec_write as usize, [addr(&raw mut shared), 0, d, 4]);
        measured(p, "vec_write that grows", t.vec_write as usize, [pv, 8, d, 40]);
        measured(p, "send_vec to itself", t.send_vec as usize, [me, addr(v), 0, 0]);
        measured(p, "receive_vec of a queued vec", t.receive_vec as usize, [s, 0, 0, 0]);
        // SAFETY: the reference `receive_vec` gave back: `v` has two, this proc's.
        unsafe { (t.vec_release)(v) };
        measured(p, "vec_release of the last reference", t.vec_release as usize, [addr(v), 0, 0, 0]);
        measured(p, "vec_release of a copy", t.vec_release as usize, [addr(shared), 0, 0, 0]);
        let args = SpawnArgs {
            entry_desc: &QUICK,
            entry: quick,
            arg: 0,
            env: core::ptr::null_mut(),
            mem_budget: u64::MAX,
            tick_budget: 0,
        };
        let id = measured(p, "spawn", t.spawn as usize, [addr(&args), 0, 0, 0]) as u32;
        rt.join(id);
    }

    /// Its body frame is the measuring frame and fills its segment. The
    /// order of its calls and its partner's is fixed by SPEC.md §11.4 (see
    /// `partner`).
    unsafe extern "C" fn measurer(_: u64) -> u64 {
        let rt = rt();
        let t = rt.table();
        let p = Place::here(&rt);
        let (small, leaf_fn) = (addr(&SMALL), leaf as FrameFn as usize as u64);
        measured(p, "frame_call onto a new segment", t.frame_call as usize, [small, leaf_fn, 1, 0]);
        let bigger = addr(&BIGGER);
        measured(p, "frame_call bigger than the cached segment", t.frame_call as usize, [bigger, leaf_fn, 2, 0]);
        let nest_fn = nest as FrameFn as usize as u64;
        measured(p, "frame_call whose return frees a segment", t.frame_call as usize, [small, nest_fn, 3, 0]);
        let mut buf = [0u8; 8];
        let mut sender = 0u32;
        let (b, s) = (addr(buf.as_mut_ptr()), addr(&raw mut sender));
        measured(p, "receive, blocking", t.receive as usize, [b, 8, s, 0]);
        let v = measured(p, "receive_vec, blocking", t.receive_vec as usize, [s, 0, 0, 0]);
        measured(p, "vec_release of a vec from a message", t.vec_release as usize, [v, 0, 0, 0]);
        0
    }

    /// Runs when the measurer blocks in `receive`: sends it a message,
    /// then, when it blocks in `receive_vec`, a vec.
    unsafe extern "C" fn partner(_: u64) -> u64 {
        let rt = rt();
        let [measurer, _, _] = ids();
        rt.send(measurer, b"x");
        rt.yield_now();
        let v = rt.vec_alloc(8);
        rt.send_vec(measurer, v);
        rt.vec_release(v);
        0
    }
}
