//! Tick accounting: a proc's ticks after each step of a script of frames
//! and explicit ticks (a compiler's loop back-edges).
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"ticks-body", 4096);
static LEAF: FrameDesc = frame_desc!(c"ticks-leaf", 64);

fn main(rt: &Rt) -> i32 {
    rt.run_in_proc(&BODY, body)
}

fn ticks(rt: &Rt, what: &str) {
    outln!(rt, "{what:<36} ticks {}", rt.proc_info().curr_ticks);
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    ticks(&rt, "body entered (its frame: 1)");
    rt.frame(&LEAF, || 0);
    ticks(&rt, "one frame entered and left");
    for _ in 0..10 {
        rt.frame(&LEAF, || 0);
    }
    ticks(&rt, "ten more frames");
    rt.tick(5);
    ticks(&rt, "tick(5)");
    for _ in 0..100 {
        rt.tick(1);
    }
    ticks(&rt, "a loop of 100 back-edges");
    rt.frame(&LEAF, || {
        rt.frame(&LEAF, || 0);
        0
    });
    ticks(&rt, "two nested frames");
    0
}
