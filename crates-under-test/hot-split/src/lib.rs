//! The hot split (seed 41–43): a frame that does not fit in the current
//! segment, entered and left 1,000,000 times. The runtime must keep the next
//! segment instead of allocating and freeing it on every crossing.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"hot-split-body", 4096);
static ACROSS: FrameDesc = frame_desc!(c"across-the-boundary", 1024);
const CROSSINGS: u64 = 1_000_000;

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    let before = rt.stack_info();
    outln!(
        rt,
        "caller on segment {} ({} of {} bytes live)",
        before.segment_index,
        before.segment_live,
        before.segment_size
    );
    let mut on_next = 0;
    for _ in 0..CROSSINGS {
        on_next += rt.frame(&ACROSS, || u64::from(rt.stack_info().segment_index == before.segment_index + 1));
    }
    let after = rt.stack_info();
    outln!(rt, "crossings: {CROSSINGS}, of which ran on the next segment: {on_next}");
    outln!(rt, "segment allocations during the loop: {}", after.segments_allocated - before.segments_allocated);
    outln!(rt, "segment frees during the loop: {}", after.segments_freed - before.segments_freed);
    outln!(rt, "back on segment {}", after.segment_index);
    0
}
