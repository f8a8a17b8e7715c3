//! Deadlock: the root joins a proc that waits for a message nobody will
//! send. The run queue empties with the root unfinished: the runtime names
//! each blocked proc and what it waits for, and exits with status 93.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"waiting-body", 4096);

fn main(rt: &Rt) -> i32 {
    let waiter = rt.spawn(&BODY, wait_forever, 0, u64::MAX);
    outln!(rt, "root: joining proc {waiter}");
    let (status, _) = rt.join(waiter);
    outln!(rt, "root: never printed ({status})");
    0
}

unsafe extern "C" fn wait_forever(_: u64) -> u64 {
    let rt = rt();
    outln!(rt, "proc: waiting for a message");
    let mut buf = [0u8; 4];
    rt.receive(&mut buf);
    0
}
