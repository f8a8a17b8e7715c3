//! Real stacks, not simulated: at every depth the address of a local of the
//! running frame lies inside the segment the runtime reports as current.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"sp-body", 4096);
static SMALL: FrameDesc = frame_desc!(c"sp-small", 512);
static LARGE: FrameDesc = frame_desc!(c"sp-large", 2000);
const DEPTH: u64 = 3000;

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    let (inside, outside, segments) = descend(&rt, 1);
    outln!(rt, "depths checked: {}", inside + outside);
    outln!(rt, "local inside the current segment: {inside}, outside: {outside}");
    outln!(rt, "deepest segment index: {segments}");
    0
}

/// Returns (depths inside, depths outside, deepest segment index).
fn descend(rt: &Rt, depth: u64) -> (u64, u64, u32) {
    // Frames of two sizes, so frames start at many offsets within segments.
    let desc = if depth.is_multiple_of(5) { &LARGE } else { &SMALL };
    let packed = rt.frame(desc, || {
        let local = core::hint::black_box([depth; 4]);
        let address = core::hint::black_box(&local) as *const _ as u64;
        let info = rt.stack_info();
        // Inside the segment, and the segment's bounds are its size apart.
        let ok = info.segment_low <= address
            && address < info.segment_high
            && info.segment_high - info.segment_low == info.segment_size;
        let (inside, outside, deepest) =
            if depth < DEPTH { descend(rt, depth + 1) } else { (0, 0, info.segment_index) };
        let (inside, outside) = if ok { (inside + 1, outside) } else { (inside, outside + 1) };
        (inside << 40) | (outside << 20) | u64::from(deepest)
    });
    (packed >> 40, (packed >> 20) & 0xfffff, (packed & 0xfffff) as u32)
}
