//! No copy when refs is 1: ten thousand writes through the only reference
//! copy nothing; appending past the capacity grows the vec (doubling).
#![no_std]

use crate_support::{Rt, abi, crate_main, outln};

crate_main!(main);

fn main(rt: &Rt) -> i32 {
    let mut v = rt.vec_alloc(64);
    let (mut in_place, mut grown, mut copied) = (0, 0, 0);
    for i in 0..10_000u64 {
        let offset = if i < 64 { i } else { i % 64 };
        match rt.vec_write(&mut v, offset, &[i as u8]) {
            abi::RT_VEC_IN_PLACE => in_place += 1,
            abi::RT_VEC_GROWN => grown += 1,
            _ => copied += 1,
        }
    }
    outln!(
        rt,
        "10000 writes: {in_place} in place, {grown} grown, {copied} copied; proc copies {}",
        rt.proc_info().vec_copies
    );
    let mut sizes = [0u64; 8];
    for (n, slot) in sizes.iter_mut().enumerate() {
        // SAFETY: `v` is held by this proc.
        let live = unsafe { v.get().live };
        let result = rt.vec_write(&mut v, live, &[n as u8; 64]);
        // SAFETY: as above.
        *slot = unsafe { v.get().size };
        if result == abi::RT_VEC_COPIED {
            outln!(rt, "an append copied");
        }
    }
    outln!(rt, "capacity after each 64-byte append: {sizes:?}");
    // SAFETY: `v` is held by this proc.
    outln!(rt, "live {}, init {}, refs {}", unsafe { v.get().live }, unsafe { v.get().init }, unsafe { v.refs() });
    outln!(rt, "write at an offset past live: {}", rt.vec_write(&mut v, 100_000, b"x"));
    rt.vec_release(v);
    0
}
