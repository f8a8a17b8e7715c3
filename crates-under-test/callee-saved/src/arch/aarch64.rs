//! aarch64 (AAPCS64, Linux): the probe.
//!
//! Callee-saved (SPEC.md §11.8): `x19`–`x28`, the frame pointer `x29`, `sp`,
//! the low 64 bits of `v8`–`v15` (`d8`–`d15`) and FPCR. The probe loads all
//! 128 bits of `v8`–`v15` and checks the preserved halves.
//!
//! ```text
//! probe_call(p):  save the crate's x19-x29 x30 d8-d15 FPCR and p   (176 bytes, sp 16-aligned)
//!                 load p.ctl_in, p.vec_in, p.gpr_in; x0-x3 = p.args
//!                 blr p.func
//!                 store x0, sp, the registers, FPCR into p
//!                 restore the crate's
//!
//!   frame: [sp+0] x29 x30 | [sp+16] x19..x28 | [sp+96] d8..d15 | [sp+160] FPCR, p
//! ```

use core::mem::offset_of;

use crate::Probe;

pub const GPR_NAMES: [&str; 11] = ["x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29"];
pub const VEC_NAMES: [&str; 8] = ["d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15"];
pub const VEC_WORDS: usize = 1;
pub const CTL_NAMES: [&str; 1] = ["FPCR"];
pub const SP_NAME: &str = "sp";
pub const HAS_OS_BOUNDS: bool = false;

/// FPCR per tag: rounding mode (RMode, bits 22-23), flush-to-zero (FZ, 24),
/// default NaN (DN, 25) and alternative half-precision (AHP, 26); tag 0 the
/// default.
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

/// FPCR holds only control bits: all of them are preserved.
pub fn control_same(_i: usize, a: u64, b: u64) -> bool {
    a == b
}

/// See the module comment.
///
/// # Safety
/// `p.func` is a function of the C calling convention taking `p.args`.
#[unsafe(naked)]
pub unsafe extern "C" fn probe_call(p: *mut Probe) {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-176]!",             // the frame below: the crate's frame pointer and return address
        "stp x19, x20, [sp, #16]",                // the crate's callee-saved registers
        "stp x21, x22, [sp, #32]",                // the crate's x21 x22
        "stp x23, x24, [sp, #48]",                // the crate's x23 x24
        "stp x25, x26, [sp, #64]",                // the crate's x25 x26
        "stp x27, x28, [sp, #80]",                // the crate's x27 x28
        "stp d8, d9, [sp, #96]",                  // the crate's callee-saved vector halves
        "stp d10, d11, [sp, #112]",               // the crate's d10 d11
        "stp d12, d13, [sp, #128]",               // the crate's d12 d13
        "stp d14, d15, [sp, #144]",               // the crate's d14 d15
        "mrs x9, fpcr",                           // the crate's FPCR
        "stp x9, x0, [sp, #160]",                 // kept with p, found again after the call
        "ldr x9, [x0, #{ctl_in}]",                // the proc's FPCR
        "msr fpcr, x9",                           // loaded
        "mov x9, sp",                             // the stack pointer at the call
        "str x9, [x0, #{sp_before}]",             // stored
        "ldr q8, [x0, #{vec_in}]",                // the proc's values in every callee-saved vector register (all 128 bits)
        "ldr q9, [x0, #{vec_in} + 16]",           // the proc's v9
        "ldr q10, [x0, #{vec_in} + 32]",          // the proc's v10
        "ldr q11, [x0, #{vec_in} + 48]",          // the proc's v11
        "ldr q12, [x0, #{vec_in} + 64]",          // the proc's v12
        "ldr q13, [x0, #{vec_in} + 80]",          // the proc's v13
        "ldr q14, [x0, #{vec_in} + 96]",          // the proc's v14
        "ldr q15, [x0, #{vec_in} + 112]",         // the proc's v15
        "ldr x19, [x0, #{gpr_in}]",               // and general register, the frame pointer too
        "ldr x20, [x0, #{gpr_in} + 8]",           // the proc's x20
        "ldr x21, [x0, #{gpr_in} + 16]",          // the proc's x21
        "ldr x22, [x0, #{gpr_in} + 24]",          // the proc's x22
        "ldr x23, [x0, #{gpr_in} + 32]",          // the proc's x23
        "ldr x24, [x0, #{gpr_in} + 40]",          // the proc's x24
        "ldr x25, [x0, #{gpr_in} + 48]",          // the proc's x25
        "ldr x26, [x0, #{gpr_in} + 56]",          // the proc's x26
        "ldr x27, [x0, #{gpr_in} + 64]",          // the proc's x27
        "ldr x28, [x0, #{gpr_in} + 72]",          // the proc's x28
        "ldr x29, [x0, #{gpr_in} + 80]",          // the proc's x29
        "ldr x16, [x0, #{func}]",                 // the slot
        "ldr x1, [x0, #{args} + 8]",              // its arguments 1-3
        "ldr x2, [x0, #{args} + 16]",             // argument 2
        "ldr x3, [x0, #{args} + 24]",             // argument 3
        "ldr x0, [x0, #{args}]",                  // and 0
        "blr x16",                                // the slot, with everything live
        "ldr x9, [sp, #168]",                     // p
        "str x0, [x9, #{ret}]",                   // what the slot returned
        "mov x10, sp",                            // and the stack pointer it left
        "str x10, [x9, #{sp_after}]",             // stored
        "str x19, [x9, #{gpr_out}]",              // the registers after the call
        "str x20, [x9, #{gpr_out} + 8]",          // x20 after the call
        "str x21, [x9, #{gpr_out} + 16]",         // x21 after the call
        "str x22, [x9, #{gpr_out} + 24]",         // x22 after the call
        "str x23, [x9, #{gpr_out} + 32]",         // x23 after the call
        "str x24, [x9, #{gpr_out} + 40]",         // x24 after the call
        "str x25, [x9, #{gpr_out} + 48]",         // x25 after the call
        "str x26, [x9, #{gpr_out} + 56]",         // x26 after the call
        "str x27, [x9, #{gpr_out} + 64]",         // x27 after the call
        "str x28, [x9, #{gpr_out} + 72]",         // x28 after the call
        "str x29, [x9, #{gpr_out} + 80]",         // x29 after the call
        "str d8, [x9, #{vec_out}]",               // the vector halves the ABI preserves
        "str d9, [x9, #{vec_out} + 16]",          // d9 after the call
        "str d10, [x9, #{vec_out} + 32]",         // d10 after the call
        "str d11, [x9, #{vec_out} + 48]",         // d11 after the call
        "str d12, [x9, #{vec_out} + 64]",         // d12 after the call
        "str d13, [x9, #{vec_out} + 80]",         // d13 after the call
        "str d14, [x9, #{vec_out} + 96]",         // d14 after the call
        "str d15, [x9, #{vec_out} + 112]",        // d15 after the call
        "mrs x10, fpcr",                          // FPCR after the call
        "str x10, [x9, #{ctl_out}]",              // stored
        "ldr x10, [sp, #160]",                    // the crate's FPCR again
        "msr fpcr, x10",                          // loaded
        "ldp d8, d9, [sp, #96]",                  // the crate's vector halves
        "ldp d10, d11, [sp, #112]",               // the crate's d10 d11 again
        "ldp d12, d13, [sp, #128]",               // the crate's d12 d13 again
        "ldp d14, d15, [sp, #144]",               // the crate's d14 d15 again
        "ldp x19, x20, [sp, #16]",                // and registers
        "ldp x21, x22, [sp, #32]",                // the crate's x21 x22 again
        "ldp x23, x24, [sp, #48]",                // the crate's x23 x24 again
        "ldp x25, x26, [sp, #64]",                // the crate's x25 x26 again
        "ldp x27, x28, [sp, #80]",                // the crate's x27 x28 again
        "ldp x29, x30, [sp], #176",               // and frame pointer and return address
        "ret",                                    // back to the crate
        func = const offset_of!(Probe, func),
        args = const offset_of!(Probe, args),
        ret = const offset_of!(Probe, ret),
        gpr_in = const offset_of!(Probe, gpr_in),
        gpr_out = const offset_of!(Probe, gpr_out),
        vec_in = const offset_of!(Probe, vec_in),
        vec_out = const offset_of!(Probe, vec_out),
        ctl_in = const offset_of!(Probe, ctl_in),
        ctl_out = const offset_of!(Probe, ctl_out),
        sp_before = const offset_of!(Probe, sp_before),
        sp_after = const offset_of!(Probe, sp_after),
    )
}
