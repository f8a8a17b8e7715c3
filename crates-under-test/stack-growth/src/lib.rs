//! Recursion through frames of 1 KiB until the proc's stack passes 1 MiB:
//! prints each new segment's index and size as the recursion reaches it,
//! then what the proc holds once the recursion has returned.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"growth-body", 4096);
static STEP: FrameDesc = frame_desc!(c"growth-step", 1024);
const ONE_MIB: u64 = 1 << 20;

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    let first = rt.stack_info();
    outln!(rt, "segment {}: {} bytes", first.segment_index, first.segment_size);
    let depth = recurse(&rt, first.segment_index, first.segment_size);
    let after = rt.stack_info();
    outln!(rt, "recursion reached depth {depth} and returned");
    outln!(
        rt,
        "after return: on segment {}, holding {} segments, {} allocated, {} freed",
        after.segment_index,
        after.segments_held,
        after.segments_allocated,
        after.segments_freed
    );
    0
}

/// Recurses until the segments seen add up to 1 MiB; returns the depth reached.
fn recurse(rt: &Rt, last_index: u32, total: u64) -> u64 {
    rt.frame(&STEP, || {
        let info = rt.stack_info();
        let mut total = total;
        if info.segment_index != last_index {
            total += info.segment_size;
            outln!(rt, "segment {}: {} bytes (at depth {})", info.segment_index, info.segment_size, info.depth);
        }
        if total >= ONE_MIB { info.depth } else { recurse(rt, info.segment_index, total) }
    })
}
