//! What a proc keeps (SPEC.md §2.4, §11.8): every callee-saved register, the
//! floating-point control state and, on Windows, the TEB fields of §10.11,
//! across every kind of proc switch and every slot.
//!
//! Each check is one *probe*: an assembly helper (`arch::probe_call`) loads
//! every callee-saved general and vector register, the FP control state
//! (MXCSR control bits and the x87 control word, or FPCR) and on Windows the
//! proc's own `ExceptionList` and `GuaranteedStackBytes` with values distinct
//! per proc and per register, calls one table slot with them live, and
//! stores what it finds after the call — the stack pointer too, and on
//! Windows the TEB's stack bounds, compared with `stack_info` afterwards.
//!
//! The switches covered: `yield_now` with another proc runnable; `receive`
//! and `receive_vec` blocking, woken by `send` / `send_vec`; `join` blocking
//! on a proc that ends and on one that fails; time-slice preemption at a
//! frame entry and at `tick`. The frames: onto a new segment, onto the cached
//! one, within the current one, one bigger than the cached segment, and a
//! return that frees a segment. And every other slot once, alone, including
//! every one that runs runtime code on the thread's stack.
//!
//! Each proc logs its probes; the root prints every log at the end, in a
//! fixed order, so the output does not depend on anything but the checks.
//! A line names what changed: `receiver: receive: another proc ran, 1
//! registers changed: r13`.
#![no_std]

mod arch;

use core::cell::UnsafeCell;
use core::fmt::Write as _;
use core::sync::atomic::{AtomicU8, Ordering};

use crate_support::abi::{
    BacktraceEntry, FrameDesc, FrameFn, ProcInfo, RT_VEC_BAD_OFFSET, RT_VEC_COPIED, RT_VEC_GROWN, RT_VEC_IN_PLACE,
    RtVec, RuntimeInfo, SpawnArgs, StackInfo, StackModel,
};
use crate_support::{Rt, crate_main, frame_desc, rt};

crate_main!(main);

/// One probed call: the slot, its arguments, the values loaded before the
/// call (`*_in`) and what was found after it (`*_out`). `arch::probe_call`
/// reads and writes it; its vector arrays come first, 16-aligned.
#[repr(C, align(16))]
pub struct Probe {
    /// Callee-saved vector registers (all 128 bits loaded; `arch::VEC_WORDS` checked).
    pub vec_in: [[u64; 2]; arch::N_VEC],
    pub vec_out: [[u64; 2]; arch::N_VEC],
    /// The slot and its arguments, in the C calling convention's order.
    pub func: u64,
    pub args: [u64; 4],
    /// What the slot returned (`rax` / `x0`).
    pub ret: u64,
    /// Callee-saved general registers, in `arch::GPR_NAMES` order.
    pub gpr_in: [u64; arch::N_GPR],
    pub gpr_out: [u64; arch::N_GPR],
    /// Control state, in `arch::CTL_NAMES` order.
    pub ctl_in: [u64; arch::N_CTL],
    pub ctl_out: [u64; arch::N_CTL],
    /// The OS's stack bounds right after the call (Windows: StackBase,
    /// StackLimit, DeallocationStack; zeros elsewhere).
    pub bounds_out: [u64; 3],
    /// The stack pointer just before the call instruction, and right after it returned.
    pub sp_before: u64,
    pub sp_after: u64,
}

impl Probe {
    fn new(tag: u8, func: usize, args: [u64; 4]) -> Probe {
        let mut vec_in = [[0; 2]; arch::N_VEC];
        for (i, v) in vec_in.iter_mut().enumerate() {
            *v = [word(tag, 0x40 + 2 * i), word(tag, 0x41 + 2 * i)];
        }
        let mut gpr_in = [0; arch::N_GPR];
        for (i, r) in gpr_in.iter_mut().enumerate() {
            *r = word(tag, i);
        }
        Probe {
            vec_in,
            vec_out: [[0; 2]; arch::N_VEC],
            func: func as u64,
            args,
            ret: 0,
            gpr_in,
            gpr_out: [0; arch::N_GPR],
            ctl_in: arch::control_values(tag),
            ctl_out: [0; arch::N_CTL],
            bounds_out: [0; 3],
            sp_before: 0,
            sp_after: 0,
        }
    }

    /// What changed across the call, as a mask over `Item::ALL`'s order:
    /// general registers, vector registers, control state, the stack
    /// pointer, the OS's stack bounds (against `info`, read after the call).
    fn changed(&self, info: &StackInfo) -> u64 {
        let mut mask = 0u64;
        for (i, (out, inp)) in self.gpr_out.iter().zip(&self.gpr_in).enumerate() {
            if out != inp {
                mask |= 1 << (GPR_BIT + i);
            }
        }
        for (i, (out, inp)) in self.vec_out.iter().zip(&self.vec_in).enumerate() {
            if out[..arch::VEC_WORDS] != inp[..arch::VEC_WORDS] {
                mask |= 1 << (VEC_BIT + i);
            }
        }
        for (i, (&out, &inp)) in self.ctl_out.iter().zip(&self.ctl_in).enumerate() {
            if !arch::control_same(i, inp, out) {
                mask |= 1 << (CTL_BIT + i);
            }
        }
        if self.sp_after != self.sp_before {
            mask |= 1 << SP_BIT;
        }
        if arch::HAS_OS_BOUNDS {
            let expected =
                [info.segment_high, info.segment_low, info.segment_low.wrapping_sub(StackModel::WINDOWS_STACK_ROOM)];
            for (i, (&seen, want)) in self.bounds_out.iter().zip(expected).enumerate() {
                if seen != want {
                    mask |= 1 << (BOUNDS_BIT + i);
                }
            }
        }
        mask
    }
}

const GPR_BIT: usize = 0;
const VEC_BIT: usize = 16;
const CTL_BIT: usize = 32;
const SP_BIT: usize = 40;
const BOUNDS_BIT: usize = 41;
const BOUNDS_NAMES: [&str; 3] = ["StackBase", "StackLimit", "DeallocationStack"];

const _: () = assert!(GPR_BIT + arch::N_GPR <= VEC_BIT && VEC_BIT + arch::N_VEC <= CTL_BIT);
const _: () = assert!(CTL_BIT + arch::N_CTL <= SP_BIT);
const _: () = assert!(core::mem::offset_of!(Probe, vec_in).is_multiple_of(16));
const _: () = assert!(core::mem::offset_of!(Probe, vec_out).is_multiple_of(16));

/// The name of bit `bit` of a `changed` mask.
fn item_name(bit: usize) -> &'static str {
    match bit {
        b if b < VEC_BIT => arch::GPR_NAMES[b - GPR_BIT],
        b if b < CTL_BIT => arch::VEC_NAMES[b - VEC_BIT],
        b if b < SP_BIT => arch::CTL_NAMES[b - CTL_BIT],
        SP_BIT => arch::SP_NAME,
        b => BOUNDS_NAMES[b - BOUNDS_BIT],
    }
}

/// A 64-bit value distinct for every (proc tag, register index), unlike
/// any pointer, small number or value another proc uses.
fn word(tag: u8, index: usize) -> u64 {
    let mut x = (u64::from(tag) << 8 | index as u64).wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 29;
    0xc5 << 56 | u64::from(tag) << 48 | (index as u64) << 40 | (x & 0xff_ffff_ffff)
}

// ---- logs ----

/// The procs of this case, each with its own log and its own tag (the
/// values its probes load are derived from it).
#[derive(Clone, Copy)]
enum Role {
    Root,
    Yielder,
    Receiver,
    Failer,
    SpinnerA,
    SpinnerB,
    Segments,
}

const N_ROLES: usize = 7;
const ROLE_NAMES: [&str; N_ROLES] = ["root", "yielder", "receiver", "failer", "spinner A", "spinner B", "segments"];

impl Role {
    fn tag(self) -> u8 {
        self as u8 + 1
    }

    fn from_arg(arg: u64) -> Role {
        [Role::Root, Role::Yielder, Role::Receiver, Role::Failer, Role::SpinnerA, Role::SpinnerB, Role::Segments]
            [arg as usize]
    }
}

#[derive(Clone, Copy)]
struct Entry {
    what: &'static str,
    changed: u64,
    other_ran: bool,
    /// The low 32 bits of the result, and what SPEC.md says they are.
    ret: u32,
    expected_ret: Option<u32>,
}

const LOG_CAP: usize = 64;

struct Log {
    entries: [Entry; LOG_CAP],
    len: usize,
}

const EMPTY_ENTRY: Entry = Entry { what: "", changed: 0, other_ran: false, ret: 0, expected_ret: None };
const EMPTY_LOG: Log = Log { entries: [EMPTY_ENTRY; LOG_CAP], len: 0 };

/// Every role's log. Procs run one at a time and each writes only its own.
struct Logs(UnsafeCell<[Log; N_ROLES]>);

// SAFETY: the runtime runs one proc at a time (SPEC.md §6), and each proc
// touches only its own role's log, through short-lived references.
unsafe impl Sync for Logs {}

static LOGS: Logs = Logs(UnsafeCell::new([EMPTY_LOG; N_ROLES]));

fn log(role: Role, entry: Entry) {
    // SAFETY: see `Logs`: only this proc writes this log, and no reference outlives the call.
    let log = unsafe { &mut (*LOGS.0.get())[role as usize] };
    assert!(log.len < LOG_CAP, "callee-saved: log full");
    log.entries[log.len] = entry;
    log.len += 1;
}

/// The tag of the proc that last ran crate code: each proc sets it before
/// and after each probe, so a probe sees whether another proc ran during it.
static RUNNING: AtomicU8 = AtomicU8::new(0);

/// Runs one probe of `func(args)` as `role` and logs it as `what`; returns the slot's result.
fn probe(rt: &Rt, role: Role, what: &'static str, func: usize, args: [u64; 4], expected_ret: Option<i64>) -> u64 {
    probe_with(rt, role, role.tag(), what, func, args, expected_ret)
}

/// A probe of `spawn(args)` loading the values of `child`, the role of the
/// proc it creates: the child inherits that control state (SPEC.md §11.8),
/// so it runs, and ends, with a state distinct from its spawner's.
fn probe_spawn(rt: &Rt, role: Role, child: Role, what: &'static str, args: &SpawnArgs) -> u64 {
    let spawn = rt.table().spawn as usize;
    probe_with(rt, role, child.tag(), what, spawn, [addr(args), 0, 0, 0], None) & u64::from(u32::MAX)
}

/// `probe`, loading the values of `values_tag`.
fn probe_with(
    rt: &Rt,
    role: Role,
    values_tag: u8,
    what: &'static str,
    func: usize,
    args: [u64; 4],
    expected_ret: Option<i64>,
) -> u64 {
    let tag = role.tag();
    let mut p = Probe::new(values_tag, func, args);
    RUNNING.store(tag, Ordering::Relaxed);
    // SAFETY: `func` is a table slot (or a function of this crate) taking
    // `args` as its arguments; `p` is a valid probe.
    unsafe { arch::probe_call(&mut p) };
    let other_ran = RUNNING.swap(tag, Ordering::Relaxed) != tag;
    let info = rt.stack_info();
    log(
        role,
        Entry {
            what,
            changed: p.changed(&info),
            other_ran,
            ret: p.ret as u32,
            expected_ret: expected_ret.map(|r| r as u32),
        },
    );
    p.ret
}

fn print_logs(rt: &Rt) {
    for (role, name) in ROLE_NAMES.iter().enumerate() {
        // SAFETY: every other proc has ended; nothing writes the logs any more.
        let log = unsafe { &(*LOGS.0.get())[role] };
        for e in &log.entries[..log.len] {
            let mut out = rt.out();
            let ran = if e.other_ran { "another proc ran, " } else { "" };
            let _ = write!(out, "{name}: {}: {ran}{} registers changed", e.what, e.changed.count_ones());
            let mut sep = ": ";
            for bit in 0..64 {
                if e.changed & 1 << bit != 0 {
                    let _ = write!(out, "{sep}{}", item_name(bit));
                    sep = ", ";
                }
            }
            match e.expected_ret {
                Some(want) if want != e.ret => {
                    let _ = write!(out, "; returned {} instead of {}", e.ret as i32, want as i32);
                }
                _ => {}
            }
            let _ = writeln!(out);
        }
    }
}

// ---- frames and bodies ----

static BODY: FrameDesc = frame_desc!(c"callee-saved-body", 8192);
/// Fills a segment of its own exactly (SPEC.md §10.2: 4096 + 288 bytes).
static BODY_FULL: FrameDesc = frame_desc!(c"callee-saved-full-body", 4096);
static SMALL: FrameDesc = frame_desc!(c"callee-saved-small", 64);
static MID: FrameDesc = frame_desc!(c"callee-saved-mid", 2048);
static HUGE: FrameDesc = frame_desc!(c"callee-saved-huge", 16384);
static BIGGER: FrameDesc = frame_desc!(c"callee-saved-bigger", 12000);
static QUICK: FrameDesc = frame_desc!(c"callee-saved-quick", 1024);

unsafe extern "C" fn leaf(arg: u64) -> u64 {
    arg.wrapping_add(1)
}

unsafe extern "C" fn quick_body(_: u64) -> u64 {
    7
}

fn addr<T>(p: *const T) -> u64 {
    p as usize as u64
}

fn spawn_args(desc: &'static FrameDesc, role: Role, tick_budget: u64) -> SpawnArgs {
    SpawnArgs {
        entry_desc: desc,
        entry: body,
        arg: role as u64,
        env: core::ptr::null_mut(),
        mem_budget: u64::MAX,
        tick_budget,
    }
}

/// Every proc but the root runs this, by role.
unsafe extern "C" fn body(arg: u64) -> u64 {
    let rt = rt();
    let role = Role::from_arg(arg);
    RUNNING.store(role.tag(), Ordering::Relaxed);
    match role {
        Role::Root => {}
        Role::Yielder => yielder(&rt),
        Role::Receiver => receiver(&rt),
        Role::Failer => failer(&rt),
        Role::SpinnerA | Role::SpinnerB => spinner(&rt, role),
        Role::Segments => segments(&rt),
    }
    0
}

fn main(rt: &Rt) -> i32 {
    RUNNING.store(Role::Root.tag(), Ordering::Relaxed);
    every_slot_alone(rt);
    yields(rt);
    receives(rt);
    joins(rt);
    preemption(rt);
    segments_in_a_proc(rt);
    print_logs(rt);
    0
}

// ---- the root alone: every slot, no other proc ----

fn every_slot_alone(rt: &Rt) {
    let t = rt.table();
    let r = Role::Root;
    let line = b"callee-saved: a line through write_out\n";
    probe(rt, r, "write_out", t.header.write_out as usize, [addr(line.as_ptr()), line.len() as u64, 0, 0], None);
    probe(rt, r, "write_out of 0 bytes", t.header.write_out as usize, [0, 0, 0, 0], None);
    let line = b"callee-saved: a line through write_err\n";
    probe(rt, r, "write_err", t.write_err as usize, [addr(line.as_ptr()), line.len() as u64, 0, 0], None);
    let (small, leaf_fn) = (addr(&SMALL), leaf as FrameFn as usize as u64);
    probe(rt, r, "frame_call onto a new segment", t.frame_call as usize, [small, leaf_fn, 41, 0], Some(42));
    probe(rt, r, "frame_call onto the cached segment", t.frame_call as usize, [small, leaf_fn, 42, 0], Some(43));
    let mut info = StackInfo::default();
    probe(rt, r, "stack_info", t.stack_info as usize, [addr(&raw mut info), 0, 0, 0], None);
    let mut trace = [BacktraceEntry { desc: core::ptr::null(), segment_index: 0, _reserved: 0 }; 4];
    probe(rt, r, "backtrace", t.backtrace as usize, [addr(trace.as_mut_ptr()), 4, 0, 0], Some(1));
    probe(rt, r, "self_id", t.self_id as usize, [0; 4], Some(1));
    probe(rt, r, "proc_env", t.proc_env as usize, [0; 4], Some(0));
    let mut pinfo = ProcInfo::default();
    probe(rt, r, "proc_info", t.proc_info as usize, [addr(&raw mut pinfo), 0, 0, 0], None);
    let mut rinfo = RuntimeInfo::default();
    probe(rt, r, "runtime_info", t.runtime_info as usize, [addr(&raw mut rinfo), 0, 0, 0], None);
    probe(rt, r, "tick(0)", t.tick as usize, [0; 4], None);
    probe(rt, r, "tick(5)", t.tick as usize, [5, 0, 0, 0], None);
    probe(rt, r, "yield_now, alone", t.yield_now as usize, [0; 4], None);
    let me = u64::from(rt.self_id());
    let hello = b"hello";
    probe(rt, r, "send to itself", t.send as usize, [me, addr(hello.as_ptr()), 5, 0], Some(0));
    let mut buf = [0u8; 8];
    let mut sender = 0u32;
    let (b, s) = (addr(buf.as_mut_ptr()), addr(&raw mut sender));
    probe(rt, r, "receive of a queued message", t.receive as usize, [b, 8, s, 0], Some(5));
    probe(rt, r, "send to no proc", t.send as usize, [999_999, addr(hello.as_ptr()), 5, 0], Some(-1));
    probe(rt, r, "join itself", t.join as usize, [me, 0, 0, 0], Some(-2));
    probe(rt, r, "join no proc", t.join as usize, [999_999, 0, 0, 0], Some(-1));

    let mut v = probe(rt, r, "vec_alloc", t.vec_alloc as usize, [16, 0, 0, 0], None) as *mut RtVec;
    let pv = addr(&raw mut v);
    let data = [0x5au8; 40];
    let d = addr(data.as_ptr());
    probe(rt, r, "vec_write in place", t.vec_write as usize, [pv, 0, d, 8], Some(RT_VEC_IN_PLACE.into()));
    let mut shared = probe(rt, r, "vec_share", t.vec_share as usize, [addr(v), 0, 0, 0], None) as *mut RtVec;
    let ps = addr(&raw mut shared);
    probe(rt, r, "vec_write that copies", t.vec_write as usize, [ps, 0, d, 4], Some(RT_VEC_COPIED.into()));
    probe(rt, r, "vec_write that grows", t.vec_write as usize, [pv, 8, d, 40], Some(RT_VEC_GROWN.into()));
    probe(rt, r, "vec_write past live", t.vec_write as usize, [pv, 999, d, 1], Some(RT_VEC_BAD_OFFSET.into()));
    probe(rt, r, "send_vec to itself", t.send_vec as usize, [me, addr(v), 0, 0], Some(0));
    probe(rt, r, "receive_vec of a queued vec", t.receive_vec as usize, [s, 0, 0, 0], None);
    probe(rt, r, "vec_release of a shared vec", t.vec_release as usize, [addr(v), 0, 0, 0], None);
    probe(rt, r, "vec_release of the last reference", t.vec_release as usize, [addr(v), 0, 0, 0], None);
    probe(rt, r, "vec_release of a copy", t.vec_release as usize, [addr(shared), 0, 0, 0], None);

    let args = SpawnArgs {
        entry_desc: &QUICK,
        entry: quick_body,
        arg: 0,
        env: core::ptr::null_mut(),
        mem_budget: u64::MAX,
        tick_budget: 0,
    };
    // Loading tag 0's values (the default control state): the new proc inherits them.
    let id = probe_with(rt, r, 0, "spawn", t.spawn as usize, [addr(&args), 0, 0, 0], None) & u64::from(u32::MAX);
    probe(rt, r, "join a runnable proc", t.join as usize, [id, 0, 0, 0], Some(7));
    probe(rt, r, "join an ended proc", t.join as usize, [id, 0, 0, 0], Some(7));
}

// ---- yield_now with another proc runnable ----

fn yields(rt: &Rt) {
    let t = rt.table();
    let r = Role::Root;
    let args = spawn_args(&BODY, Role::Yielder, 0);
    let id = probe_spawn(rt, r, Role::Yielder, "spawn of the yielder", &args);
    for _ in 0..3 {
        probe(rt, r, "yield_now, another proc runnable", t.yield_now as usize, [0; 4], None);
    }
    probe(rt, r, "join the yielder", t.join as usize, [id, 0, 0, 0], Some(0));
}

fn yielder(rt: &Rt) {
    for _ in 0..3 {
        probe(rt, Role::Yielder, "yield_now, another proc runnable", rt.table().yield_now as usize, [0; 4], None);
    }
}

// ---- blocking receive and receive_vec, woken by send and send_vec ----

fn receives(rt: &Rt) {
    let t = rt.table();
    let r = Role::Root;
    let args = spawn_args(&BODY, Role::Receiver, 0);
    let id = probe_spawn(rt, r, Role::Receiver, "spawn of the receiver", &args);
    probe(rt, r, "yield_now to a proc that blocks in receive", t.yield_now as usize, [0; 4], None);
    let hello = b"hello";
    probe(rt, r, "send to a blocked proc", t.send as usize, [id, addr(hello.as_ptr()), 5, 0], Some(0));
    probe(rt, r, "yield_now to a proc that blocks in receive_vec", t.yield_now as usize, [0; 4], None);
    let v = probe(rt, r, "vec_alloc", t.vec_alloc as usize, [8, 0, 0, 0], None);
    probe(rt, r, "send_vec to a blocked proc", t.send_vec as usize, [id, v, 0, 0], Some(0));
    probe(rt, r, "vec_release of a vec in a message", t.vec_release as usize, [v, 0, 0, 0], None);
    probe(rt, r, "join the receiver", t.join as usize, [id, 0, 0, 0], Some(0));
}

fn receiver(rt: &Rt) {
    let t = rt.table();
    let r = Role::Receiver;
    let mut buf = [0u8; 16];
    let mut sender = 0u32;
    let (b, s) = (addr(buf.as_mut_ptr()), addr(&raw mut sender));
    probe(rt, r, "receive, blocking", t.receive as usize, [b, 16, s, 0], Some(5));
    let v = probe(rt, r, "receive_vec, blocking", t.receive_vec as usize, [s, 0, 0, 0], None);
    probe(rt, r, "vec_release of the last reference", t.vec_release as usize, [v, 0, 0, 0], None);
}

// ---- join: a proc that fails ----

/// The failer's tick budget: its body's frame entry and two `tick(1)` fit,
/// the third `tick(1)` fails it (SPEC.md §14.3).
const FAILER_TICKS: u64 = 3;

fn joins(rt: &Rt) {
    let t = rt.table();
    let r = Role::Root;
    let args = spawn_args(&BODY, Role::Failer, FAILER_TICKS);
    let id = probe_spawn(rt, r, Role::Failer, "spawn of the failer", &args);
    probe(rt, r, "join a proc that fails", t.join as usize, [id, 0, 0, 0], Some(94));
}

fn failer(rt: &Rt) {
    let tick = rt.table().tick as usize;
    probe(rt, Role::Failer, "tick(1)", tick, [1, 0, 0, 0], None);
    probe(rt, Role::Failer, "tick(1)", tick, [1, 0, 0, 0], None);
    probe(rt, Role::Failer, "tick(1) past the tick budget", tick, [1, 0, 0, 0], None);
}

// ---- time-slice preemption at a frame entry and at tick ----

fn preemption(rt: &Rt) {
    let t = rt.table();
    let r = Role::Root;
    let a = spawn_args(&BODY, Role::SpinnerA, 0);
    let b = spawn_args(&BODY, Role::SpinnerB, 0);
    let a = probe_spawn(rt, r, Role::SpinnerA, "spawn of spinner A", &a);
    let b = probe_spawn(rt, r, Role::SpinnerB, "spawn of spinner B", &b);
    probe(rt, r, "join spinner A", t.join as usize, [a, 0, 0, 0], Some(0));
    probe(rt, r, "join spinner B", t.join as usize, [b, 0, 0, 0], Some(0));
}

/// Two spinners take turns by time slice (SPEC.md §14.2): each brings its
/// slice to 999 ticks and makes the yield point that reaches 1000 a probed
/// one — a frame entry (its body's entry counted one tick of the first
/// slice), then a `tick(1)`.
fn spinner(rt: &Rt, role: Role) {
    let t = rt.table();
    let (small, leaf_fn) = (addr(&SMALL), leaf as FrameFn as usize as u64);
    rt.tick(StackModel::TIME_SLICE - 2);
    probe(rt, role, "frame_call preempted at its entry", t.frame_call as usize, [small, leaf_fn, 1, 0], Some(2));
    rt.tick(StackModel::TIME_SLICE - 1);
    probe(rt, role, "tick(1) preempted", t.tick as usize, [1, 0, 0, 0], None);
}

// ---- frames: new, cached, same segment, bigger than the cached one, a return that frees ----

fn segments_in_a_proc(rt: &Rt) {
    let t = rt.table();
    let r = Role::Root;
    let args = spawn_args(&BODY_FULL, Role::Segments, 0);
    let id = probe_spawn(rt, r, Role::Segments, "spawn of the segments proc", &args);
    probe(rt, r, "join the segments proc", t.join as usize, [id, 0, 0, 0], Some(0));
}

/// Runs in a body frame that fills its segment exactly, so every frame it
/// enters needs the next segment.
fn segments(rt: &Rt) {
    let t = rt.table();
    let r = Role::Segments;
    let fc = t.frame_call as usize;
    let (mid, leaf_fn) = (addr(&MID), leaf as FrameFn as usize as u64);
    probe(rt, r, "frame_call onto a new segment", fc, [mid, leaf_fn, 1, 0], Some(2));
    probe(rt, r, "frame_call onto the cached segment", fc, [mid, leaf_fn, 2, 0], Some(3));
    rt.frame(&MID, || {
        let small = addr(&SMALL);
        probe(rt, r, "frame_call within the current segment", fc, [small, leaf_fn, 3, 0], Some(4))
    });
    let nest_fn = nest as FrameFn as usize as u64;
    probe(rt, r, "frame_call whose return frees a segment", fc, [mid, nest_fn, 4, 0], Some(5));
    probe(rt, r, "frame_call bigger than the cached segment", fc, [addr(&BIGGER), leaf_fn, 5, 0], Some(6));
}

/// In a frame on the next segment: enters a frame too big for it, on the
/// segment after, so that returning from the outer frame frees that one
/// (SPEC.md §10.6).
unsafe extern "C" fn nest(arg: u64) -> u64 {
    // SAFETY: a static descriptor and a function of this crate.
    unsafe { (rt().table().frame_call)(&HUGE, leaf, arg) }
}
