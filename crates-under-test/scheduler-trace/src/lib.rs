//! The scheduler's interleaving: three procs print a line and yield, three
//! times each; the root joins them in order. Each proc finds its name through
//! its environment pointer (a closure's captured data, in a compiler's terms).
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"trace-body", 4096);

fn main(rt: &Rt) -> i32 {
    let env = |name: &'static u8| name as *const u8 as *mut core::ffi::c_void;
    let ids = [
        rt.spawn_with_env(&BODY, body, 0, env(&NAMES[0]), u64::MAX),
        rt.spawn_with_env(&BODY, body, 1, env(&NAMES[1]), u64::MAX),
        rt.spawn_with_env(&BODY, body, 2, env(&NAMES[2]), u64::MAX),
    ];
    outln!(rt, "root: spawned procs {}, {}, {}", ids[0], ids[1], ids[2]);
    for id in ids {
        let (status, _) = rt.join(id);
        outln!(rt, "root: proc {id} ended with status {status}");
    }
    0
}

static NAMES: [u8; 3] = [b'A', b'B', b'C'];

unsafe extern "C" fn body(arg: u64) -> u64 {
    let rt = rt();
    // SAFETY: the environment is a pointer to one of NAMES.
    let name = unsafe { *(rt.proc_env() as *const u8) } as char;
    for round in 0..3 {
        outln!(rt, "{name} (proc {}): round {round}", rt.self_id());
        rt.yield_now();
    }
    10 + arg
}
