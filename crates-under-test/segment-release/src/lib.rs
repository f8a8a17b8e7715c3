//! What `prev` does with freed segments: after a deep recursion returns, the
//! proc keeps one spare segment beyond the current one and has freed the
//! rest; a second, identical descent reuses the spare and allocates the others again.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"release-body", 4096);
static LEVEL: FrameDesc = frame_desc!(c"release-level", 1024);
static HUGE: FrameDesc = frame_desc!(c"bigger-than-the-spare", 65536);
const DEPTH: u64 = 40;

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    for round in 1..=3 {
        let before = rt.stack_info();
        let deepest = descend(&rt, DEPTH);
        let after = rt.stack_info();
        outln!(rt, "descent {round}: {DEPTH} frames reached segment {deepest}");
        outln!(
            rt,
            "  allocated {}, freed {}; now holding {} segments (on segment {})",
            after.segments_allocated - before.segments_allocated,
            after.segments_freed - before.segments_freed,
            after.segments_held,
            after.segment_index
        );
    }
    // A frame bigger than the spare: the spare is freed, a fitting one made.
    let before = rt.stack_info();
    let mem_before = rt.proc_info().curr_mem;
    let index = rt.frame(&HUGE, || u64::from(rt.stack_info().segment_index));
    let after = rt.stack_info();
    outln!(
        rt,
        "a 64 KiB frame ran in segment {index}: allocated {}, freed {}, curr_mem {:+}",
        after.segments_allocated - before.segments_allocated,
        after.segments_freed - before.segments_freed,
        rt.proc_info().curr_mem as i64 - mem_before as i64
    );
    0
}

fn descend(rt: &Rt, left: u64) -> u64 {
    rt.frame(&LEVEL, || if left == 1 { u64::from(rt.stack_info().segment_index) } else { descend(rt, left - 1) })
}
