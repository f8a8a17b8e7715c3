//! The scenario interpreter: runs the scenario the runner wrote into this
//! crate's `.rtscn` section, turning each op into table calls and every
//! observable into a binary record on standard output, exactly as
//! `scenario-format/INTERPRETING.md` says. The runner compares the records
//! with the model's prediction.
//!
//! Like every crate it imports only `rt_start`. It has no allocator: its
//! state is static — per proc (indexed by id: vec slots, the repeat stack,
//! a receive buffer) and global (descriptors and call sites built from the
//! image at start, the vec registry, the record buffer). Global scratch is
//! used only between table calls that cannot switch procs.
//!
//! **Stack.** The interpreter runs inside the frames the scenario declares,
//! so its stack use is bounded: *full* frames (`full`, `run_block`) use a
//! constant amount whatever the nesting (repeats live in the per-proc
//! static repeat stack, a nested frame is a new frame), under
//! `FULL_MIN_FRAME`; *thin* frames run `arch::thin`, a few words of
//! assembly, under `THIN_MIN_FRAME`.
#![no_std]

mod arch;

use core::ptr::{addr_of, addr_of_mut, null, null_mut};

use crate_support::abi::{
    BacktraceEntry, FrameDesc, FrameFn, ProcInfo, RtTable, RtVec, RuntimeInfo, SpawnArgs, StackInfo, StackModel,
};
use crate_support::{Rt, crate_main, os_stack_bounds};
use scenario_format::{
    BACKTRACE_GUARD, DESC_ROOT, DESC_UNKNOWN, FULL_MIN_FRAME, GUARD_BYTE, Image, MAX_BACKTRACE, MAX_MESSAGE,
    MAX_NESTING, MAX_PROCS, MAX_REGISTRY, OpReader, RECEIVE_GUARD, RawOp, RecordWriter, SECTION_SIZE, THIN_MIN_FRAME,
    VEC_NONE, VEC_SLOTS, VEC_UNKNOWN, checksum, fill_byte, internal, record,
};

crate_main!(main);

/// The scenario image, written by the runner into a copy of this crate.
/// It starts with a marker that is not an image, so that the section has
/// file contents to overwrite (all zeros would make it `.bss`-like).
#[used]
#[unsafe(link_section = ".rtscn")]
static mut IMAGE: [u8; SECTION_SIZE] = {
    let mut bytes = [0u8; SECTION_SIZE];
    let marker = *b"RTSCN-NO-SCENARIO";
    let mut i = 0;
    while i < marker.len() {
        bytes[i] = marker[i];
        i += 1;
    }
    bytes
};

/// The table, for `arch::thin` (which reads it by symbol) and everything here.
pub static mut TABLE: *const RtTable = null();

/// A call site: what a frame's function does (INTERPRETING.md). `arch::thin`
/// reads `child`, `desc`, `func` and `ret` at their `offset_of!`.
#[repr(C)]
pub struct Site {
    /// The frame's descriptor.
    desc: *const FrameDesc,
    /// `full` or `arch::thin`, by the descriptor's size.
    func: FrameFn,
    /// A thin frame's child frame, or null.
    child: *const Site,
    /// What the function returns (a thin one: plus its child's result).
    ret: u64,
    /// A full frame's block.
    body: *const u8,
    body_len: usize,
    /// The descriptor's index in the scenario.
    desc_index: u64,
    /// A proc's body (`START`/`END`) rather than a `FRAME` op (`ENTER`).
    program_body: bool,
    /// The op's offset in the image (a `FRAME` op's site).
    op_offset: usize,
}

const MAX_DESCS: usize = 1024;
const MAX_PROGRAMS: usize = 512;
const MAX_SITES: usize = 8192;

/// What each proc keeps.
struct ProcState {
    slots: [*mut RtVec; VEC_SLOTS as usize],
    /// Quiet repeats the proc is in.
    quiet: u32,
    /// What `proc_env` must return.
    expected_env: *mut core::ffi::c_void,
    /// The repeat stack: each entry a block being run, `remaining` times more.
    repeats: [Repeat; MAX_NESTING],
    depth: usize,
    receive: [u8; MAX_MESSAGE as usize + RECEIVE_GUARD],
}

#[derive(Clone, Copy)]
struct Repeat {
    body: *const u8,
    len: usize,
    /// Where the next op is, in `body`.
    at: usize,
    remaining: u32,
    quiet: bool,
}

const NO_REPEAT: Repeat = Repeat { body: null(), len: 0, at: 0, remaining: 0, quiet: false };
const NEW_PROC: ProcState = ProcState {
    slots: [null_mut(); VEC_SLOTS as usize],
    quiet: 0,
    expected_env: null_mut(),
    repeats: [NO_REPEAT; MAX_NESTING],
    depth: 0,
    receive: [0; MAX_MESSAGE as usize + RECEIVE_GUARD],
};

static mut PROCS: [ProcState; MAX_PROCS as usize] = [NEW_PROC; MAX_PROCS as usize];

/// Everything built from the image, and the global scratch.
struct Interp {
    descs: [FrameDesc; MAX_DESCS],
    n_descs: usize,
    sites: [Site; MAX_SITES],
    n_sites: usize,
    /// Per program: its body as a full frame, and as a thin one.
    full_bodies: [Site; MAX_PROGRAMS],
    thin_bodies: [Site; MAX_PROGRAMS],
    /// Whether a program may be a thin body: empty, or one `FRAME` op.
    thin_ok: [bool; MAX_PROGRAMS],
    n_programs: usize,
    /// What `proc_env` returns to a proc spawned with `env`: a tag per program.
    env_tags: [u8; MAX_PROGRAMS],
    registry: [*mut RtVec; MAX_REGISTRY],
    n_registry: usize,
    seq: u32,
    record: [u8; record::HEADER + 8 * record::MAX_FIELDS],
    backtrace: [BacktraceEntry; MAX_BACKTRACE as usize + BACKTRACE_GUARD],
    send: [u8; MAX_MESSAGE as usize],
}

const NO_SITE: Site = Site {
    desc: null(),
    func: full,
    child: null(),
    ret: 0,
    body: null(),
    body_len: 0,
    desc_index: 0,
    program_body: false,
    op_offset: 0,
};
const NO_DESC: FrameDesc = FrameDesc { size: 0, name: null() };
const NO_ENTRY: BacktraceEntry = BacktraceEntry { desc: null(), segment_index: 0, _reserved: 0 };

static mut INTERP: Interp = Interp {
    descs: [NO_DESC; MAX_DESCS],
    n_descs: 0,
    sites: [NO_SITE; MAX_SITES],
    n_sites: 0,
    full_bodies: [NO_SITE; MAX_PROGRAMS],
    thin_bodies: [NO_SITE; MAX_PROGRAMS],
    thin_ok: [false; MAX_PROGRAMS],
    n_programs: 0,
    env_tags: [0; MAX_PROGRAMS],
    registry: [null_mut(); MAX_REGISTRY],
    n_registry: 0,
    seq: 0,
    record: [0; record::HEADER + 8 * record::MAX_FIELDS],
    backtrace: [NO_ENTRY; MAX_BACKTRACE as usize + BACKTRACE_GUARD],
    send: [0; MAX_MESSAGE as usize],
};

/// The table. Set before anything else runs.
fn t() -> &'static RtTable {
    // SAFETY: set once by `main` to an accepted table, which outlives the crate.
    unsafe { &*TABLE }
}

/// The interpreter's global state, as a raw pointer: single-threaded, and
/// no reference to it is held across a table call that can switch procs.
fn interp() -> *mut Interp {
    addr_of_mut!(INTERP)
}

/// Proc `id`'s state, or the interpreter's end when it has none.
fn proc_state(id: u32) -> *mut ProcState {
    if id == 0 || id >= MAX_PROCS {
        fail(internal::TOO_MANY_PROCS);
    }
    // SAFETY: a raw pointer to an element; no reference is made.
    unsafe { addr_of_mut!(PROCS[id as usize]) }
}

/// The interpreter cannot go on: `INTERNAL {code}`, then a trap.
#[cold]
#[inline(never)]
fn fail(code: u64) -> ! {
    emit_always(record::INTERNAL, 0, &[code]);
    crate_support::trap()
}

fn main(rt: &Rt) -> i32 {
    // SAFETY: single-threaded, before anything reads it.
    unsafe { TABLE = rt.table() };
    // SAFETY: the runner wrote the image before the process started; nothing writes it.
    let section: &'static [u8] = unsafe { &*addr_of!(IMAGE) };
    let Ok(image) = Image::parse(section) else { fail(internal::BAD_IMAGE) };
    setup(section, &image);
    // The root runs program 0 in its own `rust_entry` frame.
    // SAFETY: `setup` built the program sites.
    let site = unsafe { addr_of!((*interp()).full_bodies[0]) };
    // SAFETY: a full site.
    unsafe { full(site as u64) as u32 as i32 }
}

/// Builds descriptors and call sites from the image.
fn setup(section: &'static [u8], image: &Image<'static>) {
    let it = interp();
    // SAFETY: single-threaded, before any proc but the root runs; the
    // references made here end with the function.
    unsafe {
        let n_descs = image.n_descs() as usize;
        let n_programs = image.n_programs() as usize;
        if n_descs > MAX_DESCS || n_programs > MAX_PROGRAMS {
            fail(internal::BAD_IMAGE);
        }
        for i in 0..n_descs {
            let Some(desc) = image.desc(i as u16) else { fail(internal::BAD_IMAGE) };
            (*it).descs[i] = FrameDesc { size: desc.size, name: desc.name_with_nul.as_ptr().cast() };
        }
        (*it).n_descs = n_descs;
        (*it).n_programs = n_programs;
        for p in 0..n_programs {
            let Some(program) = image.program(p as u16) else { fail(internal::BAD_IMAGE) };
            let ops = program.ops;
            add_sites(section, ops);
            (*it).full_bodies[p] = Site {
                desc: null(),
                func: full,
                child: null(),
                ret: u64::from(program.status),
                body: ops.as_ptr(),
                body_len: ops.len(),
                desc_index: 0,
                program_body: true,
                op_offset: 0,
            };
            // A thin body: empty, or one FRAME op (whose site was just made).
            let mut reader = OpReader::new(ops);
            let first = reader.next_op();
            let thin_child = match first {
                Ok(None) => Some(null()),
                Ok(Some(RawOp::Frame { .. })) if reader.offset() == ops.len() => {
                    Some(site_at(offset_in(section, ops.as_ptr())) as *const Site)
                }
                _ => None,
            };
            (*it).thin_ok[p] = thin_child.is_some();
            (*it).thin_bodies[p] = Site {
                desc: null(),
                func: arch::thin,
                child: thin_child.unwrap_or(null()),
                ret: u64::from(program.status),
                body: null(),
                body_len: 0,
                desc_index: 0,
                program_body: true,
                op_offset: 0,
            };
        }
    }
}

/// The offset of `at` in the section.
fn offset_in(section: &[u8], at: *const u8) -> usize {
    at as usize - section.as_ptr() as usize
}

/// Adds a site for every `FRAME` op in `block`, in the order of the image
/// (so sites are sorted by offset). Recursion is bounded by `MAX_NESTING`
/// and runs in the root's 64 KiB frame.
fn add_sites(section: &'static [u8], block: &'static [u8]) {
    let it = interp();
    let mut reader = OpReader::new(block);
    loop {
        let at = block.as_ptr() as usize + reader.offset();
        let op = match reader.next_op() {
            Ok(Some(op)) => op,
            Ok(None) => return,
            Err(_) => fail(internal::BAD_IMAGE),
        };
        match op {
            RawOp::Frame { desc, ret, body } => {
                // SAFETY: single-threaded, during setup.
                unsafe {
                    let i = (*it).n_sites;
                    if i == MAX_SITES {
                        fail(internal::BAD_IMAGE);
                    }
                    (*it).n_sites += 1;
                    let d = desc_ptr(desc);
                    let size = (*d).size;
                    if size < THIN_MIN_FRAME {
                        fail(internal::FRAME_TOO_SMALL);
                    }
                    let thin = size < FULL_MIN_FRAME;
                    (*it).sites[i] = Site {
                        desc: d,
                        func: if thin { arch::thin } else { full },
                        child: null(),
                        ret: u64::from(ret),
                        body: body.as_ptr(),
                        body_len: body.len(),
                        desc_index: u64::from(desc),
                        program_body: false,
                        op_offset: at - section.as_ptr() as usize,
                    };
                    add_sites(section, body);
                    if thin {
                        // Its block: empty, or one FRAME op, the next site.
                        let mut inner = OpReader::new(body);
                        (*it).sites[i].child = match inner.next_op() {
                            Ok(None) => null(),
                            Ok(Some(RawOp::Frame { .. })) if inner.offset() == body.len() => {
                                addr_of!((*it).sites[i + 1])
                            }
                            _ => fail(internal::FRAME_TOO_SMALL),
                        };
                    }
                }
            }
            RawOp::Repeat { body, .. } => add_sites(section, body),
            _ => {}
        }
    }
}

/// Descriptor `i` of the scenario.
fn desc_ptr(i: u16) -> *const FrameDesc {
    let it = interp();
    // SAFETY: single-threaded; a raw pointer to an element.
    unsafe {
        if i as usize >= (*it).n_descs {
            fail(internal::BAD_IMAGE);
        }
        addr_of!((*it).descs[i as usize])
    }
}

/// The site of the `FRAME` op at `offset` in the image.
fn site_at(offset: usize) -> *mut Site {
    let it = interp();
    // SAFETY: single-threaded; sites are sorted by offset.
    unsafe {
        let (mut lo, mut hi) = (0, (*it).n_sites);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match (*it).sites[mid].op_offset.cmp(&offset) {
                core::cmp::Ordering::Less => lo = mid + 1,
                core::cmp::Ordering::Greater => hi = mid,
                core::cmp::Ordering::Equal => return addr_of_mut!((*it).sites[mid]),
            }
        }
    }
    fail(internal::BAD_IMAGE)
}

// ---- records ----

/// Writes a record for `proc` unless it is in a quiet repeat.
fn emit(kind: u8, proc: u32, fields: &[u64]) {
    // SAFETY: `proc`'s state exists (checked when the proc started).
    if unsafe { (*proc_state(proc)).quiet } > 0 {
        return;
    }
    emit_always(kind, proc, fields);
}

fn emit_always(kind: u8, proc: u32, fields: &[u64]) {
    emit_built(kind, proc, |w| {
        for &field in fields {
            w.field(field);
        }
    });
}

/// Writes a record whose fields `build` adds, in the global record buffer
/// (no array of fields on the stack).
fn emit_built(kind: u8, proc: u32, build: impl FnOnce(&mut RecordWriter<'_>)) {
    let it = interp();
    // SAFETY: single-threaded; write_out does not switch procs, so the
    // global record buffer is ours until it returns.
    unsafe {
        let seq = (*it).seq;
        (*it).seq += 1;
        let mut w = RecordWriter::new(&mut (*it).record, kind, proc, seq);
        build(&mut w);
        let bytes = w.bytes();
        (t().header.write_out)(bytes.as_ptr(), bytes.len());
    }
}

/// `STATE`: `proc_info` then `stack_info`, and the checks (INTERPRETING.md).
#[inline(never)]
fn emit_state(me: u32) {
    // SAFETY: `me` has state.
    if unsafe { (*proc_state(me)).quiet } > 0 {
        return;
    }
    let mut info = ProcInfo::default();
    let mut stack = StackInfo::default();
    // SAFETY: writable outputs.
    unsafe {
        (t().proc_info)(&mut info);
        (t().stack_info)(&mut stack);
    }
    let probe = 0u8;
    let local = core::hint::black_box(&probe) as *const u8 as u64;
    let mut flags = 0;
    if (stack.segment_low..stack.segment_high).contains(&local) {
        flags |= record::FLAG_LOCAL_IN_SEGMENT;
    }
    if stack.segment_high.wrapping_sub(stack.segment_low) == stack.segment_size {
        flags |= record::FLAG_SEGMENT_BOUNDS;
    }
    let os_ok = match os_stack_bounds() {
        Some(os) => {
            os.base == stack.segment_high
                && os.limit == stack.segment_low
                && os.dealloc == stack.segment_low.wrapping_sub(StackModel::WINDOWS_STACK_ROOM)
        }
        None => true,
    };
    if os_ok {
        flags |= record::FLAG_OS_BOUNDS;
    }
    if info.id == me {
        flags |= record::FLAG_ID;
    }
    emit(
        record::STATE,
        me,
        &[
            info.mem_budget,
            info.curr_mem,
            info.queued,
            info.curr_ticks,
            info.tick_budget,
            info.vec_copies,
            u64::from(stack.segment_index),
            u64::from(stack.segments_held),
            stack.segment_size,
            stack.segment_live,
            stack.segments_allocated,
            stack.segments_freed,
            stack.depth,
            flags,
        ],
    );
}

// ---- vecs ----

/// The registry's name for `v` (INTERPRETING.md, "Vec names").
fn vec_name(v: *mut RtVec) -> u64 {
    if v.is_null() {
        return VEC_NONE;
    }
    let it = interp();
    // SAFETY: single-threaded.
    unsafe {
        for i in (0..(*it).n_registry).rev() {
            if (*it).registry[i] == v {
                return i as u64;
            }
        }
    }
    VEC_UNKNOWN
}

/// Adds a vec the interpreter saw created.
fn register(v: *mut RtVec) {
    let it = interp();
    // SAFETY: single-threaded.
    unsafe {
        if (*it).n_registry == MAX_REGISTRY {
            fail(internal::REGISTRY_FULL);
        }
        (*it).registry[(*it).n_registry] = v;
        (*it).n_registry += 1;
    }
}

/// `refs size live init checksum` of a vec the proc holds (zeros for null).
fn vec_fields(v: *mut RtVec) -> [u64; 5] {
    if v.is_null() {
        return [0; 5];
    }
    // SAFETY: the proc holds `v`: its header and first `live` bytes are readable.
    unsafe {
        let live = (*v).live;
        let bytes = core::slice::from_raw_parts(RtVec::slots_ptr(v), live as usize);
        [(*v).refs.load(core::sync::atomic::Ordering::Relaxed), (*v).size, live, (*v).init, checksum(bytes)]
    }
}

/// The vec in slot `s`; an empty slot is an invalid scenario.
fn slot(st: *mut ProcState, s: u8) -> *mut RtVec {
    // SAFETY: `st` is the running proc's state.
    let v = unsafe { (*st).slots[s as usize] };
    if v.is_null() {
        fail(internal::EMPTY_SLOT);
    }
    v
}

/// Fills the global send buffer with `fill_byte(fill, i)` and returns it.
fn pattern(fill: u8, len: u32) -> *const u8 {
    let it = interp();
    // SAFETY: single-threaded; used by a call that does not switch procs.
    unsafe {
        for i in 0..len as usize {
            (*it).send[i] = fill_byte(fill, i);
        }
        addr_of!((*it).send).cast()
    }
}

// ---- frames and blocks ----

/// A full frame's function (INTERPRETING.md): records its start, runs its
/// block, records its end for a proc's body.
unsafe extern "C" fn full(arg: u64) -> u64 {
    let site = arg as *const Site;
    // SAFETY: no arguments.
    let me = unsafe { (t().self_id)() };
    let st = proc_state(me);
    // SAFETY: `site` is a site of the image; `st` is this proc's state.
    unsafe {
        if (*site).program_body {
            let env = (t().proc_env)();
            emit(record::START, me, &[u64::from(me), u64::from(env == (*st).expected_env)]);
        } else {
            emit(record::ENTER, me, &[(*site).desc_index]);
        }
        emit_state(me);
        run_block(me, st, (*site).body, (*site).body_len);
        if (*site).program_body {
            emit(record::END, me, &[(*site).ret]);
        }
        (*site).ret
    }
}

/// Runs a block, with repeats on the proc's repeat stack.
///
/// # Safety
/// `st` is proc `me`'s state; `body` is `len` bytes of the image.
#[inline(never)]
unsafe fn run_block(me: u32, st: *mut ProcState, body: *const u8, len: usize) {
    // SAFETY: the repeat stack is this proc's; entries point into the image.
    unsafe {
        let base = (*st).depth;
        push_repeat(st, Repeat { body, len, at: 0, remaining: 1, quiet: false });
        loop {
            let top = (*st).depth - 1;
            let entry = (*st).repeats[top];
            let block = core::slice::from_raw_parts(entry.body, entry.len);
            let mut reader = OpReader::new(block);
            reader_skip(&mut reader, entry.at);
            let op = match reader.next_op() {
                Ok(op) => op,
                Err(_) => fail(internal::BAD_IMAGE),
            };
            (*st).repeats[top].at = reader.offset();
            let Some(op) = op else {
                // The end of this pass over the block.
                if entry.remaining > 1 {
                    (*st).repeats[top].remaining -= 1;
                    (*st).repeats[top].at = 0;
                    continue;
                }
                if entry.quiet {
                    (*st).quiet -= 1;
                }
                (*st).depth -= 1;
                if (*st).depth == base {
                    return;
                }
                emit_state(me); // after the REPEAT op that just ended
                continue;
            };
            if let RawOp::Repeat { count, quiet, body } = op {
                if count == 0 {
                    emit_state(me);
                    continue;
                }
                if quiet {
                    (*st).quiet += 1;
                }
                push_repeat(st, Repeat { body: body.as_ptr(), len: body.len(), at: 0, remaining: count, quiet });
                continue;
            }
            let op_at = entry.body as usize + entry.at;
            run_op(me, st, op, op_at);
            emit_state(me);
        }
    }
}

/// Advances a fresh reader to `at` (an op boundary it reached before).
fn reader_skip(reader: &mut OpReader<'_>, at: usize) {
    while reader.offset() < at {
        if reader.next_op().is_err() {
            fail(internal::BAD_IMAGE);
        }
    }
}

/// Pushes a repeat entry.
///
/// # Safety
/// `st` is the running proc's state.
unsafe fn push_repeat(st: *mut ProcState, entry: Repeat) {
    // SAFETY: caller's promise.
    unsafe {
        if (*st).depth == MAX_NESTING {
            fail(internal::TOO_DEEP);
        }
        (*st).repeats[(*st).depth] = entry;
        (*st).depth += 1;
    }
}

/// One op (INTERPRETING.md, "Ops"), and its record.
///
/// # Safety
/// `st` is proc `me`'s state; `op_at` is the op's address in the image.
#[inline(never)]
unsafe fn run_op(me: u32, st: *mut ProcState, op: RawOp<'static>, op_at: usize) {
    let table = t();
    // SAFETY: each arm passes the table what its slot takes.
    unsafe {
        match op {
            RawOp::Frame { desc, .. } => {
                // SAFETY: sites live as long as the process.
                let section = addr_of!(IMAGE) as usize;
                let site = site_at(op_at - section);
                let result = (table.frame_call)((*site).desc, (*site).func, site as u64);
                emit(record::LEAVE, me, &[u64::from(desc), result]);
            }
            RawOp::Repeat { .. } => unreachable!("run_block handles repeats"),
            RawOp::Backtrace { max, null } => run_backtrace(me, max, null),
            RawOp::RuntimeInfo => {
                let mut info = RuntimeInfo::default();
                (table.runtime_info)(&mut info);
                emit(record::RUNTIME_INFO, me, &[info.procs, info.segments, info.vecs, info.messages, info.bytes]);
            }
            RawOp::Spawn { program, desc, mem_budget, tick_budget, env } => {
                run_spawn(me, program, desc, mem_budget, tick_budget, env)
            }
            RawOp::Yield => {
                (table.yield_now)();
                emit(record::YIELD, me, &[]);
            }
            RawOp::Join { id, discarded_null } => {
                let mut discarded = 0x5eedu64;
                let out = if discarded_null { null_mut() } else { &raw mut discarded };
                let result = (table.join)(id, out);
                let d = if discarded_null { u64::MAX } else { discarded };
                emit(record::JOIN, me, &[result as i64 as u64, d]);
            }
            RawOp::Send { to, len, fill, null } => {
                let bytes = if null { core::ptr::null() } else { pattern(fill, len) };
                let result = (table.send)(to, bytes, len as usize);
                emit(record::SEND, me, &[result as i64 as u64]);
            }
            RawOp::Receive { cap, buf_null, sender_null } => {
                let buf = addr_of_mut!((*st).receive) as *mut u8;
                core::ptr::write_bytes(buf, GUARD_BYTE, cap as usize + RECEIVE_GUARD);
                let mut sender = 0x5eedu32;
                let out = if sender_null { null_mut() } else { &raw mut sender };
                let target = if buf_null { null_mut() } else { buf };
                let len = (table.receive)(target, cap as usize, out);
                let copied = core::slice::from_raw_parts(buf, len.min(cap as usize));
                let guard = core::slice::from_raw_parts(buf.add(cap as usize), RECEIVE_GUARD);
                let guard_ok = guard.iter().all(|&b| b == GUARD_BYTE);
                let s = if sender_null { u64::MAX } else { u64::from(sender) };
                emit(record::RECEIVE, me, &[len as u64, s, checksum(copied), u64::from(guard_ok)]);
            }
            RawOp::VecAlloc { slot: s, capacity } => {
                let v = (table.vec_alloc)(capacity);
                (*st).slots[s as usize] = v;
                if !v.is_null() {
                    register(v);
                }
                let [refs, size, live, init, sum] = vec_fields(v);
                emit(record::VEC_ALLOC, me, &[vec_name(v), refs, size, live, init, sum]);
            }
            RawOp::VecShare { src, dst } => {
                let v = slot(st, src);
                let shared = (table.vec_share)(v);
                (*st).slots[dst as usize] = shared;
                let refs = if shared.is_null() { 0 } else { vec_fields(shared)[0] };
                emit(record::VEC_SHARE, me, &[u64::from(shared == v), vec_name(shared), refs]);
            }
            RawOp::VecRelease { slot: s } => {
                let v = slot(st, s);
                let name = vec_name(v);
                (table.vec_release)(v);
                (*st).slots[s as usize] = null_mut();
                emit(record::VEC_RELEASE, me, &[name]);
            }
            RawOp::VecWrite { slot: s, offset, len, fill, null } => {
                let before = slot(st, s);
                let bytes = if null { core::ptr::null() } else { pattern(fill, len) };
                let result = (table.vec_write)(addr_of_mut!((*st).slots[s as usize]), offset, bytes, len as usize);
                let after = (*st).slots[s as usize];
                let changed = after != before;
                if changed && !after.is_null() {
                    register(after);
                }
                let [refs, size, live, init, sum] = vec_fields(after);
                emit(
                    record::VEC_WRITE,
                    me,
                    &[result as i64 as u64, u64::from(changed), vec_name(after), refs, size, live, init, sum],
                );
            }
            RawOp::SendVec { to, slot: s } => {
                let result = (table.send_vec)(to, slot(st, s));
                emit(record::SEND_VEC, me, &[result as i64 as u64]);
            }
            RawOp::ReceiveVec { slot: s, sender_null } => {
                let mut sender = 0x5eedu32;
                let out = if sender_null { null_mut() } else { &raw mut sender };
                let v = (table.receive_vec)(out);
                (*st).slots[s as usize] = v;
                let sender = if sender_null { u64::MAX } else { u64::from(sender) };
                let [refs, size, live, init, sum] = vec_fields(v);
                emit(record::RECEIVE_VEC, me, &[sender, vec_name(v), refs, size, live, init, sum]);
            }
            RawOp::Tick { n } => {
                (table.tick)(n);
                emit(record::TICK, me, &[]);
            }
            RawOp::VecReleaseAny { index } => {
                let it = interp();
                if index as usize >= (*it).n_registry {
                    fail(internal::BAD_IMAGE);
                }
                (table.vec_release)((*it).registry[index as usize]);
                emit(record::VEC_RELEASE_ANY, me, &[u64::from(index)]);
            }
        }
    }
}

/// `BACKTRACE`: into the global buffer, guard entries after `max`. Out of
/// line: its field array would weigh on every op's frame.
#[inline(never)]
fn run_backtrace(me: u32, max: u8, null: bool) {
    let it = interp();
    const GUARD: BacktraceEntry =
        BacktraceEntry { desc: 0xdead_bee0 as *const FrameDesc, segment_index: u32::MAX, _reserved: 0 };
    // SAFETY: single-threaded; backtrace does not switch procs; the buffer
    // has `max + BACKTRACE_GUARD` entries.
    unsafe {
        let buf = addr_of_mut!((*it).backtrace) as *mut BacktraceEntry;
        for i in 0..max as usize + BACKTRACE_GUARD {
            buf.add(i).write(GUARD);
        }
        let out = if null { null_mut() } else { buf };
        let n = (t().backtrace)(out, max as usize);
        let guard_ok = (max as usize..max as usize + BACKTRACE_GUARD).all(|i| {
            let e = buf.add(i).read();
            e.desc == GUARD.desc && e.segment_index == GUARD.segment_index
        });
        if (*proc_state(me)).quiet > 0 {
            return;
        }
        emit_built(record::BACKTRACE, me, |w| {
            w.field(n as u64).field(u64::from(guard_ok));
            for i in 0..n.min(max as usize) {
                let e = buf.add(i).read();
                w.field(desc_name(e.desc)).field(u64::from(e.segment_index));
            }
        });
    }
}

/// A backtrace entry's descriptor, named (INTERPRETING.md).
fn desc_name(desc: *const FrameDesc) -> u64 {
    let it = interp();
    // SAFETY: single-threaded; a descriptor that is not ours is read only
    // when it is not null (the runtime's own `rust_entry` one).
    unsafe {
        let first = addr_of!((*it).descs) as *const FrameDesc;
        let n = (*it).n_descs;
        if desc >= first && desc < first.add(n) {
            return (desc.offset_from(first)) as u64;
        }
        if !desc.is_null() && (*desc).size == StackModel::ENTRY_FRAME_SIZE && !(*desc).name.is_null() {
            let name = core::ffi::CStr::from_ptr((*desc).name);
            if name.to_bytes() == b"rust_entry" {
                return DESC_ROOT;
            }
        }
    }
    DESC_UNKNOWN
}

/// `SPAWN`: the program's body as a full or thin frame, by the descriptor's
/// size. Out of line, as `run_backtrace`.
#[inline(never)]
fn run_spawn(me: u32, program: u16, desc: u16, mem_budget: u64, tick_budget: u64, env: bool) {
    let it = interp();
    // SAFETY: single-threaded; spawn does not switch procs.
    unsafe {
        if program as usize >= (*it).n_programs {
            fail(internal::BAD_IMAGE);
        }
        let d = desc_ptr(desc);
        let size = (*d).size;
        if size < THIN_MIN_FRAME {
            fail(internal::FRAME_TOO_SMALL);
        }
        let (entry, site): (FrameFn, *const Site) = if size >= FULL_MIN_FRAME {
            (full, addr_of!((*it).full_bodies[program as usize]))
        } else {
            if !(*it).thin_ok[program as usize] {
                fail(internal::FRAME_TOO_SMALL);
            }
            (arch::thin, addr_of!((*it).thin_bodies[program as usize]))
        };
        let tag =
            if env { addr_of_mut!((*it).env_tags[program as usize]) as *mut core::ffi::c_void } else { null_mut() };
        let args = SpawnArgs { entry_desc: d, entry, arg: site as u64, env: tag, mem_budget, tick_budget };
        let id = (t().spawn)(&args);
        if id != 0 {
            (*proc_state(id)).expected_env = tag;
        }
        emit(record::SPAWN, me, &[u64::from(id)]);
    }
}
