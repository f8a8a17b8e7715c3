//! A backtrace across segments: twelve named frames of 8 KiB each, so the
//! chain spans more than five segments; the runtime walks it innermost first.
#![no_std]

use crate_support::{Rt, abi::BacktraceEntry, abi::FrameDesc, crate_main, desc_name, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"backtrace-body", 4096);
static LEVELS: [FrameDesc; 12] = [
    frame_desc!(c"alpha", 8192),
    frame_desc!(c"beta", 8192),
    frame_desc!(c"gamma", 8192),
    frame_desc!(c"delta", 8192),
    frame_desc!(c"epsilon", 8192),
    frame_desc!(c"zeta", 8192),
    frame_desc!(c"eta", 8192),
    frame_desc!(c"theta", 8192),
    frame_desc!(c"iota", 8192),
    frame_desc!(c"kappa", 8192),
    frame_desc!(c"lambda", 8192),
    frame_desc!(c"mu", 8192),
];

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

unsafe extern "C" fn body(_: u64) -> u64 {
    descend(&rt(), 0)
}

fn descend(rt: &Rt, level: usize) -> u64 {
    rt.frame(&LEVELS[level], || {
        if level + 1 < LEVELS.len() {
            return descend(rt, level + 1);
        }
        let mut entries = [BacktraceEntry { desc: core::ptr::null(), segment_index: 0, _reserved: 0 }; 32];
        let n = rt.backtrace(&mut entries);
        outln!(rt, "backtrace, {n} frames, innermost first:");
        for (i, entry) in entries[..n].iter().enumerate() {
            // SAFETY: the runtime returns the descriptors the frames were entered with.
            outln!(rt, "  #{i} {} (segment {})", unsafe { desc_name(entry.desc) }, entry.segment_index);
        }
        0
    })
}
