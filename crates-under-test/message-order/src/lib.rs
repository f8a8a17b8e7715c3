//! Message ordering: two senders send five messages each to one receiver,
//! yielding after each; the receiver prints them as they arrive.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"order-body", 4096);

fn main(rt: &Rt) -> i32 {
    let receiver = rt.spawn(&BODY, receive_all, 0, u64::MAX);
    let s1 = rt.spawn(&BODY, send_five, u64::from(receiver), u64::MAX);
    let s2 = rt.spawn(&BODY, send_five, u64::from(receiver) | 1 << 32, u64::MAX);
    for id in [s1, s2, receiver] {
        let (status, _) = rt.join(id);
        outln!(rt, "proc {id} ended with status {status}");
    }
    0
}

unsafe extern "C" fn send_five(arg: u64) -> u64 {
    let rt = rt();
    let (to, who) = (arg as u32, (arg >> 32) as u8);
    for i in 0..5u8 {
        let message = [b'S', b'1' + who, b'#', b'0' + i];
        let result = rt.send(to, &message);
        if result != 0 {
            return 1;
        }
        rt.yield_now();
    }
    0
}

unsafe extern "C" fn receive_all(_: u64) -> u64 {
    let rt = rt();
    let mut buf = [0u8; 16];
    for _ in 0..10 {
        let (len, sender) = rt.receive(&mut buf);
        let text = core::str::from_utf8(&buf[..len]).unwrap_or("?");
        outln!(rt, "received {text} from proc {sender}");
    }
    0
}
