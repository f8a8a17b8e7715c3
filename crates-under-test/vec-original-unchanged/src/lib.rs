//! The original is unchanged after a write through a shared reference: a
//! 4 KiB vec, shared, then overwritten entirely through the share.
#![no_std]

use crate_support::{Rt, crate_main, outln};

crate_main!(main);

fn main(rt: &Rt) -> i32 {
    let mut original = rt.vec_alloc(4096);
    let mut pattern = [0u8; 4096];
    for (i, b) in pattern.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    rt.vec_write(&mut original, 0, &pattern);
    let mut share = rt.vec_share(original);
    let result = rt.vec_write(&mut share, 0, &[0xAA; 4096]);
    // SAFETY: both are held by this proc.
    let (a, b) = unsafe { (original.bytes(), share.bytes()) };
    outln!(rt, "write through the share: result {result}");
    outln!(rt, "original equals the pattern: {}", a == &pattern[..]);
    outln!(rt, "share is all 0xAA: {}", b.iter().all(|&x| x == 0xAA));
    // SAFETY: both are held by this proc.
    outln!(rt, "refs: original {}, share {}", unsafe { original.refs() }, unsafe { share.refs() });
    rt.vec_release(original);
    rt.vec_release(share);
    0
}
