//! curr_mem, exact, after every step: a proc with a 64 KiB budget
//! allocates, shares, copies, sends, grows its stack and gives it all back.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"accounting-body", 4096);
static DEEP: FrameDesc = frame_desc!(c"accounting-deep", 2048);

fn main(rt: &Rt) -> i32 {
    let sink = rt.spawn(&BODY, sink, 0, u64::MAX);
    let id = rt.spawn(&BODY, script, u64::from(sink), 64 * 1024);
    let (status, _) = rt.join(id);
    outln!(rt, "script ended with {status}");
    let (status, discarded) = rt.join(sink);
    outln!(rt, "sink ended with {status}, {discarded} messages unread");
    0
}

fn step(rt: &Rt, what: &str) {
    outln!(rt, "{what:<44} curr_mem {}", rt.proc_info().curr_mem);
}

unsafe extern "C" fn script(sink: u64) -> u64 {
    let rt = rt();
    step(&rt, "start (record + segment 0)");
    let mut a = rt.vec_alloc(1000);
    step(&rt, "vec of 1000 bytes");
    let b = rt.vec_share(a);
    step(&rt, "shared it (no copy)");
    rt.vec_write(&mut a, 0, b"x");
    step(&rt, "wrote through one reference (copy)");
    rt.send(sink as u32, &[0u8; 100]);
    step(&rt, "sent a 100-byte message (queued)");
    rt.send_vec(sink as u32, b);
    step(&rt, "sent a vec (queued)");
    rt.frame(&DEEP, || {
        step(&rt, "entered a 2048-byte frame (new segment)");
        0
    });
    step(&rt, "left it (segment kept as the spare)");
    rt.vec_release(a);
    step(&rt, "released the copy");
    rt.vec_release(b);
    step(&rt, "released the original (the message holds it)");
    rt.yield_now();
    step(&rt, "after the sink read both messages");
    0
}

unsafe extern "C" fn sink(_: u64) -> u64 {
    let rt = rt();
    let mut buf = [0u8; 128];
    let (len, _) = rt.receive(&mut buf);
    outln!(rt, "sink: read {len} bytes");
    let (v, _) = rt.receive_vec();
    if v.is_null() {
        outln!(rt, "sink: the second message carried no vec");
        return 1;
    }
    // SAFETY: held by this proc.
    outln!(rt, "sink: got a vec of {} bytes, refs {}", unsafe { v.get().size }, unsafe { v.refs() });
    rt.vec_release(v);
    outln!(rt, "sink: released it");
    0
}
