//! What a proc costs to start: its record (256) and its first segment
//! (64 + 768). A budget one byte short makes `spawn` return 0; the exact
//! amount starts the proc, whose body frame then needs a segment it cannot
//! pay for. A body frame small enough runs in segment 0, after the proc's
//! 288-byte start-up region.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static SMALL: FrameDesc = frame_desc!(c"small-body", 128);
static LARGE: FrameDesc = frame_desc!(c"large-body", 4096);

fn main(rt: &Rt) -> i32 {
    outln!(rt, "spawn with 1087 bytes: id {}", rt.spawn(&SMALL, small, 0, 1087));
    let exact = rt.spawn(&LARGE, small, 0, 1088);
    outln!(rt, "spawn with 1088 bytes: id {}", exact);
    outln!(rt, "  it ended with status {}", rt.join(exact).0);
    // Record + segment 0 + the body's own segment (64 + 4384): exactly 5536.
    let exact_body = rt.spawn(&LARGE, small, 0, 5536);
    outln!(rt, "a 4096-byte body with exactly 5536 bytes: ended with status {}", rt.join(exact_body).0);
    let fits = rt.spawn(&SMALL, small, 0, 1088);
    outln!(rt, "a 128-byte body under the same budget: ended with status {}", rt.join(fits).0);
    0
}

unsafe extern "C" fn small(_: u64) -> u64 {
    let info = rt().stack_info();
    // Packed so the parent can print it without the child formatting: the
    // child's 128-byte frame has no room for that.
    u64::from(info.segment_index) * 100_000 + info.segment_live
}
