//! The OS's view of the stack follows the segments: on Windows the TEB's
//! `StackBase`, `StackLimit` and `DeallocationStack` must describe the segment the code runs on
//! (stack probes and exception dispatch check against them), at every depth,
//! after every yield, in every proc. Frames with 8 KiB locals make the
//! compiler emit stack probes (`___chkstk_ms`), which must stay inside the
//! segment. Linux keeps no per-stack bounds: there only the probes are checked.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, os_stack_bounds, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"bounds-body", 4096);
static PROBED: FrameDesc = frame_desc!(c"bounds-probed", 12288);
const DEPTH: u64 = 40;

fn main(rt: &Rt) -> i32 {
    let ids = [rt.spawn(&BODY, body, 0, u64::MAX), rt.spawn(&BODY, body, 1, u64::MAX)];
    for id in ids {
        let (status, _) = rt.join(id);
        outln!(rt, "proc {id}: {status} places where the OS's stack bounds differ from the current segment");
    }
    0
}

/// Returns the number of places where the OS's bounds were wrong.
unsafe extern "C" fn body(_: u64) -> u64 {
    let rt = rt();
    descend(&rt, 1)
}

fn check(rt: &Rt) -> u64 {
    let info = rt.stack_info();
    match os_stack_bounds() {
        Some(os) => u64::from(
            os.limit != info.segment_low
                || os.base != info.segment_high
                || os.dealloc != info.segment_low - crate_support::abi::StackModel::WINDOWS_STACK_ROOM,
        ),
        None => 0,
    }
}

fn descend(rt: &Rt, depth: u64) -> u64 {
    rt.frame(&PROBED, || {
        // 8 KiB of locals: the compiler probes each page of them on Windows.
        let mut big = [0u8; 8192];
        core::hint::black_box(&mut big)[depth as usize] = 1;
        let mut wrong = check(rt);
        rt.yield_now();
        wrong += check(rt);
        if depth < DEPTH {
            wrong += descend(rt, depth + 1);
        }
        wrong + check(rt) + u64::from(core::hint::black_box(&big)[depth as usize] != 1)
    })
}
