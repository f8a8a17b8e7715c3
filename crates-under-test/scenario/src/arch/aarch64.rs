//! aarch64: the thin frame function.
//!
//! ```text
//! thin(site):  x19 = site; if site.child: x0 = frame_call(child.desc, child.func, child) + site.ret
//!                          else:          x0 = site.ret
//! ```
//! Stack: a frame record and x19, 32 bytes.

use core::mem::offset_of;

use crate::{Site, TABLE};

/// The bytes of its frame `thin` uses.
pub const THIN_STACK: usize = 32;

/// A thin frame's function (see `arch/mod.rs`).
///
/// # Safety
/// `site` is a `Site` of the image; the table is set.
#[unsafe(naked)]
pub unsafe extern "C" fn thin(site: u64) -> u64 {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-32]!", // frame record
        "str x19, [sp, #16]",        // keep x19 (callee-saved)
        "mov x29, sp",
        "mov x19, x0",               // the site
        "ldr x2, [x19, #{child}]",   // arg 2: the child's site
        "cbz x2, 2f",                // no child: a leaf
        "ldr x0, [x2, #{desc}]",     // arg 0: the child's descriptor
        "ldr x1, [x2, #{func}]",     // arg 1: the child's function
        "adrp x8, {table}",          // the table pointer's page
        "ldr x8, [x8, :lo12:{table}]", // the table
        "ldr x8, [x8, #{frame_call}]",
        "blr x8",                    // frame_call(desc, func, child)
        "ldr x1, [x19, #{ret}]",
        "add x0, x0, x1",            // plus this frame's ret
        "b 3f",
        "2:",
        "ldr x0, [x19, #{ret}]",     // a leaf returns its ret
        "3:",
        "ldr x19, [sp, #16]",
        "ldp x29, x30, [sp], #32",
        "ret",
        child = const offset_of!(Site, child),
        desc = const offset_of!(Site, desc),
        func = const offset_of!(Site, func),
        ret = const offset_of!(Site, ret),
        table = sym TABLE,
        frame_call = const offset_of!(crate_support::abi::RtTable, frame_call),
    )
}
