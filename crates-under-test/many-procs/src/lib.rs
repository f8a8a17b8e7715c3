//! 10,000 procs: spawned first, then joined in order.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"tiny-body", 4096);
const N: u32 = 10_000;

fn main(rt: &Rt) -> i32 {
    let mut first = 0;
    let mut last = 0;
    for i in 0..N {
        let id = rt.spawn(&BODY, body, u64::from(i), 16 * 1024);
        if id == 0 {
            outln!(rt, "spawn {i} failed");
            return 1;
        }
        if i == 0 {
            first = id;
        }
        last = id;
    }
    outln!(rt, "spawned {N} procs, ids {first} to {last}");
    let (mut sum, mut wrong) = (0u64, 0u32);
    for id in first..=last {
        let (status, _) = rt.join(id);
        if status != ((id - first) % 7) as i32 {
            wrong += 1;
        }
        sum += status as u64;
    }
    outln!(rt, "joined {N} procs: sum of statuses {sum}, wrong statuses {wrong}");
    0
}

unsafe extern "C" fn body(i: u64) -> u64 {
    i % 7
}
