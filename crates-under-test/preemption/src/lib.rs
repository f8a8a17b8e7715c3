//! Preemption: two procs spin through 5,000 loop iterations each, counting a
//! tick per back-edge and never yielding. The time slice (1000 ticks) makes
//! them take turns; each prints where it resumed.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

use core::sync::atomic::{AtomicU32, Ordering};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"spin-body", 4096);
static LAST: AtomicU32 = AtomicU32::new(0);

fn main(rt: &Rt) -> i32 {
    let a = rt.spawn(&BODY, spin, 0, u64::MAX);
    let b = rt.spawn(&BODY, spin, 1, u64::MAX);
    for id in [a, b] {
        let (status, _) = rt.join(id);
        outln!(rt, "proc {id} ended with status {status}");
    }
    0
}

unsafe extern "C" fn spin(n: u64) -> u64 {
    let rt = rt();
    let name = if n == 0 { 'A' } else { 'B' };
    let me = rt.self_id();
    for i in 0..5000u64 {
        if LAST.swap(me, Ordering::Relaxed) != me {
            outln!(rt, "{name} runs from iteration {i} (ticks {})", rt.proc_info().curr_ticks);
        }
        rt.tick(1);
    }
    outln!(rt, "{name} done, ticks {}", rt.proc_info().curr_ticks);
    0
}
