//! The runtime's C ABI as Rust definitions: the interface table, its header,
//! the entry-point signatures and the exit statuses.
//!
//! This crate is the one piece shared by both sides of the ABI: the reference
//! runtime fills an [`RtTable`], test crates read it. It holds no code, only
//! layouts and constants. `SPEC.md` is the prose contract;
//! `reference-rt/include/rustrt.h` is the same contract in C, and the tests in
//! `src/tests.rs` compile that header and check that every offset and size
//! agrees with the definitions here.
#![cfg_attr(not(test), no_std)]

use core::ffi::c_char;

/// `"RUSTRT\0\0"` read as a little-endian `u64`: the first word of every table.
pub const RT_MAGIC: u64 = u64::from_le_bytes(*b"RUSTRT\0\0");

/// The ABI version this crate describes. See the version history in SPEC.md.
pub const RT_ABI_VERSION: u32 = 3;

/// The name of the runtime's one entry point, imported by every crate.
pub const RT_START_SYMBOL: &str = "rt_start";

/// The name of the crate's one exported symbol, looked up by hosts.
pub const CRATE_ENTRY_SYMBOL: &str = "rust_entry";

/// The signature of a crate's rust entry point. Its return value becomes the
/// process exit status when the crate runs as an executable.
pub type CrateEntry = unsafe extern "C" fn(table: *const RtTable) -> i32;

/// The signature of the runtime's start function (`rt_start`). It never
/// returns: it exits the process with the entry point's return value.
pub type RtStart = unsafe extern "C" fn(entry: CrateEntry) -> !;

/// Exit statuses with a meaning fixed by the ABI. A crate's own results are
/// below [`ExitStatus::FIRST_RESERVED`].
pub struct ExitStatus;

impl ExitStatus {
    /// Statuses from here up are reserved by the ABI.
    pub const FIRST_RESERVED: i32 = 90;
    /// The crate refused the table: wrong magic, version or size.
    pub const TABLE_REFUSED: i32 = 90;
    /// A proc failed: entering a frame needed a stack segment beyond its
    /// memory budget.
    pub const STACK_LIMIT: i32 = 91;
    /// A proc failed: an allocation other than stack (a message) would have
    /// exceeded its memory budget.
    pub const MEMORY_BUDGET: i32 = 92;
    /// Every proc is blocked and none can run again.
    pub const DEADLOCK: i32 = 93;
    /// A proc failed: it used more ticks than its tick budget.
    pub const TICK_BUDGET: i32 = 94;
}

/// Stack and proc constants of the reference model (SPEC.md, "Segments").
pub struct StackModel;

impl StackModel {
    /// The size of a proc's first segment, in bytes of frame space.
    pub const FIRST_SEGMENT_SIZE: u64 = 768;
    /// Bytes charged per segment on top of its size (its header).
    pub const SEGMENT_HEADER: u64 = 64;
    /// Bytes of every frame taken by the runtime's frame record.
    pub const FRAME_RECORD: u64 = 32;
    /// Bytes of every frame kept for the runtime's own code called from it.
    pub const CALL_RESERVE: u64 = 256;
    /// The declared size of the frame in which a root proc runs `rust_entry`.
    pub const ENTRY_FRAME_SIZE: u64 = 65536;
    /// Bytes charged for a proc's record.
    pub const PROC_CHARGE: u64 = 256;
    /// Bytes charged per queued message on top of its length.
    pub const MESSAGE_OVERHEAD: u64 = 32;
    /// Bytes charged per vec on top of its size (its header).
    pub const VEC_HEADER: u64 = 32;
    /// Ticks a proc may run before it yields at its next yield point.
    pub const TIME_SLICE: u64 = 1000;
    /// Windows only: bytes of memory the runtime keeps below every segment's
    /// frame space, where `DeallocationStack` points (SPEC.md §10.11).
    pub const WINDOWS_STACK_ROOM: u64 = 8192;
    /// The bytes a frame of declared size `size` takes in a segment
    /// (SPEC.md §10.2): saturating, so an absurd size asks for an
    /// impossible frame instead of wrapping to a small one.
    pub const fn frame_bytes(size: u64) -> u64 {
        let rounded = match size.checked_add(15) {
            Some(n) => n & !15,
            None => !15, // the largest multiple of 16
        };
        rounded.saturating_add(Self::FRAME_RECORD + Self::CALL_RESERVE)
    }
}

/// A copy-on-write, reference-counted byte vector (seed lines 32–38). Crates
/// read its fields and its first `live` bytes; they change it only through
/// the table.
#[repr(C)]
pub struct RtVec {
    /// References to this vec: procs' and queued messages'. Atomic.
    pub refs: core::sync::atomic::AtomicU64,
    /// Capacity: bytes of `slots`.
    pub size: u64,
    /// Bytes in live use, from the start of `slots`.
    pub live: u64,
    /// Bytes ever initialised (written), from the start: `live <= init <= size`.
    pub init: u64,
    /// `size` bytes follow.
    pub slots: [u8; 0],
}

impl RtVec {
    /// The first byte of `v`'s slots, with `v`'s provenance (a reference to
    /// the zero-length `slots` field would cover no byte of them).
    ///
    /// # Safety
    /// `v` points to a live vec.
    pub unsafe fn slots_ptr(v: *mut RtVec) -> *mut u8 {
        // SAFETY: a raw borrow of a field of a live vec: no reference is made.
        unsafe { (&raw mut (*v).slots).cast() }
    }
}

/// `vec_write` results: written in place, after a copy-on-write copy, or
/// after the vec grew into a bigger one.
pub const RT_VEC_IN_PLACE: i32 = 0;
pub const RT_VEC_COPIED: i32 = 1;
pub const RT_VEC_GROWN: i32 = 2;
/// `vec_write`: the offset is past `live` (vecs have no holes).
pub const RT_VEC_BAD_OFFSET: i32 = -4;

/// A frame descriptor, as a compiler would emit next to a function: how many
/// bytes of stack the function's frame needs, and its name.
#[repr(C)]
pub struct FrameDesc {
    pub size: u64,
    /// NUL-terminated.
    pub name: *const c_char,
}

// SAFETY: descriptors are immutable static data.
unsafe impl Sync for FrameDesc {}

/// A function run in a frame or as a proc's body.
pub type FrameFn = unsafe extern "C" fn(arg: u64) -> u64;

/// What `stack_info` reports about the calling proc's stack.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackInfo {
    /// Index of the current segment: 0 for the first.
    pub segment_index: u32,
    /// Segments the proc holds now, the current one, those before it, and a
    /// cached one after it.
    pub segments_held: u32,
    /// Size of the current segment, in bytes of frame space.
    pub segment_size: u64,
    /// Bytes of the current segment used by frames.
    pub segment_live: u64,
    /// Lowest and one past the highest address of the current segment's frame space.
    pub segment_low: u64,
    pub segment_high: u64,
    /// Segments allocated and freed for this proc since it started.
    pub segments_allocated: u64,
    pub segments_freed: u64,
    /// Frames the proc is in.
    pub depth: u64,
}

/// One line of a backtrace.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BacktraceEntry {
    pub desc: *const FrameDesc,
    /// The segment the frame lives in.
    pub segment_index: u32,
    pub _reserved: u32,
}

/// The arguments of `spawn`.
#[repr(C)]
pub struct SpawnArgs {
    /// The body runs as `entry(arg)` in a frame described by `entry_desc`.
    pub entry_desc: *const FrameDesc,
    pub entry: FrameFn,
    pub arg: u64,
    /// The environment (closure) pointer the body reads with `proc_env`.
    pub env: *mut core::ffi::c_void,
    /// Bytes the proc may hold: its record, its stack segments, its queued messages.
    pub mem_budget: u64,
    /// Ticks the proc may use (0: no limit).
    pub tick_budget: u64,
}

/// What `proc_info` reports.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcInfo {
    pub id: u32,
    pub _reserved: u32,
    pub mem_budget: u64,
    pub curr_mem: u64,
    /// Messages waiting in the proc's queue.
    pub queued: u64,
    /// Ticks used since the proc started, and its budget (0: none).
    pub curr_ticks: u64,
    pub tick_budget: u64,
    /// Copy-on-write copies this proc's writes caused.
    pub vec_copies: u64,
}

/// What `runtime_info` reports: what is alive in the whole runtime, and
/// what it costs by the charges of SPEC.md §13.7 (§13.9).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuntimeInfo {
    /// Procs created and not ended.
    pub procs: u64,
    /// Stack segments allocated and not freed, over all procs.
    pub segments: u64,
    /// Vecs allocated and not freed.
    pub vecs: u64,
    /// Messages queued and not yet received or discarded.
    pub messages: u64,
    /// The sum of the charges of all of the above.
    pub bytes: u64,
}

/// `send`, `join`: the target proc does not exist or has ended.
pub const RT_NO_SUCH_PROC: i32 = -1;
/// `join`: a proc cannot join itself.
pub const RT_JOIN_SELF: i32 = -2;
/// A host's table: the service is not provided.
pub const RT_UNSUPPORTED: i32 = -3;

/// The frozen head of every table, whatever its version: a crate can always
/// read these fields, and use `write_out` to explain a refusal when the magic
/// matches.
#[repr(C)]
pub struct RtTableHeader {
    /// Always [`RT_MAGIC`].
    pub magic: u64,
    /// The ABI version the table implements.
    pub abi_version: u32,
    /// The size of the whole table in bytes.
    pub size: u32,
    /// Writes `len` bytes to the program's standard output, unbuffered from
    /// the crate's point of view: bytes written before the entry point returns
    /// appear before anything the runtime writes afterwards.
    pub write_out: unsafe extern "C" fn(bytes: *const u8, len: usize),
}

/// The interface table of ABI version 3: the header, then the services.
#[repr(C)]
pub struct RtTable {
    /// The frozen header.
    pub header: RtTableHeader,
    /// A NUL-terminated name of the runtime implementation, for reports.
    pub runtime_name: *const c_char,
    /// Writes `len` bytes to the program's standard error.
    pub write_err: unsafe extern "C" fn(bytes: *const u8, len: usize),
    // ---- version 1: frames, segments, procs, messages ----
    /// Runs `f(arg)` in a new frame of `desc.size` bytes on the calling
    /// proc's stack, moving to the next segment when the current one is full.
    pub frame_call: unsafe extern "C" fn(desc: *const FrameDesc, f: FrameFn, arg: u64) -> u64,
    /// Describes the calling proc's stack.
    pub stack_info: unsafe extern "C" fn(out: *mut StackInfo),
    /// Writes up to `max` frames of the calling proc, innermost first; returns how many.
    pub backtrace: unsafe extern "C" fn(out: *mut BacktraceEntry, max: usize) -> usize,
    /// Starts a proc; returns its id (never 0), or 0 when the spawner's
    /// budget cannot pay for it.
    pub spawn: unsafe extern "C" fn(args: *const SpawnArgs) -> u32,
    /// Lets the other runnable procs run; returns when it is this proc's turn again.
    pub yield_now: unsafe extern "C" fn(),
    /// Waits for a proc to end; returns its status, and how many messages
    /// were left in its queue through `discarded` (nullable).
    pub join: unsafe extern "C" fn(id: u32, discarded: *mut u64) -> i32,
    /// The calling proc's id.
    pub self_id: unsafe extern "C" fn() -> u32,
    /// The calling proc's environment pointer.
    pub proc_env: unsafe extern "C" fn() -> *mut core::ffi::c_void,
    /// Queues a copy of `len` bytes for proc `to`; 0, or `RT_NO_SUCH_PROC`.
    pub send: unsafe extern "C" fn(to: u32, bytes: *const u8, len: usize) -> i32,
    /// Waits for the next message; copies at most `cap` bytes to `buf`,
    /// stores the sender's id (nullable) and returns the message's length.
    pub receive: unsafe extern "C" fn(buf: *mut u8, cap: usize, sender: *mut u32) -> usize,
    /// Describes the calling proc's memory.
    pub proc_info: unsafe extern "C" fn(out: *mut ProcInfo),
    // ---- version 2: vecs, budgets, ticks ----
    /// A new vec of `capacity` bytes, `live` 0, one reference (the caller's).
    pub vec_alloc: unsafe extern "C" fn(capacity: u64) -> *mut RtVec,
    /// One more reference to `v`, held by the caller; returns `v`. No copy.
    pub vec_share: unsafe extern "C" fn(v: *mut RtVec) -> *mut RtVec,
    /// Drops one of the caller's references; frees the vec at 0.
    pub vec_release: unsafe extern "C" fn(v: *mut RtVec),
    /// Writes `len` bytes at `offset` (at most `live`) of `*v`, copying it
    /// first when shared, growing it when full; `*v` may change.
    pub vec_write: unsafe extern "C" fn(v: *mut *mut RtVec, offset: u64, bytes: *const u8, len: usize) -> i32,
    /// Queues a message carrying one more reference to `v` for proc `to`.
    pub send_vec: unsafe extern "C" fn(to: u32, v: *mut RtVec) -> i32,
    /// Waits for the next message; returns the vec it carries (its
    /// reference now the caller's), or null when it carried bytes.
    pub receive_vec: unsafe extern "C" fn(sender: *mut u32) -> *mut RtVec,
    /// Counts `n` ticks: a yield point (see SPEC.md, "Ticks").
    pub tick: unsafe extern "C" fn(n: u64),
    // ---- version 3 ----
    /// Describes what is alive in the whole runtime.
    pub runtime_info: unsafe extern "C" fn(out: *mut RuntimeInfo),
}

// SAFETY: a table is immutable once published to a crate (SPEC.md), and the
// pointers it holds point to immutable data or to thread-safe functions.
unsafe impl Sync for RtTable {}

/// The size of a version-3 table, as it appears in the header's `size`.
pub const RT_TABLE_SIZE: u32 = core::mem::size_of::<RtTable>() as u32;

#[cfg(test)]
mod tests;
