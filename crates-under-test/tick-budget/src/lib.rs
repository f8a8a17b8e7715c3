//! Tick budget: a proc spins forever, a tick per back-edge, under a budget of
//! 50,000 ticks; the runtime stops it with status 94 and a message.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"forever-body", 4096);

fn main(rt: &Rt) -> i32 {
    let id = rt.spawn_with_ticks(&BODY, forever, 0, u64::MAX, 50_000);
    let (status, _) = rt.join(id);
    outln!(rt, "spinning proc ended with status {status}");
    0
}

unsafe extern "C" fn forever(_: u64) -> u64 {
    let rt = rt();
    let mut i = 0u64;
    loop {
        rt.tick(1);
        i = i.wrapping_add(1);
        if i.is_multiple_of(10_000) {
            outln!(rt, "still spinning at {i}");
        }
    }
}
