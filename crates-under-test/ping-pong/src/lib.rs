//! Ping-pong: 100,000 round trips of an 8-byte counter between two procs.
#![no_std]

use crate_support::{Rt, abi::FrameDesc, crate_main, frame_desc, outln, rt};

crate_main!(main);

static BODY: FrameDesc = frame_desc!(c"pingpong-body", 4096);
const ROUNDS: u64 = 100_000;

fn main(rt: &Rt) -> i32 {
    let ponger = rt.spawn(&BODY, pong, 0, u64::MAX);
    let pinger = rt.spawn(&BODY, ping, u64::from(ponger), u64::MAX);
    let (ping_status, _) = rt.join(pinger);
    let (pong_status, _) = rt.join(ponger);
    outln!(rt, "ping ended with {ping_status}, pong with {pong_status}");
    0
}

unsafe extern "C" fn ping(ponger: u64) -> u64 {
    let rt = rt();
    let mut buf = [0u8; 8];
    let mut value = 0u64;
    for _ in 0..ROUNDS {
        rt.send(ponger as u32, &value.to_le_bytes());
        rt.receive(&mut buf);
        value = u64::from_le_bytes(buf);
    }
    rt.send(ponger as u32, b"stop");
    outln!(rt, "ping: {ROUNDS} round trips, final value {value} (expected {})", 2 * ROUNDS);
    0
}

unsafe extern "C" fn pong(_: u64) -> u64 {
    let rt = rt();
    let mut buf = [0u8; 8];
    let mut rounds = 0u64;
    loop {
        let (len, from) = rt.receive(&mut buf);
        if len != 8 {
            outln!(rt, "pong: answered {rounds} messages");
            return 0;
        }
        let value = u64::from_le_bytes(buf) + 2;
        rt.send(from, &value.to_le_bytes());
        rounds += 1;
    }
}
