//! A flood: proc F sends 1 KiB messages to proc R, which does not read
//! them, until F's 16 KiB budget fails F (the messages are charged to their
//! sender). R's memory never moves; it then reads what F managed to queue.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"flood-body", 8192);

fn main(rt: &Rt) -> i32 {
    let r = rt.spawn(&BODY, receiver, 0, 16 * 1024);
    let f = rt.spawn(&BODY, flooder, u64::from(r), 16 * 1024);
    let (status, _) = rt.join(f);
    outln!(rt, "flooder ended with status {status}");
    rt.send(r, b"go");
    let (status, _) = rt.join(r);
    outln!(rt, "receiver ended with status {status}");
    0
}

unsafe extern "C" fn flooder(to: u64) -> u64 {
    let rt = rt();
    let mut sent = 0;
    loop {
        rt.send(to as u32, &[7u8; 1024]);
        sent += 1;
        outln!(rt, "flooder: {sent} sent, curr_mem {}", rt.proc_info().curr_mem);
    }
}

unsafe extern "C" fn receiver(_: u64) -> u64 {
    let rt = rt();
    let info = rt.proc_info();
    outln!(rt, "receiver: curr_mem {} before the flood", info.curr_mem);
    rt.yield_now();
    let info = rt.proc_info();
    outln!(rt, "receiver: curr_mem {} with {} messages queued", info.curr_mem, info.queued);
    let mut buf = [0u8; 1024];
    let mut read = 0;
    loop {
        let (len, _) = rt.receive(&mut buf);
        if len == 2 {
            break;
        }
        read += 1;
    }
    outln!(rt, "receiver: read {read} messages, then the root's");
    0
}
