//! The entry handshake: the runtime called back with a table this crate
//! accepts; it reports what it sees and returns a status the runner checks.
#![no_std]

use crate_support::{Rt, abi, crate_main, outln};

crate_main!(main);

fn main(rt: &Rt) -> i32 {
    let header = &rt.table().header;
    outln!(rt, "handshake: entered through the table");
    outln!(rt, "magic ok: {}", header.magic == abi::RT_MAGIC);
    outln!(rt, "abi version: {}", header.abi_version);
    outln!(rt, "table size: {}", header.size);
    outln!(rt, "returning 7");
    7
}
