//! x86_64 System V: the probe.
//!
//! Callee-saved (SPEC.md §11.8): `rbx rbp r12–r15 rsp`, the control bits of
//! MXCSR (6–15) and the x87 control word. No vector register is.
//!
//! ```text
//! probe_call(p):  push the crate's rbx rbp r12-r15, p, its MXCSR and x87 CW
//!                 load p.ctl_in, p.gpr_in; rdi rsi rdx rcx = p.args
//!                 call p.func                      (rsp 16-aligned)
//!                 store rax, rsp, the registers, MXCSR, x87 CW into p
//!                 restore the crate's state and registers
//! ```

use core::mem::offset_of;

use crate::Probe;

pub const GPR_NAMES: [&str; 6] = ["rbx", "rbp", "r12", "r13", "r14", "r15"];
pub const VEC_NAMES: [&str; 0] = [];
pub const VEC_WORDS: usize = 0;
pub const CTL_NAMES: [&str; 2] = ["MXCSR", "x87 control word"];
pub const SP_NAME: &str = "rsp";
pub const HAS_OS_BOUNDS: bool = false;

/// MXCSR and x87 control word per tag: rounding modes, flush-to-zero,
/// denormals-are-zero, precision control and some exceptions unmasked.
pub fn control_values(tag: u8) -> [u64; 2] {
    let (mxcsr, fpcw) = super::x86_control(tag);
    [mxcsr, fpcw]
}

/// MXCSR: only the control bits (6–15) are preserved; the x87 control word whole.
pub fn control_same(i: usize, a: u64, b: u64) -> bool {
    match i {
        0 => (a ^ b) & 0xffc0 == 0,
        _ => (a ^ b) & 0xffff == 0,
    }
}

/// See the module comment.
///
/// # Safety
/// `p.func` is a function of the C calling convention taking `p.args`.
#[unsafe(naked)]
pub unsafe extern "C" fn probe_call(p: *mut Probe) {
    core::arch::naked_asm!(
        "push rbp",                      // the crate's callee-saved registers
        "push rbx",                          // the crate's rbx
        "push r12",                          // the crate's r12
        "push r13",                          // the crate's r13
        "push r14",                          // the crate's r14
        "push r15",                          // the crate's r15
        "push rdi",                      // p, found again after the call; rsp is 16-aligned now
        "sub rsp, 16",                   // the crate's control words
        "stmxcsr [rsp]",                 // the crate's MXCSR
        "fnstcw [rsp + 4]",              // the crate's x87 control word
        "fnclex",                        // no pending x87 exception under unmasked control words
        "ldmxcsr [rdi + {ctl_in}]",      // the proc's MXCSR
        "fldcw [rdi + {ctl_in} + 8]",    // the proc's x87 control word
        "mov [rdi + {sp_before}], rsp",  // the stack pointer at the call
        "mov rbx, [rdi + {gpr_in}]",     // the proc's values in every callee-saved register
        "mov rbp, [rdi + {gpr_in} + 8]",     // the proc's rbp
        "mov r12, [rdi + {gpr_in} + 16]",    // the proc's r12
        "mov r13, [rdi + {gpr_in} + 24]",    // the proc's r13
        "mov r14, [rdi + {gpr_in} + 32]",    // the proc's r14
        "mov r15, [rdi + {gpr_in} + 40]",    // the proc's r15
        "mov rax, [rdi + {func}]",       // the slot
        "mov rsi, [rdi + {args} + 8]",   // its arguments 1-3
        "mov rdx, [rdi + {args} + 16]",      // an argument
        "mov rcx, [rdi + {args} + 24]",      // an argument
        "mov rdi, [rdi + {args}]",       // and 0
        "call rax",                      // the slot, with everything live
        "mov rdi, [rsp + 16]",           // p
        "mov [rdi + {ret}], rax",        // what the slot returned
        "mov [rdi + {sp_after}], rsp",   // and what it left
        "mov [rdi + {gpr_out}], rbx",        // rbx after the call
        "mov [rdi + {gpr_out} + 8], rbp",    // rbp after the call
        "mov [rdi + {gpr_out} + 16], r12",   // r12 after the call
        "mov [rdi + {gpr_out} + 24], r13",   // r13 after the call
        "mov [rdi + {gpr_out} + 32], r14",   // r14 after the call
        "mov [rdi + {gpr_out} + 40], r15",   // r15 after the call
        "stmxcsr [rdi + {ctl_out}]",     // MXCSR after the call
        "fnstcw [rdi + {ctl_out} + 8]",  // x87 control word after the call
        "fnclex",                        // no pending x87 exception before the crate's control word
        "ldmxcsr [rsp]",                 // the crate's MXCSR again
        "fldcw [rsp + 4]",               // and x87 control word
        "add rsp, 24",                   // drop the control words and p
        "pop r15",                       // the crate's registers again
        "pop r14",                           // the crate's r14 again
        "pop r13",                           // the crate's r13 again
        "pop r12",                           // the crate's r12 again
        "pop rbx",                           // the crate's rbx again
        "pop rbp",                           // the crate's rbp again
        "ret",                               // back to the crate
        func = const offset_of!(Probe, func),
        args = const offset_of!(Probe, args),
        ret = const offset_of!(Probe, ret),
        gpr_in = const offset_of!(Probe, gpr_in),
        gpr_out = const offset_of!(Probe, gpr_out),
        ctl_in = const offset_of!(Probe, ctl_in),
        ctl_out = const offset_of!(Probe, ctl_out),
        sp_before = const offset_of!(Probe, sp_before),
        sp_after = const offset_of!(Probe, sp_after),
    )
}
