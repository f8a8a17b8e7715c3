//! aarch64 (AAPCS64, Linux): the entry probe and `call_with`.
//!
//! `bl`/`blr` push nothing: a function's stack pointer at its first
//! instruction is the one at the call, `top − 32` (SPEC.md §10.3), and must
//! be 16-aligned (real hardware faults on a misaligned `sp`; QEMU does not).
//!
//! ```text
//! entry_probe(seen):  seen.sp = sp; seen.ctl = FPCR                 (first instructions)
//!                     align sp; save x29 x30 x19, the original sp
//!                     stack_info(&seen.info); seen.ran = 1; ret 0x600d   (32 bytes at most)
//! call_with(c):       save x29 x30 x19, FPCR; load c.ctl; c.ret = c.func(c.args); restore
//! ```

use core::mem::offset_of;

use crate::{Call, Seen};

pub const ENTRY_SP_BELOW_TOP: u64 = 32;
pub const ENTRY_SP_MOD16: u64 = 0;
pub const CTL_NAMES: [&str; 1] = ["FPCR"];
pub const HAS_OS_BOUNDS: bool = false;

/// FPCR per tag (tag 0: the default), as in the callee-saved crate:
/// rounding mode, FZ, DN, AHP.
pub fn control_values(tag: u8) -> [u64; 1] {
    const STATES: [u64; 8] = [
        0,           // defaults
        0x01c0_0000, // toward zero, FZ
        0x0240_0000, // toward +infinity, DN
        0x0580_0000, // toward -infinity, FZ, AHP
        0x0300_0000, // FZ, DN
        0x00c0_0000, // toward zero
        0x0400_0000, // AHP
        0x0740_0000, // toward +infinity, FZ, DN, AHP
    ];
    [STATES[usize::from(tag) % STATES.len()]]
}

/// FPCR holds only control bits: all of them count.
pub fn control_same(_i: usize, a: u64, b: u64) -> bool {
    a == b
}

/// A new proc starts with its spawner's control state (SPEC.md §11.8).
pub fn start_values(spawner: [u64; 1]) -> [Option<u64>; 1] {
    spawner.map(Some)
}

/// A frame's function runs with its caller's control state.
pub fn frame_values(caller: [u64; 1]) -> [Option<u64>; 1] {
    caller.map(Some)
}

/// Nothing of the root's start to check here.
pub fn root_start_wrong() -> u64 {
    0
}

/// See the module comment.
///
/// # Safety
/// `seen` points to a `Seen` whose `stack_info` is the table's slot.
#[unsafe(naked)]
pub unsafe extern "C" fn entry_probe(seen: u64) -> u64 {
    core::arch::naked_asm!(
        "mov x9, sp",                       // the stack pointer, as the function got it
        "str x9, [x0, #{sp}]",              // recorded
        "mrs x9, fpcr",                     // FPCR, as it got it
        "str x9, [x0, #{ctl}]",             // recorded
        "mov x10, sp",                      // the original sp, restored at the end
        "and x11, x10, #-16",               // an aligned stack, whatever the runtime gave
        "mov sp, x11",                      // in force
        "stp x29, x30, [sp, #-32]!",        // the caller's frame pointer and our return address
        "stp x19, x10, [sp, #16]",          // x19 (callee-saved, used below) and the original sp
        "mov x19, x0",                      // seen
        "add x0, x19, #{info}",             // stack_info(&seen.info)
        "ldr x9, [x19, #{stack_info}]",     // the slot
        "blr x9",                           // what the runtime says of this frame
        "mov x9, #1",                       // the function ran
        "str x9, [x19, #{ran}]",            // recorded
        "ldp x19, x10, [sp, #16]",          // the caller's x19, the original sp
        "ldp x29, x30, [sp], #32",          // the frame pointer and return address
        "mov sp, x10",                      // back where it was
        "mov x0, #0x600d",                  // a result (also a body's status)
        "ret",                              // back to the runtime
        sp = const offset_of!(Seen, sp),
        ctl = const offset_of!(Seen, ctl),
        info = const offset_of!(Seen, info),
        stack_info = const offset_of!(Seen, stack_info),
        ran = const offset_of!(Seen, ran),
    )
}

/// See the module comment.
///
/// # Safety
/// `c.func` is a function of the C calling convention taking `c.args`.
#[unsafe(naked)]
pub unsafe extern "C" fn call_with(c: *mut Call) {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-32]!",        // the crate's frame pointer and return address
        "mrs x9, fpcr",                     // the crate's FPCR
        "stp x19, x9, [sp, #16]",           // kept with x19 (callee-saved, used below)
        "mov x19, x0",                      // c
        "ldr x9, [x19, #{ctl}]",            // c's FPCR
        "msr fpcr, x9",                     // in force
        "ldr x16, [x19, #{func}]",          // the slot
        "ldr x0, [x19, #{args}]",           // argument 0
        "ldr x1, [x19, #{args} + 8]",       // argument 1
        "ldr x2, [x19, #{args} + 16]",      // argument 2
        "blr x16",                          // the slot, with c's state in force
        "str x0, [x19, #{ret}]",            // its result
        "ldp x19, x9, [sp, #16]",           // the crate's x19 and FPCR
        "msr fpcr, x9",                     // in force again
        "ldp x29, x30, [sp], #32",          // the crate's frame pointer and return address
        "ret",                              // back to the crate
        func = const offset_of!(Call, func),
        args = const offset_of!(Call, args),
        ctl = const offset_of!(Call, ctl),
        ret = const offset_of!(Call, ret),
    )
}
