//! What crates write reaches the right stream, whole, in order (SPEC.md
//! §2.2): lines alternate between standard output and standard error from
//! the root and from procs on their segments; zero-length writes with null
//! pointers are allowed and write nothing; bytes are bytes (NUL, 0xff, a
//! lone CR, no newline) and nothing stops at a NUL; one 16 KiB write arrives
//! whole; what a proc writes just before it fails comes before the
//! runtime's line about it; what the root writes just before it returns is
//! not lost.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"streams-body", 4096);
static BIG: FrameDesc = frame_desc!(c"streams-big", 16384);

/// 16 KiB of a pattern with a line break every 64 bytes, the last line
/// marked: a lost or reordered chunk changes the golden.
static mut CHUNK: [u8; 16384] = [0; 16384];

fn main(rt: &Rt) -> i32 {
    let table = rt.table();
    // Zero-length writes with null pointers: nothing, and no crash.
    // SAFETY: SPEC.md §2.2 allows null when len is 0.
    unsafe {
        (table.header.write_out)(core::ptr::null(), 0);
        (table.write_err)(core::ptr::null(), 0);
    }
    for i in 0..3 {
        outln!(rt, "root: stdout line {i}");
        use core::fmt::Write as _;
        let _ = writeln!(rt.err(), "root: stderr line {i}");
    }
    // Bytes that are not text: NUL in the middle, 0xff, a lone CR.
    let raw = b"raw: a\0b\xffc\rd\n";
    // SAFETY: readable bytes.
    unsafe {
        (table.header.write_out)(raw.as_ptr(), raw.len());
        (table.write_err)(raw.as_ptr(), raw.len());
    }
    let writer = rt.spawn(&BODY, proc_writer, 0, u64::MAX);
    let (status, _) = rt.join(writer);
    outln!(rt, "root: writer ended with {status}");
    let failing = rt.spawn(&BODY, proc_that_fails, 0, 8192);
    let (status, _) = rt.join(failing);
    outln!(rt, "root: failing proc ended with {status}");
    // One write of 16 KiB (four pipe buffers' worth), from a frame (runtime code runs on the thread's stack).
    rt.frame(&BIG, || {
        // SAFETY: the crate's own static, written before it is read, one thread.
        unsafe {
            let chunk = &mut *core::ptr::addr_of_mut!(CHUNK);
            for (i, byte) in chunk.iter_mut().enumerate() {
                *byte = if i % 64 == 63 { b'\n' } else { b'a' + (i / 64 % 26) as u8 };
            }
            chunk[16384 - 8..16383].copy_from_slice(b"*LAST**");
            (table.header.write_out)(chunk.as_ptr(), chunk.len());
        }
        0
    });
    // The last bytes before returning, with no newline at the end.
    let tail = b"root: returning 5 (no newline)";
    // SAFETY: readable bytes.
    unsafe { (table.header.write_out)(tail.as_ptr(), tail.len()) };
    5
}

unsafe extern "C" fn proc_writer(_: u64) -> u64 {
    let rt = rt();
    use core::fmt::Write as _;
    for i in 0..2 {
        outln!(rt, "proc {}: stdout line {i}", rt.self_id());
        let _ = writeln!(rt.err(), "proc {}: stderr line {i}", rt.self_id());
        rt.yield_now();
    }
    3
}

unsafe extern "C" fn proc_that_fails(_: u64) -> u64 {
    let rt = rt();
    outln!(rt, "proc {}: about to ask for too much", rt.self_id());
    use core::fmt::Write as _;
    let _ = writeln!(rt.err(), "proc {}: on stderr before my failure line", rt.self_id());
    rt.vec_alloc(1 << 20); // past its 8192-byte budget: fails with 92
    outln!(rt, "proc {}: not reached", rt.self_id());
    0
}
