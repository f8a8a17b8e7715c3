//! Segmented stacks (seed lines 18–24, 39–46; SPEC.md §10): every proc's
//! stack is a list of segments, the first `FIRST_SEGMENT_SIZE` bytes, each
//! next one double the previous (or as big as the frame that needs it).
//! Crate code really runs on them: `sched::enter_frame` moves the stack
//! pointer into the frame `ProcStack::push` makes.
//!
//! ```text
//!   one allocation                      a frame (declared size S, F bytes)
//!   ┌───────────────────────┐ ◄ high    ┌──────────────────────┐ ◄ top = high - live (before)
//!   │ frames (live)         │           │ FrameRecord (32 B)   │ ◄ sp given to fn (§10.3)
//!   │ ...                   │           │ S bytes for fn       │
//!   │ free                  │           │ CALL_RESERVE bytes   │ runtime code fn calls
//!   ├───────────────────────┤ ◄ low     └──────────────────────┘ ◄ top - F
//!   │ room (Windows, 8 KiB) │
//!   │ Segment header        │ ends with a canary
//!   └───────────────────────┘
//! ```
//!
//! Hot split (seed 41–43, §10.6): stepping back from a segment keeps it as
//! the cached next one and frees the one after it; entering the next
//! segment again reuses the cached one when it is big enough.
//!
//! Every allocation and free runs on the thread's stack (`upcall::run`);
//! the fast paths (a frame that fits, stepping onto the cached segment)
//! run on the proc's segment within the call reserve.
//!
//! Two canaries catch stack overruns as a fatal error instead of silent
//! corruption: each frame record's last word (checked when the frame is
//! left: code below it overran its own frame, or runtime code above it its
//! reserve) and each segment header's last word (checked when the segment
//! is left or freed).

use rt_abi::{BacktraceEntry, FrameDesc, StackInfo, StackModel};

use crate::arch::{self, StackBounds};
use crate::budget::{Account, Failure, Kind, Ledger};
use crate::{os, upcall};

/// The head of a segment's allocation.
#[repr(C)]
pub struct Segment {
    prev: *mut Segment,
    /// The cached next segment, or the next one in use.
    next: *mut Segment,
    /// Bytes of frame space.
    size: u64,
    /// Bytes of frame space in use, from the top.
    live: u64,
    index: u32,
    /// valgrind's name for the frame space.
    valgrind_id: u32,
    canary: u64,
}

const HEADER: usize = size_of::<Segment>();
const SEGMENT_CANARY: u64 = 0x5e67_c0de_5e67_c0de;
const FRAME_CANARY: u64 = 0xf4a3_e000_c0de_f4a3;

/// The lowest address of a segment's frame space.
///
/// # Safety
/// `seg` is a live segment.
unsafe fn low(seg: *const Segment) -> usize {
    seg as usize + HEADER + arch::STACK_ROOM
}

/// One past the highest address of a segment's frame space.
///
/// # Safety
/// `seg` is a live segment.
unsafe fn high(seg: *const Segment) -> usize {
    // SAFETY: caller's promise.
    unsafe { low(seg) + (*seg).size as usize }
}

/// What the OS must see while code runs on `seg`.
///
/// # Safety
/// `seg` is a live segment.
unsafe fn bounds(seg: *const Segment) -> StackBounds {
    // SAFETY: caller's promise.
    unsafe { StackBounds::of_segment(low(seg), high(seg)) }
}

/// The charge of a segment of `size` bytes (SPEC.md §13.7).
fn cost(size: u64) -> u64 {
    StackModel::SEGMENT_HEADER.saturating_add(size)
}

/// The bytes a segment of `size` bytes takes in memory: header, the OS's
/// room, frame space.
fn footprint(size: usize) -> Option<usize> {
    size.checked_add(HEADER + arch::STACK_ROOM)
}

/// The bytes a proc's first segment takes: its record's allocation has
/// room for it (`ProcStack::new_in`), since both live exactly as long as
/// the proc.
pub const FIRST_FOOTPRINT: usize = HEADER + arch::STACK_ROOM + StackModel::FIRST_SEGMENT_SIZE as usize;

/// Makes the segment header of a `size`-byte segment after `prev` (null for
/// a first one) at `seg`.
///
/// # Safety
/// `seg` is 16-aligned memory of `footprint(size)` bytes nothing else uses.
unsafe fn place(seg: *mut Segment, prev: *mut Segment, size: u64) {
    // SAFETY: caller's promise; a non-null `prev` is live.
    unsafe {
        let index = if prev.is_null() { 0 } else { (*prev).index + 1 };
        seg.write(Segment {
            prev,
            next: core::ptr::null_mut(),
            size,
            live: 0,
            index,
            valgrind_id: 0,
            canary: SEGMENT_CANARY,
        });
        (*seg).valgrind_id = arch::stack_register(low(seg), high(seg));
        if !prev.is_null() {
            (*prev).next = seg;
        }
    }
}

/// Allocates a segment of `size` bytes after `prev`. On the thread's stack;
/// the caller has charged it.
fn allocate(prev: *mut Segment, size: u64) -> *mut Segment {
    let total = usize::try_from(size).ok().and_then(footprint);
    let Some(total) = total else { os::fatal(format_args!("a {size}-byte stack segment cannot exist")) };
    let seg = os::alloc(total) as *mut Segment;
    if seg.is_null() {
        os::fatal(format_args!("out of memory for a {size}-byte stack segment"));
    }
    // SAFETY: a fresh allocation of the segment's footprint, 16-aligned.
    unsafe { place(seg, prev, size) };
    seg
}

/// Checks a segment's canary.
///
/// # Safety
/// `seg` is a live segment.
unsafe fn check_segment(seg: *const Segment) {
    // SAFETY: caller's promise.
    if unsafe { (*seg).canary } != SEGMENT_CANARY {
        segment_overwritten(seg);
    }
}

/// A segment's canary is gone (its index may be too): fatal.
#[cold]
#[inline(never)]
fn segment_overwritten(_seg: *const Segment) -> ! {
    upcall::run(|| {
        os::fatal(format_args!(
            "the header below a stack segment was overwritten: a frame used more stack than it declared"
        ))
    });
    arch::trap()
}

/// A frame record's canary is gone: fatal.
#[cold]
#[inline(never)]
fn record_overwritten(record: *const FrameRecord) -> ! {
    upcall::run(|| {
        // SAFETY: the descriptor pointer may be overwritten too: only the canary was checked.
        let _ = record;
        os::fatal(format_args!(
            "a frame record was overwritten: the frame below it used more stack than it declared, or runtime \
             code more than its call reserve"
        ))
    });
    arch::trap()
}

/// Frees `seg`, forgetting it in its `prev`. On the thread's stack. A
/// first segment lives in its proc's record and goes with it: only its
/// canary is checked and valgrind told.
///
/// # Safety
/// `seg` is live, has no next segment, and nothing runs on it.
unsafe fn free(seg: *mut Segment) {
    // SAFETY: caller's promise.
    unsafe {
        check_segment(seg);
        arch::stack_deregister((*seg).valgrind_id);
        if (*seg).prev.is_null() {
            return;
        }
        (*(*seg).prev).next = core::ptr::null_mut();
        os::dealloc(seg as *mut u8);
    }
}

/// The runtime's record at the top of every frame: the chain backtraces
/// walk across segments.
#[repr(C)]
pub struct FrameRecord {
    desc: *const FrameDesc,
    prev: *mut FrameRecord,
    seg: *mut Segment,
    /// `FRAME_CANARY ^ address`: the word an overrun from the next frame
    /// (or from runtime code above) reaches first.
    canary: u64,
}

const _: () = assert!(size_of::<FrameRecord>() as u64 == StackModel::FRAME_RECORD);
const _: () = assert!(core::mem::offset_of!(FrameRecord, canary) == 24, "the canary is the record's highest word");

/// A proc's stack: its segments and frames.
pub struct ProcStack {
    current: *mut Segment,
    first: *mut Segment,
    frame: *mut FrameRecord,
    depth: u64,
    allocated: u64,
    freed: u64,
}

/// The frame space of the segment a frame is in, `(low, high)`: what the
/// OS must see while the frame's function runs (`arch::call_on_segment`).
///
/// # Safety
/// `record` is a live frame.
#[inline(always)]
pub unsafe fn frame_segment(record: *const FrameRecord) -> (usize, usize) {
    // SAFETY: caller's promise.
    unsafe { (low((*record).seg), high((*record).seg)) }
}

impl ProcStack {
    /// A new proc's stack: segment 0 at `place` (`FIRST_FOOTPRINT` bytes in
    /// the proc's record's allocation) with its start-up region live
    /// (SPEC.md §10.1), charged to `account`, which has room for it (spawn
    /// checked). On the thread's stack.
    ///
    /// # Safety
    /// `place` is 16-aligned memory of `FIRST_FOOTPRINT` bytes that lives
    /// as long as the proc.
    pub unsafe fn new_in(place: *mut u8, account: &mut Account, ledger: &mut Ledger) -> ProcStack {
        let size = StackModel::FIRST_SEGMENT_SIZE;
        if account.try_charge(ledger, Kind::Segment, cost(size)).is_err() {
            unreachable!("spawn checks the budget for the first segment");
        }
        let first = place as *mut Segment;
        // SAFETY: caller's promise.
        unsafe {
            self::place(first, core::ptr::null_mut(), size);
            (*first).live = StackModel::CALL_RESERVE + StackModel::FRAME_RECORD;
        }
        ProcStack { current: first, first, frame: core::ptr::null_mut(), depth: 0, allocated: 1, freed: 0 }
    }

    /// The bottom of segment 0's start-up region, where the proc's body
    /// waits until the proc first runs: the start-up code begins at the
    /// region's top and reads it at once.
    pub fn start_up_scratch(&self) -> *mut u8 {
        // SAFETY: segment 0 lives as long as the proc.
        let top = unsafe { high(self.first) };
        (top - (StackModel::CALL_RESERVE + StackModel::FRAME_RECORD) as usize) as *mut u8
    }

    /// The top of segment 0, where the proc's start-up code runs, and the
    /// OS's view of that segment.
    pub fn start_up(&self) -> (usize, StackBounds) {
        // SAFETY: segment 0 lives as long as the proc.
        unsafe { (high(self.first), bounds(self.first)) }
    }

    /// Makes a frame for `desc` (SPEC.md §10.4 (b)–(c)) in the current
    /// segment or the cached next one; null when it needs a new segment
    /// (`push_on_new_segment`). The fast path: on the proc's segment.
    ///
    /// # Safety
    /// The proc runs on this stack; `desc` is a valid descriptor.
    #[inline(always)]
    pub unsafe fn push(&mut self, desc: *const FrameDesc) -> *mut FrameRecord {
        // SAFETY: the current segment and its cached next one are live; `desc`
        // is valid (caller's promise).
        unsafe {
            let need = StackModel::frame_bytes((*desc).size);
            let mut seg = self.current;
            if (*seg).live.saturating_add(need) > (*seg).size {
                let cached = (*seg).next;
                if cached.is_null() || (*cached).size < need {
                    return core::ptr::null_mut();
                }
                seg = cached;
                self.current = cached;
            }
            self.make_frame(seg, desc, need)
        }
    }

    /// Writes the record of a frame of `need` bytes at the top of `seg`'s free space.
    ///
    /// # Safety
    /// `seg` is the current segment and has room.
    #[inline(always)]
    unsafe fn make_frame(&mut self, seg: *mut Segment, desc: *const FrameDesc, need: u64) -> *mut FrameRecord {
        // SAFETY: caller's promise.
        unsafe {
            let top = high(seg) - (*seg).live as usize;
            let record = (top - StackModel::FRAME_RECORD as usize) as *mut FrameRecord;
            record.write(FrameRecord { desc, prev: self.frame, seg, canary: FRAME_CANARY ^ record as u64 });
            (*seg).live += need;
            self.frame = record;
            self.depth += 1;
            record
        }
    }

    /// The slow part of `push` (SPEC.md §10.5): frees a cached segment too
    /// small for the frame, charges and allocates a new one, and makes the
    /// frame there. On the thread's stack.
    ///
    /// # Safety
    /// As for `push`, which returned null.
    pub unsafe fn push_on_new_segment(
        &mut self,
        account: &mut Account,
        ledger: &mut Ledger,
        desc: *const FrameDesc,
    ) -> Result<*mut FrameRecord, Failure> {
        // SAFETY: the current segment and its cached next one are live.
        unsafe {
            let need = StackModel::frame_bytes((*desc).size);
            let cur = self.current;
            let cached = (*cur).next;
            if !cached.is_null() {
                self.free_one(account, ledger, cached);
            }
            let size = (*cur).size.saturating_mul(2).max(need);
            account.try_charge(ledger, Kind::Segment, cost(size)).map_err(|over| Failure::StackLimit {
                frame_name: (*desc).name,
                frame_bytes: need,
                segment_size: size,
                over,
            })?;
            let seg = allocate(cur, size);
            self.allocated += 1;
            self.current = seg;
            Ok(self.make_frame(seg, desc, need))
        }
    }

    /// Frees one segment that nothing runs on, and gives its charge back.
    /// On the thread's stack.
    ///
    /// # Safety
    /// `seg` is a segment of this stack with no next one, not in use.
    unsafe fn free_one(&mut self, account: &mut Account, ledger: &mut Ledger, seg: *mut Segment) {
        // SAFETY: caller's promise.
        unsafe {
            account.uncharge(ledger, Kind::Segment, cost((*seg).size));
            free(seg);
        }
        self.freed += 1;
    }

    /// Leaves the innermost frame, `record` (SPEC.md §10.4 (e), §10.6).
    /// Returns the segment to free when stepping back left one beyond the
    /// cached one (`free_beyond`), else null. The fast path.
    ///
    /// # Safety
    /// `record` is the innermost frame, whose function has returned.
    #[inline(always)]
    pub unsafe fn pop(&mut self, record: *mut FrameRecord) -> *mut Segment {
        // SAFETY: the record and its segment are live (caller's promise).
        unsafe {
            if (*record).canary != FRAME_CANARY ^ record as u64 {
                record_overwritten(record);
            }
            let seg = (*record).seg;
            self.frame = (*record).prev;
            self.depth -= 1;
            (*seg).live -= StackModel::frame_bytes((*(*record).desc).size);
            if (*seg).live != 0 || (*seg).prev.is_null() {
                return core::ptr::null_mut();
            }
            if (*seg).canary != SEGMENT_CANARY {
                segment_overwritten(seg);
            }
            self.current = (*seg).prev;
            (*seg).next
        }
    }

    /// Frees the segment `pop` returned. On the thread's stack.
    ///
    /// # Safety
    /// `beyond` came from `pop`.
    pub unsafe fn free_beyond(&mut self, account: &mut Account, ledger: &mut Ledger, beyond: *mut Segment) {
        // SAFETY: caller's promise: the segment after the cached one, unused.
        unsafe { self.free_one(account, ledger, beyond) }
    }

    /// Frees every segment (the proc has ended). On the thread's stack.
    pub fn free_all(&mut self, account: &mut Account, ledger: &mut Ledger) {
        // Free from the last one back, so each has no next segment when freed.
        let mut last = self.first;
        // SAFETY: the chain from `first` is live; nothing runs on it any more.
        unsafe {
            while !(*last).next.is_null() {
                last = (*last).next;
            }
            while !last.is_null() {
                let prev = (*last).prev;
                self.free_one(account, ledger, last);
                last = prev;
            }
        }
    }

    /// What `stack_info` reports (SPEC.md §10.9).
    pub fn info(&self) -> StackInfo {
        // SAFETY: the proc's segments are live.
        unsafe {
            let seg = self.current;
            let mut held = 1;
            let mut cur = self.first;
            while !(*cur).next.is_null() {
                held += 1;
                cur = (*cur).next;
            }
            StackInfo {
                segment_index: (*seg).index,
                segments_held: held,
                segment_size: (*seg).size,
                segment_live: (*seg).live,
                segment_low: low(seg) as u64,
                segment_high: high(seg) as u64,
                segments_allocated: self.allocated,
                segments_freed: self.freed,
                depth: self.depth,
            }
        }
    }

    /// Writes at most `max` frames, innermost first (SPEC.md §10.10).
    ///
    /// # Safety
    /// `out` has room for `max` entries (it may be null when `max` is 0).
    pub unsafe fn backtrace(&self, out: *mut BacktraceEntry, max: usize) -> usize {
        let mut n = 0;
        let mut frame = self.frame;
        // SAFETY: the frame chain is live; `out` has room (caller's promise).
        unsafe {
            while !frame.is_null() && n < max {
                out.add(n).write(BacktraceEntry {
                    desc: (*frame).desc,
                    segment_index: (*(*frame).seg).index,
                    _reserved: 0,
                });
                n += 1;
                frame = (*frame).prev;
            }
        }
        n
    }
}
