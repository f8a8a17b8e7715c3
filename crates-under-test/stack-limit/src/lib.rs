//! Stack limit: proc A recurses without end under a 64 KiB memory budget. It
//! fails with status 91 and the runtime's message, never a crash; proc B,
//! running beside it, goes on; a second A with the same budget gets just as
//! far, so the first one's segments were given back.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"limit-body", 4096);
static LEVEL: FrameDesc = frame_desc!(c"limit-level", 1024);
const BUDGET: u64 = 64 * 1024;

fn main(rt: &Rt) -> i32 {
    let b = rt.spawn(&BODY, sibling, 0, u64::MAX);
    let a = rt.spawn(&BODY, runaway, 1, BUDGET);
    let (a_status, _) = rt.join(a);
    outln!(rt, "runaway proc 1 ended with status {a_status}");
    let a2 = rt.spawn(&BODY, runaway, 2, BUDGET);
    let (a2_status, _) = rt.join(a2);
    outln!(rt, "runaway proc 2 ended with status {a2_status}");
    let (b_status, _) = rt.join(b);
    outln!(rt, "sibling ended with status {b_status}");
    0
}

unsafe extern "C" fn runaway(n: u64) -> u64 {
    let rt = rt();
    outln!(rt, "runaway {n}: starting with {} bytes of {}", rt.proc_info().curr_mem, rt.proc_info().mem_budget);
    forever(&rt, n, 1)
}

fn forever(rt: &Rt, n: u64, depth: u64) -> u64 {
    rt.frame(&LEVEL, || {
        let info = rt.stack_info();
        if info.segment_live
            == crate_support::abi::StackModel::FRAME_RECORD + crate_support::abi::StackModel::CALL_RESERVE + 1024
        {
            outln!(rt, "runaway {n}: depth {depth}, new segment {} of {} bytes", info.segment_index, info.segment_size);
        }
        forever(rt, n, depth + 1)
    })
}

unsafe extern "C" fn sibling(_: u64) -> u64 {
    let rt = rt();
    for step in 0..4 {
        outln!(rt, "sibling: step {step}");
        rt.yield_now();
    }
    0
}
