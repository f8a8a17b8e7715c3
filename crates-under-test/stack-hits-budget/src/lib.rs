//! Stack growth against the budget: a proc holds a 10,000-byte vec and then
//! recurses; the segment that would pass its 48 KiB budget fails it with 91.
#![no_std]

use crate_support::{Rt, abi, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"hits-body", 4096);
static LEVEL: FrameDesc = frame_desc!(c"hits-level", 2048);

fn main(rt: &Rt) -> i32 {
    let id = rt.spawn(&BODY, body, 0, 48 * 1024);
    let (status, _) = rt.join(id);
    outln!(rt, "proc ended with status {status}");
    0
}

unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    let _v = rt.vec_alloc(10_000);
    outln!(rt, "holding a vec: curr_mem {}", rt.proc_info().curr_mem);
    deeper(&rt, 1)
}

fn deeper(rt: &Rt, depth: u64) -> u64 {
    rt.frame(&LEVEL, || {
        let info = rt.stack_info();
        if info.segment_live == abi::StackModel::FRAME_RECORD + abi::StackModel::CALL_RESERVE + 2048 {
            outln!(
                rt,
                "depth {depth}: segment {} of {} bytes, curr_mem {}",
                info.segment_index,
                info.segment_size,
                rt.proc_info().curr_mem
            );
        }
        deeper(rt, depth + 1)
    })
}
