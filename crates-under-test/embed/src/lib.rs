//! An embedded component: run by a host that supplies its own table, it
//! writes through both output slots and reads the runtime's name, so the
//! host's recording shows every call in order.
#![no_std]

use core::ffi::CStr;
use core::fmt::Write as _;

use crate_support::{Rt, crate_main, outln};

crate_main!(main);

fn main(rt: &Rt) -> i32 {
    // SAFETY: an accepted table's `runtime_name` is a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(rt.table().runtime_name) };
    outln!(rt, "embed: running inside {}", name.to_str().unwrap_or("(a name that is not UTF-8)"));
    let _ = writeln!(rt.err(), "embed: a line on standard error");
    outln!(rt, "embed: returning 3");
    3
}
