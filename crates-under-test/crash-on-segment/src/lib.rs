//! A crash on a stack segment is a crash (SPEC.md §10.11): a proc, three
//! frames deep, in a frame that exactly fills its third segment, moves its
//! stack pointer to the lowest place the frame allows (256 bytes above the
//! segment's low end: its call reserve lies below) and executes an illegal
//! instruction (`crash-on-segment`) or writes through a null pointer
//! (`fault-on-segment`, feature `fault`).
//!
//! The operating system writes the exception's record below that stack
//! pointer, so below the segment: on Windows into the room the runtime
//! keeps there (`RT_WINDOWS_STACK_ROOM`). The runner must see the crash the
//! operating system reports — SIGILL / SIGSEGV on Linux and under QEMU,
//! `wine: Unhandled illegal instruction` / `page fault` on Windows — not an
//! exit: without the room, Wine takes the record for a stack overflow and
//! exits 1 silently.
//!
//! Each frame's segment is exactly as big as the frame (SPEC.md §10.5: a
//! new segment has `max(2 × current, F)` bytes, and each `F` here is twice
//! the one before), so the innermost frame's lowest byte is its segment's.
//! Before crashing the crate prints where it is.
#![no_std]

mod arch;

use crate_support::abi::{FrameDesc, StackModel};
use crate_support::{Rt, crate_main, frame_desc, outln, rt};

crate_main!(main);

/// The bytes of a segment a frame of declared size `size` fills (SPEC.md §10.2).
const fn frame(size: u64) -> u64 {
    StackModel::frame_bytes(size)
}

/// The body: its own segment 1, 4096 + 288 bytes.
static BODY: FrameDesc = frame_desc!(c"crash-body", 4096);
/// Segment 2, twice segment 1.
static SECOND: FrameDesc = frame_desc!(c"crash-second", 2 * frame(4096) - frame(0));
/// Segment 3, twice segment 2: where the crash happens.
static THIRD: FrameDesc = frame_desc!(c"crash-third", 4 * frame(4096) - frame(0));

fn main(rt: &Rt) -> i32 {
    let id = rt.spawn(&BODY, body, 0, u64::MAX);
    let (status, _) = rt.join(id);
    outln!(rt, "the proc did not crash: it ended with status {status}");
    0
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    rt.frame(&SECOND, || rt.frame(&THIRD, || crash(&rt)))
}

fn crash(rt: &Rt) -> u64 {
    let info = rt.stack_info();
    let fills = info.segment_live == info.segment_size && info.segment_size == frame(THIRD.size);
    outln!(
        rt,
        "{} on segment {} at depth {}, in a frame that {} it, 256 bytes above its low end",
        arch::WHAT,
        info.segment_index,
        info.depth,
        if fills { "exactly fills" } else { "does NOT fill" },
    );
    // SAFETY: the frame's lowest 256 bytes are its call reserve; the stack
    // pointer moves to their top, inside the frame, and nothing returns.
    unsafe { arch::crash_at(info.segment_low + StackModel::CALL_RESERVE) }
}
