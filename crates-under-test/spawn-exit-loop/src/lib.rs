//! 10,000 procs spawned and joined one after the other, each allocating a
//! vec, sending its spawner a message and failing on every hundredth: after
//! each join, `runtime_info` is back where it was before the spawn, so a
//! runtime that leaks anything per proc (a record, a segment, a vec, a
//! message, their bytes) shows it here. Also run under valgrind's memcheck.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"loop-body", 2048);
const PROCS: u64 = 10_000;

fn main(rt: &Rt) -> i32 {
    let baseline = rt.runtime_info();
    let mut drifted = 0;
    let mut failed = 0;
    for i in 0..PROCS {
        // Every hundredth proc fails on its memory budget (status 92).
        let budget = if i % 100 == 99 { 4096 } else { 64 * 1024 };
        let id = rt.spawn(&BODY, body, i, budget);
        let (status, discarded) = rt.join(id);
        failed += u64::from(status == 92);
        let mut buf = [0u8; 8];
        while rt.proc_info().queued > 0 {
            rt.receive(&mut buf);
        }
        let info = rt.runtime_info();
        if info != baseline {
            drifted += 1;
            if drifted <= 3 {
                outln!(rt, "after proc {id} ({discarded} messages discarded): {info:?}, was {baseline:?}");
            }
        }
    }
    outln!(rt, "{PROCS} procs spawned and joined, {failed} failed on their budget");
    outln!(rt, "runtime_info differed from before the spawn after {drifted} of them");
    0
}

unsafe extern "C" fn body(i: u64) -> u64 {
    let rt = rt();
    let mut v = rt.vec_alloc(100);
    rt.vec_write(&mut v, 0, &i.to_le_bytes());
    rt.send(1, &i.to_le_bytes());
    if i % 100 == 99 {
        rt.vec_alloc(8192); // past its 4096-byte budget: fails while holding `v`
    }
    rt.vec_release(v);
    0
}
