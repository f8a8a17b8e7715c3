//! 100,000 nested frames, each adding its depth, then all the way back.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"deep-body", 4096);
static LEVEL: FrameDesc = frame_desc!(c"deep-level", 384);
const DEPTH: u64 = 100_000;

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    let before = rt.stack_info();
    let (sum, deepest) = sum_to(&rt, 1);
    let after = rt.stack_info();
    outln!(rt, "sum of depths 1..={DEPTH}: {sum} (expected {})", DEPTH * (DEPTH + 1) / 2);
    outln!(rt, "deepest frame: depth {}, segment {}", deepest >> 32, deepest & 0xffff_ffff);
    outln!(
        rt,
        "before: segment {}, depth {}; after: segment {}, depth {}",
        before.segment_index,
        before.depth,
        after.segment_index,
        after.depth
    );
    outln!(
        rt,
        "segments allocated {}, freed {}, held after return {}",
        after.segments_allocated,
        after.segments_freed,
        after.segments_held
    );
    0
}

/// Returns (sum of depths from `depth` down, (deepest depth << 32) | its segment).
fn sum_to(rt: &Rt, depth: u64) -> (u64, u64) {
    let mut deepest = 0;
    let sum = rt.frame(&LEVEL, || {
        if depth == DEPTH {
            let info = rt.stack_info();
            deepest = (info.depth << 32) | u64::from(info.segment_index);
            return depth;
        }
        let (rest, d) = sum_to(rt, depth + 1);
        deepest = d;
        depth + rest
    });
    (sum, deepest)
}
