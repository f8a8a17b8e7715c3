//! What runtime-called code gets at its very first instruction: a frame's
//! function (`frame_call`'s `fn`) and a proc's body (`spawn`'s `entry`).
//!
//! `arch::entry_probe`, written in assembly, is used as the function itself:
//! its first instructions store the stack pointer, the FP control state
//! and, on Windows, the TEB fields, before anything can change them; then it
//! calls `stack_info` (from a stack it aligns itself) and returns. The crate
//! then checks, against SPEC.md:
//!
//! - the stack pointer is 16-aligned at the call (§10.3; QEMU does not trap
//!   on a misaligned one, so the crate checks) and is exactly `top − 32`
//!   (`top − 64` on Windows), `top` computed from `stack_info` as
//!   `segment_high − segment_live + F` (§10.2: the frame is the innermost);
//! - a frame's function runs with its caller's control state (the frame is
//!   the caller's, §10.4), also after a preemption at the frame's entry; a
//!   body starts with its spawner's at `spawn` (§11.8), whatever ran since;
//! - on Windows, `StackBase`, `StackLimit` and `DeallocationStack` describe
//!   the frame's segment (§10.11); a body starts with an empty exception
//!   chain (`ExceptionList` `!0`) and `GuaranteedStackBytes` 0, whatever its
//!   spawner had. (SPEC.md says nothing of those two inside a frame: they
//!   are the proc's, kept across switches, which `callee-saved` checks.)
//!
//! Frames are checked onto a new segment, onto the cached one, within the
//! current one, bigger than the cached one, down a recursion across
//! segments, and after a preemption at the entry; bodies in segment 0 right
//! under the start-up region (declared size 192) and on a new segment.
//! Each line counts what was wrong and names it; on Linux the TEB items do
//! not exist, and the lines read the same.
#![no_std]

mod arch;

use core::fmt::Write as _;

use crate_support::abi::{FrameDesc, FrameFn, SpawnArgs, StackInfo, StackModel};
use crate_support::{Rt, crate_main, frame_desc, rt};

crate_main!(main);

/// What `arch::entry_probe` records at the first instruction of the
/// function it stands for, then what `stack_info` says right after.
#[repr(C)]
pub struct Seen {
    /// The `stack_info` slot, called after the recording.
    pub stack_info: u64,
    /// 1 once the function ran.
    pub ran: u64,
    /// The stack pointer at the first instruction.
    pub sp: u64,
    /// The control state, in `arch::CTL_NAMES` order.
    pub ctl: [u64; arch::N_CTL],
    /// Windows: StackBase, StackLimit, DeallocationStack (zeros elsewhere).
    pub bounds: [u64; 3],
    pub info: StackInfo,
}

impl Seen {
    const fn new() -> Seen {
        Seen {
            stack_info: 0,
            ran: 0,
            sp: 0,
            ctl: [0; arch::N_CTL],
            bounds: [0; 3],
            info: StackInfo {
                segment_index: 0,
                segments_held: 0,
                segment_size: 0,
                segment_live: 0,
                segment_low: 0,
                segment_high: 0,
                segments_allocated: 0,
                segments_freed: 0,
                depth: 0,
            },
        }
    }

    fn armed(rt: &Rt) -> Seen {
        Seen { stack_info: rt.table().stack_info as usize as u64, ..Seen::new() }
    }

    /// What was wrong, as a mask over `item_name`'s order, for a function
    /// in a frame of declared size `size` that should have seen `ctl` (the
    /// items SPEC.md says something of).
    fn wrong(&self, size: u64, ctl: &[Option<u64>; arch::N_CTL]) -> u64 {
        if self.ran != 1 {
            return 1 << NOT_RUN;
        }
        let mut mask = 0;
        if self.sp % 16 != arch::ENTRY_SP_MOD16 {
            mask |= 1 << SP_ALIGN;
        }
        let top =
            self.info.segment_high.wrapping_sub(self.info.segment_live).wrapping_add(StackModel::frame_bytes(size));
        if self.sp != top.wrapping_sub(arch::ENTRY_SP_BELOW_TOP) {
            mask |= 1 << SP_PLACE;
        }
        for (i, (want, &seen)) in ctl.iter().zip(&self.ctl).enumerate() {
            if want.is_some_and(|want| !arch::control_same(i, want, seen)) {
                mask |= 1 << (CTL_BIT + i);
            }
        }
        if arch::HAS_OS_BOUNDS {
            let info = &self.info;
            let want =
                [info.segment_high, info.segment_low, info.segment_low.wrapping_sub(StackModel::WINDOWS_STACK_ROOM)];
            for (i, (&seen, want)) in self.bounds.iter().zip(want).enumerate() {
                if seen != want {
                    mask |= 1 << (BOUNDS_BIT + i);
                }
            }
        }
        mask
    }
}

const NOT_RUN: usize = 0;
const SP_ALIGN: usize = 1;
const SP_PLACE: usize = 2;
pub(crate) const CTL_BIT: usize = 8;
const BOUNDS_BIT: usize = 16;
const BOUNDS_NAMES: [&str; 3] = ["StackBase", "StackLimit", "DeallocationStack"];

const _: () = assert!(arch::N_CTL <= BOUNDS_BIT - CTL_BIT);

fn item_name(bit: usize) -> &'static str {
    match bit {
        NOT_RUN => "the function did not run",
        SP_ALIGN => "sp not 16-aligned at the call",
        SP_PLACE => "sp not where SPEC.md 10.3 puts it",
        b if b < BOUNDS_BIT => arch::CTL_NAMES[b - CTL_BIT],
        b => BOUNDS_NAMES[b - BOUNDS_BIT],
    }
}

fn report(rt: &Rt, what: &str, wrong: u64) {
    let mut out = rt.out();
    let _ = write!(out, "{what}: {} wrong", wrong.count_ones());
    let mut sep = ": ";
    for bit in 0..64 {
        if wrong & 1 << bit != 0 {
            let _ = write!(out, "{sep}{}", item_name(bit));
            sep = ", ";
        }
    }
    let _ = writeln!(out);
}

/// The function `frame_call` and `spawn` are given: the probe itself.
fn entry_fn() -> FrameFn {
    arch::entry_probe
}

/// Calls `func(args)` with the control state of `tag` in force (and on
/// Windows the proc's own ExceptionList and GuaranteedStackBytes of `tag`).
fn call_with(tag: u8, func: usize, args: [u64; 3]) -> u64 {
    let mut call = Call { func: func as u64, args, ctl: arch::control_values(tag), ret: 0 };
    // SAFETY: `func` is a table slot taking `args`.
    unsafe { arch::call_with(&mut call) };
    call.ret
}

/// What `arch::call_with` reads and writes.
#[repr(C)]
pub struct Call {
    pub func: u64,
    pub args: [u64; 3],
    pub ctl: [u64; arch::N_CTL],
    pub ret: u64,
}

fn addr<T>(p: *const T) -> u64 {
    p as usize as u64
}

/// Enters a frame of `desc` whose function is the probe, with the control
/// state of `tag`; returns what was wrong.
fn check_frame(rt: &Rt, tag: u8, desc: &'static FrameDesc) -> u64 {
    let mut seen = Seen::armed(rt);
    let frame_call = rt.table().frame_call as usize;
    call_with(tag, frame_call, [addr(desc), entry_fn() as usize as u64, addr(&raw mut seen)]);
    seen.wrong(desc.size, &arch::frame_values(arch::control_values(tag)))
}

// ---- descriptors ----

/// The probe's frame: its return address, two saved registers, alignment
/// and (Windows) the shadow spaces, with room to spare.
static PROBE: FrameDesc = frame_desc!(c"entry-probe", 128);
static MID: FrameDesc = frame_desc!(c"entry-mid", 2048);
static BIGGER: FrameDesc = frame_desc!(c"entry-bigger", 12000);
static DEEP: FrameDesc = frame_desc!(c"entry-deep", 3000);
/// Fills a segment of its own exactly (4096 + 288 bytes).
static BODY_FULL: FrameDesc = frame_desc!(c"entry-full-body", 4096);
static BODY: FrameDesc = frame_desc!(c"entry-body", 8192);
/// Fits segment 0 under the start-up region: 288 + 192 + 288 = 768 (SPEC.md §10.1, §10.2).
static BODY_SEG0: FrameDesc = frame_desc!(c"entry-body-seg0", 192);
static BODY_NEW_SEGMENT: FrameDesc = frame_desc!(c"entry-body-new-segment", 1024);

// ---- the root ----

fn main(rt: &Rt) -> i32 {
    report(rt, "root proc at its start", arch::root_start_wrong());
    frames_in_a_proc(rt);
    bodies(rt);
    preemption(rt);
    0
}

/// Results the procs leave for the root, which prints them in order.
struct Results([u64; N_RESULTS]);

const N_RESULTS: usize = 8;
const FRAME_NEW: usize = 0;
const FRAME_CACHED: usize = 1;
const FRAME_SAME: usize = 2;
const FRAME_BIGGER: usize = 3;
const FRAME_DEEP: usize = 4;
const PREEMPTED_A: usize = 5;
const PREEMPTED_B: usize = 6;

static RESULTS: Global<Results> = Global::new(Results([0; N_RESULTS]));

fn set_result(i: usize, wrong: u64) {
    // SAFETY: procs run one at a time; no reference outlives the statement.
    unsafe { (*RESULTS.get()).0[i] = wrong };
}

fn result(i: usize) -> u64 {
    // SAFETY: as above.
    unsafe { (*RESULTS.get()).0[i] }
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

// ---- frames ----

const FRAMES_TAG: u8 = 1;

fn frames_in_a_proc(rt: &Rt) {
    let id = rt.spawn(&BODY_FULL, frames_body, 0, u64::MAX);
    rt.join(id);
    report(rt, "frame onto a new segment", result(FRAME_NEW));
    report(rt, "frame onto the cached segment", result(FRAME_CACHED));
    report(rt, "frame within the current segment", result(FRAME_SAME));
    report(rt, "frame bigger than the cached segment", result(FRAME_BIGGER));
    report(rt, "frames down a recursion across segments", result(FRAME_DEEP));
}

/// In a body frame that fills its segment, so the first frame needs the next one.
unsafe extern "C" fn frames_body(_: u64) -> u64 {
    let rt = rt();
    set_result(FRAME_NEW, check_frame(&rt, FRAMES_TAG, &PROBE));
    set_result(FRAME_CACHED, check_frame(&rt, FRAMES_TAG, &PROBE));
    set_result(FRAME_SAME, rt.frame(&MID, || check_frame(&rt, FRAMES_TAG, &PROBE)));
    set_result(FRAME_BIGGER, check_frame(&rt, FRAMES_TAG, &BIGGER));
    set_result(FRAME_DEEP, descend(&rt, 1));
    0
}

const DEPTH: u64 = 12;

/// Frames of 3000 bytes, a probe frame under each: they fill segments and
/// move on to new ones. Returns what was wrong, all levels together.
fn descend(rt: &Rt, depth: u64) -> u64 {
    rt.frame(&DEEP, || {
        let tag = FRAMES_TAG + (depth % 3) as u8;
        let mut wrong = check_frame(rt, tag, &PROBE);
        if depth < DEPTH {
            wrong |= descend(rt, depth + 1);
        }
        wrong | check_frame(rt, tag, &PROBE)
    })
}

// ---- bodies ----

static SEEN_SEG0: Global<Seen> = Global::new(Seen::new());
static SEEN_NEW_SEGMENT: Global<Seen> = Global::new(Seen::new());

const SPAWNER_TAG_SEG0: u8 = 2;
const SPAWNER_TAG_NEW_SEGMENT: u8 = 3;
const JOINER_TAG: u8 = 4;

/// Each body is the probe itself. The root spawns it with one control
/// state (and Windows exception chain) in force and joins it with another:
/// the body must start with the first, an empty chain and no guaranteed
/// stack bytes.
fn bodies(rt: &Rt) {
    let cases: [(&str, &'static FrameDesc, &Global<Seen>, u8); 2] = [
        ("proc body in segment 0 under the start-up region", &BODY_SEG0, &SEEN_SEG0, SPAWNER_TAG_SEG0),
        ("proc body on a new segment", &BODY_NEW_SEGMENT, &SEEN_NEW_SEGMENT, SPAWNER_TAG_NEW_SEGMENT),
    ];
    for (what, desc, seen, tag) in cases {
        // SAFETY: the body has not been spawned yet: nothing else uses it.
        unsafe { seen.get().write(Seen::armed(rt)) };
        let args = SpawnArgs {
            entry_desc: desc,
            entry: entry_fn(),
            arg: addr(seen.get()),
            env: core::ptr::null_mut(),
            mem_budget: u64::MAX,
            tick_budget: 0,
        };
        let id = call_with(tag, rt.table().spawn as usize, [addr(&args), 0, 0]) as u32;
        call_with(JOINER_TAG, rt.table().join as usize, [u64::from(id), 0, 0]);
        // SAFETY: the body has ended.
        let wrong = unsafe { (*seen.get()).wrong(desc.size, &arch::start_values(arch::control_values(tag))) };
        report(rt, what, wrong);
    }
}

// ---- a frame's function after a preemption at the frame's entry ----

const TAG_A: u8 = 5;
const TAG_B: u8 = 6;

fn preemption(rt: &Rt) {
    let a = rt.spawn(&BODY, spinner, PREEMPTED_A as u64, u64::MAX);
    let b = rt.spawn(&BODY, spinner, PREEMPTED_B as u64, u64::MAX);
    rt.join(a);
    rt.join(b);
    report(rt, "frame entered after a preemption at its entry (A)", result(PREEMPTED_A));
    report(rt, "frame entered after a preemption at its entry (B)", result(PREEMPTED_B));
}

/// Brings its slice to 999 ticks (its body's entry counted one) so that
/// the probe's frame entry reaches 1000 and is preempted (SPEC.md §14.2):
/// the other spinner runs with its own state first.
unsafe extern "C" fn spinner(slot: u64) -> u64 {
    let rt = rt();
    let tag = if slot as usize == PREEMPTED_A { TAG_A } else { TAG_B };
    rt.tick(StackModel::TIME_SLICE - 2);
    set_result(slot as usize, check_frame(&rt, tag, &PROBE));
    0
}
