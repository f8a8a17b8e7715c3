//! An allocation past the budget: proc A allocates 4 KiB vecs under a 32 KiB
//! budget until it fails with status 92. Its sibling goes on; a second A gets
//! exactly as far, because the first one's memory all came back. After
//! each join the root writes a line to stderr too: it comes after the
//! runtime's line about that failure (SPEC.md 2.2: the runtime's lines are
//! written when they happen, not held back).
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, errln, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"alloc-body", 16384);
const BUDGET: u64 = 40 * 1024;

fn main(rt: &Rt) -> i32 {
    let sibling = rt.spawn(&BODY, sibling, 0, u64::MAX);
    for round in 1..=2 {
        let a = rt.spawn(&BODY, hungry, round, BUDGET);
        let (status, _) = rt.join(a);
        outln!(rt, "hungry {round} ended with status {status}");
        errln!(rt, "root: hungry {round} ended with status {status}");
    }
    let (status, _) = rt.join(sibling);
    outln!(rt, "sibling ended with status {status}");
    0
}

unsafe extern "C" fn hungry(round: u64) -> u64 {
    let rt = rt();
    let mut n = 0;
    loop {
        let v = rt.vec_alloc(4096);
        let mut v2 = v;
        rt.vec_write(&mut v2, 0, &[round as u8; 4096]);
        n += 1;
        outln!(rt, "hungry {round}: {n} vecs, curr_mem {}", rt.proc_info().curr_mem);
    }
}

unsafe extern "C" fn sibling(_: u64) -> u64 {
    let rt = rt();
    let v = rt.vec_alloc(100);
    for step in 0..3 {
        outln!(rt, "sibling: step {step}, curr_mem {}", rt.proc_info().curr_mem);
        rt.yield_now();
    }
    rt.vec_release(v);
    0
}
