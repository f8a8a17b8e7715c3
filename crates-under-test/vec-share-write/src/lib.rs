//! Share / write / copy: a vec shared three ways, then written through two of
//! the references. Each write through a shared reference copies (the writer
//! gets refs 1, the original loses one); a write through the last reference does not.
#![no_std]

use crate_support::{Rt, VecRef, crate_main, outln};

crate_main!(main);

fn show(rt: &Rt, what: &str, v: VecRef) {
    // SAFETY: `v` is held by this proc.
    let (refs, bytes) = unsafe { (v.refs(), v.bytes()) };
    outln!(
        rt,
        "{what}: refs {refs}, live {}, contents {:?}, copies so far {}",
        bytes.len(),
        core::str::from_utf8(bytes).unwrap_or("?"),
        rt.proc_info().vec_copies
    );
}

fn main(rt: &Rt) -> i32 {
    let baseline = rt.proc_info().curr_mem;
    let mut a = rt.vec_alloc(16);
    outln!(rt, "write into a fresh vec: result {}", rt.vec_write(&mut a, 0, b"hello"));
    show(rt, "a", a);
    let mut b = rt.vec_share(a);
    let c = rt.vec_share(a);
    outln!(rt, "shared twice: same vec: {}", a == b && b == c);
    show(rt, "a", a);
    outln!(rt, "write through b: result {} (1 = copied)", rt.vec_write(&mut b, 5, b", b"));
    outln!(rt, "b is now another vec: {}", b != a);
    show(rt, "a", a);
    show(rt, "b", b);
    let mut c2 = c;
    outln!(rt, "write through c: result {}", rt.vec_write(&mut c2, 0, b"J"));
    show(rt, "a", a);
    show(rt, "c", c2);
    outln!(rt, "write through a, now unshared: result {} (0 = in place)", rt.vec_write(&mut a, 5, b"!"));
    show(rt, "a", a);
    for v in [a, b, c2] {
        rt.vec_release(v);
    }
    outln!(rt, "released all: memory charged for vecs {}", rt.proc_info().curr_mem - baseline);
    0
}
