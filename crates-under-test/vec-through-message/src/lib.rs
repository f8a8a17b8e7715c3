//! A vec shared through a message, then written on both sides: neither
//! write shows in the other's copy.
#![no_std]

use crate_support::{Rt, VecRef, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"vec-msg-body", 4096);

/// The vec's text and reference count.
fn read(v: &VecRef) -> (&str, u64) {
    // SAFETY: the calling proc holds `v` and does not write it meanwhile.
    unsafe { (core::str::from_utf8(v.bytes()).unwrap_or("?"), v.refs()) }
}

fn main(rt: &Rt) -> i32 {
    let peer = rt.spawn(&BODY, peer, u64::from(rt.self_id()), u64::MAX);
    let mut v = rt.vec_alloc(32);
    rt.vec_write(&mut v, 0, b"shared text");
    rt.send_vec(peer, v);
    outln!(rt, "root: sent; refs now {}", read(&v).1);
    let (back, _) = rt.receive_vec();
    outln!(rt, "root: peer's copy reads {:?}", read(&back).0);
    let result = rt.vec_write(&mut v, 0, b"SHARED");
    outln!(rt, "root: wrote its own (result {result}); reads {:?}", read(&v).0);
    rt.send(peer, b"check");
    let (status, _) = rt.join(peer);
    outln!(rt, "root: peer ended with {status}; copies by root {}", rt.proc_info().vec_copies);
    rt.vec_release(v);
    rt.vec_release(back);
    0
}

unsafe extern "C" fn peer(root: u64) -> u64 {
    let rt = rt();
    let (mut v, from) = rt.receive_vec();
    let (text, refs) = read(&v);
    outln!(rt, "peer: got a vec from proc {from}, refs {refs}, reads {text:?}");
    let result = rt.vec_write(&mut v, 7, b"TEXT");
    outln!(rt, "peer: wrote (result {result})");
    rt.send_vec(root as u32, v);
    let mut buf = [0u8; 8];
    rt.receive(&mut buf);
    outln!(rt, "peer: after root's write, mine reads {:?}", read(&v).0);
    rt.vec_release(v);
    0
}
