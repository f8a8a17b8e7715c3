//! aarch64 (AAPCS64, Linux): the measured call and the trashing body.
//!
//! ```text
//! measured_call(m):  sp = m.paint_low; paint up to m.call_sp
//!                    sp = m.call_sp; x0-x3 = m.args; blr m.func; back
//!
//! trash_body(trash): at entry sp = top − 32 (SPEC.md §10.3), its return address in
//!                    x30: its frame gives it [sp − 192, sp): overwrite it all;
//!                    yield_now; again; return 0x600d
//! ```

use core::mem::offset_of;

#[cfg(not(feature = "services"))]
use super::{TRASH, TRASH_BODY_SIZE, TRASH_BODY_STATUS, Trash};
use crate::Measure;

/// See `arch/mod.rs`.
///
/// # Safety
/// `[m.paint_low, m.call_sp)` is the caller's own stack, below its stack
/// pointer; `m.func` takes `m.args`.
#[unsafe(naked)]
pub unsafe extern "C" fn measured_call(m: *mut Measure) {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-32]!",        // frame pointer, return address
        "stp x19, x20, [sp, #16]",          // callee-saved registers used below
        "mov x19, x0",                      // m
        "mov x20, sp",                      // where to come back to
        "ldr x9, [x19, #{paint_low}]",      // the painted area's low end
        "ldr x10, [x19, #{call_sp}]",       // and high end
        "ldr x11, [x19, #{pattern}]",       // the pattern
        "mov sp, x9",                       // nothing else writes above the stack pointer meanwhile
        "2:",
        "cmp x9, x10",                      // done?
        "b.hs 3f",                          // all painted: to the call
        "eor x12, x9, x11",                 // the word's paint
        "str x12, [x9], #8",                // painted; next word
        "b 2b",                             // paint the next word
        "3:",
        "mov sp, x10",                      // the caller's stack pointer for the measured call
        "ldr x16, [x19, #{func}]",          // the slot
        "ldr x0, [x19, #{args}]",           // argument 0
        "ldr x1, [x19, #{args} + 8]",       // argument 1
        "ldr x2, [x19, #{args} + 16]",      // argument 2
        "ldr x3, [x19, #{args} + 24]",      // argument 3
        "blr x16",                          // the measured call
        "mov sp, x20",                      // back
        "str x0, [x19, #{ret}]",            // its result
        "ldp x19, x20, [sp, #16]",          // the caller's x19, x20
        "ldp x29, x30, [sp], #32",          // frame pointer, return address
        "ret",                              // back to the crate
        func = const offset_of!(Measure, func),
        args = const offset_of!(Measure, args),
        paint_low = const offset_of!(Measure, paint_low),
        call_sp = const offset_of!(Measure, call_sp),
        pattern = const offset_of!(Measure, pattern),
        ret = const offset_of!(Measure, ret),
    )
}

/// See `arch/mod.rs`.
///
/// # Safety
/// A proc body (`spawn`'s entry) in a frame of `TRASH_BODY_SIZE` bytes;
/// `trash` points to a `Trash`.
#[cfg(not(feature = "services"))]
#[unsafe(naked)]
pub unsafe extern "C" fn trash_body(trash: u64) -> u64 {
    core::arch::naked_asm!(
        "movz x10, #{v0}",                  // what to write, 16 bits at a time
        "movk x10, #{v1}, lsl #16",         // bits 16-31
        "movk x10, #{v2}, lsl #32",         // bits 32-47
        "movk x10, #{v3}, lsl #48",         // bits 48-63
        "sub x9, sp, #{size}",              // the lowest byte the frame gives the body
        "mov x11, sp",                      // its top
        "2:",
        "str x10, [x9], #8",                // overwritten; next word
        "cmp x9, x11",                      // up to the top
        "b.lo 2b",                          // more to overwrite
        "stp x19, x30, [sp, #-16]!",        // callee-saved x19 and the return address
        "mov x19, x0",                      // trash
        "ldr x9, [x19, #{yield_now}]",      // the slot
        "blr x9",                           // other procs run; the start-up code stays suspended
        "ldp x19, x30, [sp], #16",          // the caller's x19, the return address
        "movz x10, #{v0}",                  // again
        "movk x10, #{v1}, lsl #16",         // bits 16-31
        "movk x10, #{v2}, lsl #32",         // bits 32-47
        "movk x10, #{v3}, lsl #48",         // bits 48-63
        "sub x9, sp, #{size}",              // from the lowest byte of the frame
        "mov x11, sp",                      // to its top
        "3:",
        "str x10, [x9], #8",                // overwritten; next word
        "cmp x9, x11",                      // up to the top
        "b.lo 3b",                          // more to overwrite
        "mov x0, #{status}",                // the body's status
        "ret",                              // back to the start-up code
        v0 = const TRASH & 0xffff,
        v1 = const (TRASH >> 16) & 0xffff,
        v2 = const (TRASH >> 32) & 0xffff,
        v3 = const (TRASH >> 48) & 0xffff,
        size = const TRASH_BODY_SIZE,
        status = const TRASH_BODY_STATUS,
        yield_now = const offset_of!(Trash, yield_now),
    )
}
