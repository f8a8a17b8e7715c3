//! A proc that ends with messages still queued: the root queues four, the
//! proc reads one and returns. The three others are discarded (join reports
//! them), the root's memory returns to where it was, and a send to the ended
//! proc is refused.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"dies-body", 4096);

fn main(rt: &Rt) -> i32 {
    let baseline = rt.proc_info().curr_mem;
    let id = rt.spawn(&BODY, read_one, 0, u64::MAX);
    for text in [&b"first"[..], b"second", b"third", b"fourth"] {
        rt.send(id, text);
    }
    outln!(rt, "root: queued 4 messages, memory charged for them: {} bytes", rt.proc_info().curr_mem - baseline);
    let (status, discarded) = rt.join(id);
    outln!(rt, "root: proc {id} ended with status {status}, {discarded} messages discarded");
    outln!(rt, "root: memory charged now: {} bytes", rt.proc_info().curr_mem - baseline);
    outln!(rt, "root: send to the ended proc returns {}", rt.send(id, b"late"));
    0
}

unsafe extern "C" fn read_one(_: u64) -> u64 {
    let rt = rt();
    let mut buf = [0u8; 16];
    let (len, from) = rt.receive(&mut buf);
    outln!(
        rt,
        "proc: read {:?} from proc {from}, {} more queued",
        core::str::from_utf8(&buf[..len]).unwrap_or("?"),
        rt.proc_info().queued
    );
    5
}
