//! Segmented stacks (seed lines 18–24, 39–46): every proc's stack is a list
//! of segments, the first `FIRST_SEGMENT_SIZE` bytes, each next one double
//! the previous (or as big as the frame that needs it). Crate code really
//! runs on them: `frame_call` moves the stack pointer onto the segment.
//!
//! ```text
//!   segment (one allocation)            frame region (declared size S)
//!   ┌───────────────────────┐ ◄ top      ┌──────────────────────┐ ◄ top - live (before)
//!   │ frame region (live)   │            │ FrameRecord (32 B)   │ ◄ sp of the frame's function
//!   │ frame region          │            │ S bytes for the      │
//!   │ ...                   │            │   function's own use │
//!   │ free                  │            │ CALL_RESERVE bytes   │ runtime code it calls
//!   ├───────────────────────┤ ◄ low      └──────────────────────┘ ◄ top - live (after)
//!   │ Segment header (64 B) │
//!   └───────────────────────┘
//! ```
//!
//! Hot split (seed 41–43): returning from the first frame of a segment goes
//! back to `prev` and keeps the segment as `prev.next`; entering the next
//! segment again reuses it when it is big enough. At most one such spare is
//! kept: when a proc steps back from segment k to k-1, segment k+1 (if any)
//! is freed. So a call/return loop on a boundary allocates once, and a deep
//! recursion returns its memory as it unwinds, but for one segment.
//!
//! Runtime code that allocates or frees runs on the scheduler's stack
//! (`sched::on_big_stack`), never on a small segment.

use core::ffi::CStr;

use rt_abi::{BacktraceEntry, ExitStatus, FrameDesc, FrameFn, StackInfo, StackModel};

use crate::arch::{self, StackBounds};
use crate::sched::{self, Proc};

/// The head of every segment: exactly `StackModel::SEGMENT_HEADER` bytes.
#[repr(C)]
pub struct Segment {
    pub prev: *mut Segment,
    pub next: *mut Segment,
    /// Bytes of frame space.
    pub size: u64,
    /// Bytes of frame space in use, from the top.
    pub live: u64,
    pub index: u32,
    _pad: u32,
    /// The segment as Windows' TEB must see it while code runs on it.
    pub bounds: StackBounds,
}

const _: () = assert!(size_of::<Segment>() as u64 == StackModel::SEGMENT_HEADER);

/// The runtime's record at the top of every frame: the frame chain that
/// backtraces walk across segments.
#[repr(C)]
pub struct FrameRecord {
    pub desc: *const FrameDesc,
    pub prev: *mut FrameRecord,
    pub seg: *mut Segment,
    /// The frame's whole size in the segment.
    pub bytes: u64,
}

const _: () = assert!(size_of::<FrameRecord>() as u64 == StackModel::FRAME_RECORD);

/// The bytes a frame of declared size `size` takes in a segment.
/// Saturates: an absurd declared size asks for an impossible frame (which
/// fails the proc) rather than wrapping to a small one.
pub fn frame_bytes(size: u64) -> u64 {
    align16(size).saturating_add(StackModel::FRAME_RECORD + StackModel::CALL_RESERVE)
}

/// The size of the segment that follows one of `prev_size` bytes for a frame
/// of `frame` bytes: double, or the frame's size when that is larger.
pub fn next_segment_size(prev_size: u64, frame: u64) -> u64 {
    prev_size.saturating_mul(2).max(align16(frame))
}

fn align16(n: u64) -> u64 {
    n.saturating_add(15) & !15
}

/// One past the highest address of the segment's frame space.
///
/// # Safety
/// `seg` is a live segment.
pub unsafe fn top(seg: *const Segment) -> usize {
    // SAFETY: caller's promise.
    seg as usize + StackModel::SEGMENT_HEADER as usize + unsafe { (*seg).size } as usize
}

/// Allocates a segment of `size` bytes after `prev` (null for a first one).
/// The caller has charged it to the proc. Runs on a big stack.
pub fn allocate(prev: *mut Segment, size: u64) -> *mut Segment {
    let Some(total) = StackModel::SEGMENT_HEADER.checked_add(size).and_then(|t| usize::try_from(t).ok()) else {
        sched::fatal(format_args!("a {size}-byte stack segment cannot exist"));
    };
    let seg = crate::os::alloc(total) as *mut Segment;
    if seg.is_null() {
        sched::fatal(format_args!("out of memory allocating a {size}-byte stack segment"));
    }
    // SAFETY: a non-null `prev` is a live segment.
    let index = if prev.is_null() { 0 } else { unsafe { (*prev).index + 1 } };
    let low = seg as usize + StackModel::SEGMENT_HEADER as usize;
    // SAFETY: `seg` is a fresh allocation big enough for the header.
    unsafe {
        seg.write(Segment {
            prev,
            next: core::ptr::null_mut(),
            size,
            live: 0,
            index,
            _pad: 0,
            bounds: StackBounds { base: low + size as usize, limit: low, dealloc: low },
        });
        if !prev.is_null() {
            (*prev).next = seg;
        }
    }
    seg
}

/// Frees `seg` and every segment after it; returns how many and their charge.
/// Runs on a big stack, never on one of these segments.
///
/// # Safety
/// Nothing runs on these segments any more.
pub unsafe fn free_chain(seg: *mut Segment) -> (u64, u64) {
    let (mut count, mut bytes) = (0, 0);
    // SAFETY: `seg` is live; its `prev` (if any) stays, and forgets it.
    unsafe {
        if !(*seg).prev.is_null() {
            (*(*seg).prev).next = core::ptr::null_mut();
        }
    }
    let mut cur = seg;
    while !cur.is_null() {
        // SAFETY: every segment in the chain is live until freed here; its
        // `prev` is not touched, it may be freed already.
        unsafe {
            let next = (*cur).next;
            bytes += StackModel::SEGMENT_HEADER + (*cur).size;
            count += 1;
            crate::os::dealloc(cur as *mut u8);
            cur = next;
        }
    }
    (count, bytes)
}

/// The `frame_call` slot: runs `f(arg)` in a new frame on the calling proc's
/// stack. This is the hot path: no allocation, no stack switch but the one
/// onto the frame, unless the segment is full.
pub unsafe extern "C" fn frame_call(desc: *const FrameDesc, f: FrameFn, arg: u64) -> u64 {
    let p = sched::current();
    // SAFETY: a crate passes a valid descriptor (SPEC.md); `p` is the running proc.
    unsafe { enter_frame(p, desc, f, arg) }
}

/// `frame_call` for proc `p` (also used by a proc's start, for its body).
///
/// # Safety
/// `p` is the running proc and `desc` a valid descriptor.
pub unsafe fn enter_frame(p: *mut Proc, desc: *const FrameDesc, f: FrameFn, arg: u64) -> u64 {
    // SAFETY: `p` is the running proc; its segments are live; see each step.
    unsafe {
        // Every frame entry is a yield point and costs one tick.
        sched::tick_point(p, 1);
        let need = frame_bytes((*desc).size);
        let mut seg = (*p).seg;
        if (*seg).live.saturating_add(need) > (*seg).size {
            seg = next_segment(p, desc, need);
        }
        let frame_top = top(seg) - (*seg).live as usize;
        let record = (frame_top - StackModel::FRAME_RECORD as usize) as *mut FrameRecord;
        // The record sits inside the frame region just claimed.
        record.write(FrameRecord { desc, prev: (*p).frame, seg, bytes: need });
        (*seg).live += need;
        (*p).frame = record;
        (*p).depth += 1;
        // The frame's function runs with its stack pointer at the record.
        let result = arch::call_on_stack(record as usize, &(*seg).bounds, f, arg);
        (*p).frame = (*record).prev;
        (*p).depth -= 1;
        (*seg).live -= need;
        if (*seg).live == 0 && !(*seg).prev.is_null() {
            previous_segment(p, seg);
        }
        result
    }
}

/// Moves `p` onto the segment after its current one, reusing the cached one
/// when it fits, else allocating (on the big stack). Fails the proc when the
/// new segment would exceed its memory budget.
///
/// # Safety
/// `p` is the running proc.
unsafe fn next_segment(p: *mut Proc, desc: *const FrameDesc, need: u64) -> *mut Segment {
    // SAFETY: `p` and its segments are live.
    unsafe {
        let cur = (*p).seg;
        let cached = (*cur).next;
        if !cached.is_null() && (*cached).size >= need {
            (*cached).live = 0;
            (*p).seg = cached;
            return cached;
        }
        sched::on_big_stack(|| grow(p, desc, need));
        (*p).seg
    }
}

/// Allocates the next segment for `p` (freeing a cached one too small for
/// this frame). Runs on the big stack.
fn grow(p: *mut Proc, desc: *const FrameDesc, need: u64) {
    // SAFETY: `p` is the running proc; we are on the scheduler's stack.
    unsafe {
        let cur = (*p).seg;
        if !(*cur).next.is_null() {
            let (count, bytes) = free_chain((*cur).next);
            (*p).segments_freed += count;
            (*p).curr_mem -= bytes;
        }
        let size = next_segment_size((*cur).size, need);
        let charge = StackModel::SEGMENT_HEADER.saturating_add(size);
        if (*p).curr_mem.saturating_add(charge) > (*p).mem_budget {
            let name = CStr::from_ptr((*desc).name).to_str().unwrap_or("?");
            sched::fail_current(
                ExitStatus::STACK_LIMIT,
                format_args!(
                    "stack limit: frame `{name}` needs {need} bytes, and a new {size}-byte segment would bring \
                     the proc to {} of its {}-byte memory budget",
                    (*p).curr_mem.saturating_add(charge),
                    (*p).mem_budget
                ),
            );
        }
        (*p).curr_mem += charge;
        (*p).segments_allocated += 1;
        (*p).seg = allocate(cur, size);
    }
}

/// Steps `p` back from `seg` (whose last frame just returned) to the segment
/// before it, keeping `seg` as the cached next one and freeing any beyond it.
///
/// # Safety
/// `p` is the running proc, now running on `seg.prev`.
unsafe fn previous_segment(p: *mut Proc, seg: *mut Segment) {
    // SAFETY: `p`, `seg` and `seg.prev` are live; `seg.next` is unused.
    unsafe {
        (*p).seg = (*seg).prev;
        if !(*seg).next.is_null() {
            sched::on_big_stack(|| {
                let (count, bytes) = free_chain((*seg).next);
                (*p).segments_freed += count;
                (*p).curr_mem -= bytes;
            });
        }
    }
}

/// The `stack_info` slot.
pub unsafe extern "C" fn stack_info(out: *mut StackInfo) {
    let p = sched::current();
    // SAFETY: `p` is the running proc; `out` is writable (SPEC.md).
    unsafe {
        let seg = (*p).seg;
        let mut held = 0;
        let mut cur = (*p).first;
        while !cur.is_null() {
            held += 1;
            cur = (*cur).next;
        }
        out.write(StackInfo {
            segment_index: (*seg).index,
            segments_held: held,
            segment_size: (*seg).size,
            segment_live: (*seg).live,
            segment_low: (*seg).bounds.limit as u64,
            segment_high: top(seg) as u64,
            segments_allocated: (*p).segments_allocated,
            segments_freed: (*p).segments_freed,
            depth: (*p).depth,
        });
    }
}

/// The `backtrace` slot: the calling proc's frames, innermost first.
pub unsafe extern "C" fn backtrace(out: *mut BacktraceEntry, max: usize) -> usize {
    let p = sched::current();
    let mut n = 0;
    // SAFETY: the frame chain of the running proc is live; `out` has room for `max`.
    unsafe {
        let mut frame = (*p).frame;
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
