//! x86_64 Windows: the probe.
//!
//! Callee-saved (SPEC.md §11.8): `rbx rbp rdi rsi r12–r15 rsp`, all 128
//! bits of `xmm6`–`xmm15`, the control bits of MXCSR, the x87 control word,
//! and the TEB fields of §10.11. A proc owns its `ExceptionList` (`gs:[0x0]`)
//! and `GuaranteedStackBytes` (`gs:[0x1748]`): the probe sets its own, and
//! restores the crate's afterwards. The stack bounds (`StackBase` `gs:[0x08]`,
//! `StackLimit` `gs:[0x10]`, `DeallocationStack` `gs:[0x1478]`) are read right
//! after the call and compared with `stack_info` by the caller.
//!
//! ```text
//! probe_call(p):  push the crate's general registers, save its xmm6-15,
//!                 control words, ExceptionList, GuaranteedStackBytes
//!                 load p's; rcx rdx r8 r9 = p.args
//!                 call p.func                  (rsp 16-aligned, 32 bytes of shadow space)
//!                 store rax, rsp, the registers, control words, TEB fields into p
//!                 restore the crate's
//!
//!   frame (232 bytes below the 8 pushes):
//!   [rsp+0]   shadow space for the slot     [rsp+48]  the crate's xmm6..xmm15
//!   [rsp+32]  p                             [rsp+208] the crate's ExceptionList
//!   [rsp+40]  the crate's MXCSR, x87 CW     [rsp+216] the crate's GuaranteedStackBytes
//! ```

use core::mem::offset_of;

use crate::Probe;

pub const GPR_NAMES: [&str; 8] = ["rbx", "rbp", "rdi", "rsi", "r12", "r13", "r14", "r15"];
pub const VEC_NAMES: [&str; 10] =
    ["xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"];
pub const VEC_WORDS: usize = 2;
pub const CTL_NAMES: [&str; 4] = ["MXCSR", "x87 control word", "ExceptionList", "GuaranteedStackBytes"];
pub const SP_NAME: &str = "rsp";
pub const HAS_OS_BOUNDS: bool = true;

/// An `EXCEPTION_REGISTRATION_RECORD`: the head of a proc's own exception
/// chain, so that `ExceptionList` holds a valid chain while it is set.
#[repr(C)]
struct SehRecord {
    next: usize,
    handler: unsafe extern "C" fn(usize, usize, usize, usize) -> u32,
}

/// Never called (nothing raises an exception here): `ExceptionContinueSearch`.
unsafe extern "C" fn continue_search(_: usize, _: usize, _: usize, _: usize) -> u32 {
    1
}

const CHAIN_END: usize = usize::MAX;
static SEH_RECORDS: [SehRecord; 8] = [const { SehRecord { next: CHAIN_END, handler: continue_search } }; 8];

/// MXCSR, x87 control word, ExceptionList and GuaranteedStackBytes per tag.
pub fn control_values(tag: u8) -> [u64; 4] {
    let (mxcsr, fpcw) = super::x86_control(tag);
    let record = &SEH_RECORDS[usize::from(tag) % SEH_RECORDS.len()];
    [mxcsr, fpcw, record as *const SehRecord as u64, (u64::from(tag) + 1) * 0x1000]
}

/// MXCSR: only the control bits (6–15) are preserved; the rest whole.
pub fn control_same(i: usize, a: u64, b: u64) -> bool {
    match i {
        0 => (a ^ b) & 0xffc0 == 0,
        1 => (a ^ b) & 0xffff == 0,
        _ => a == b,
    }
}

/// See the module comment.
///
/// # Safety
/// `p.func` is a function of the C calling convention taking `p.args`.
#[unsafe(naked)]
pub unsafe extern "C" fn probe_call(p: *mut Probe) {
    core::arch::naked_asm!(
        "push rbp",                          // the crate's callee-saved general registers
        "push rbx",                          // the crate's rbx
        "push rdi",                          // the crate's rdi
        "push rsi",                          // the crate's rsi
        "push r12",                          // the crate's r12
        "push r13",                          // the crate's r13
        "push r14",                          // the crate's r14
        "push r15",                          // the crate's r15
        "sub rsp, 232",                      // the frame above; rsp is 16-aligned now
        "mov [rsp + 32], rcx",               // p, found again after the call
        "stmxcsr [rsp + 40]",                // the crate's MXCSR
        "fnstcw [rsp + 44]",                 // the crate's x87 control word
        "movups [rsp + 48], xmm6",           // the crate's callee-saved vector registers
        "movups [rsp + 64], xmm7",           // the crate's xmm7
        "movups [rsp + 80], xmm8",           // the crate's xmm8
        "movups [rsp + 96], xmm9",           // the crate's xmm9
        "movups [rsp + 112], xmm10",         // the crate's xmm10
        "movups [rsp + 128], xmm11",         // the crate's xmm11
        "movups [rsp + 144], xmm12",         // the crate's xmm12
        "movups [rsp + 160], xmm13",         // the crate's xmm13
        "movups [rsp + 176], xmm14",         // the crate's xmm14
        "movups [rsp + 192], xmm15",         // the crate's xmm15
        "mov rax, gs:[0x0]",                 // the crate's ExceptionList
        "mov [rsp + 208], rax",              // stored
        "mov rax, gs:[0x1748]",              // the crate's GuaranteedStackBytes
        "mov [rsp + 216], rax",              // stored
        "fnclex",                            // no pending x87 exception under unmasked control words
        "ldmxcsr [rcx + {ctl_in}]",          // the proc's MXCSR
        "fldcw [rcx + {ctl_in} + 8]",        // the proc's x87 control word
        "mov rax, [rcx + {ctl_in} + 16]",    // the proc's own ExceptionList
        "mov gs:[0x0], rax",                 // the TEB field
        "mov rax, [rcx + {ctl_in} + 24]",    // and GuaranteedStackBytes
        "mov gs:[0x1748], rax",              // the TEB field
        "movups xmm6, [rcx + {vec_in}]",     // the proc's values in every callee-saved vector register
        "movups xmm7, [rcx + {vec_in} + 16]",// the proc's xmm7
        "movups xmm8, [rcx + {vec_in} + 32]",// the proc's xmm8
        "movups xmm9, [rcx + {vec_in} + 48]",// the proc's xmm9
        "movups xmm10, [rcx + {vec_in} + 64]",// the proc's xmm10
        "movups xmm11, [rcx + {vec_in} + 80]",// the proc's xmm11
        "movups xmm12, [rcx + {vec_in} + 96]",// the proc's xmm12
        "movups xmm13, [rcx + {vec_in} + 112]",// the proc's xmm13
        "movups xmm14, [rcx + {vec_in} + 128]",// the proc's xmm14
        "movups xmm15, [rcx + {vec_in} + 144]",// the proc's xmm15
        "mov [rcx + {sp_before}], rsp",      // the stack pointer at the call
        "mov rbx, [rcx + {gpr_in}]",         // and in every callee-saved general register
        "mov rbp, [rcx + {gpr_in} + 8]",     // the proc's rbp
        "mov rdi, [rcx + {gpr_in} + 16]",    // the proc's rdi
        "mov rsi, [rcx + {gpr_in} + 24]",    // the proc's rsi
        "mov r12, [rcx + {gpr_in} + 32]",    // the proc's r12
        "mov r13, [rcx + {gpr_in} + 40]",    // the proc's r13
        "mov r14, [rcx + {gpr_in} + 48]",    // the proc's r14
        "mov r15, [rcx + {gpr_in} + 56]",    // the proc's r15
        "mov rax, [rcx + {func}]",           // the slot
        "mov rdx, [rcx + {args} + 8]",       // its arguments 1-3
        "mov r8, [rcx + {args} + 16]",       // an argument
        "mov r9, [rcx + {args} + 24]",       // an argument
        "mov rcx, [rcx + {args}]",           // and 0
        "call rax",                          // the slot, with everything live
        "mov rcx, [rsp + 32]",               // p
        "mov rdx, gs:[0x08]",                // the OS's stack bounds, first
        "mov [rcx + {bounds_out}], rdx",     // stored
        "mov rdx, gs:[0x10]",                // the TEB field
        "mov [rcx + {bounds_out} + 8], rdx", // stored
        "mov rdx, gs:[0x1478]",              // the TEB field
        "mov [rcx + {bounds_out} + 16], rdx",// stored
        "mov [rcx + {ret}], rax",            // what the slot returned
        "mov [rcx + {sp_after}], rsp",       // and what it left
        "mov [rcx + {gpr_out}], rbx",        // rbx after the call
        "mov [rcx + {gpr_out} + 8], rbp",    // rbp after the call
        "mov [rcx + {gpr_out} + 16], rdi",   // rdi after the call
        "mov [rcx + {gpr_out} + 24], rsi",   // rsi after the call
        "mov [rcx + {gpr_out} + 32], r12",   // r12 after the call
        "mov [rcx + {gpr_out} + 40], r13",   // r13 after the call
        "mov [rcx + {gpr_out} + 48], r14",   // r14 after the call
        "mov [rcx + {gpr_out} + 56], r15",   // r15 after the call
        "movups [rcx + {vec_out}], xmm6",    // xmm6 after the call
        "movups [rcx + {vec_out} + 16], xmm7",// xmm7 after the call
        "movups [rcx + {vec_out} + 32], xmm8",// xmm8 after the call
        "movups [rcx + {vec_out} + 48], xmm9",// xmm9 after the call
        "movups [rcx + {vec_out} + 64], xmm10",// xmm10 after the call
        "movups [rcx + {vec_out} + 80], xmm11",// xmm11 after the call
        "movups [rcx + {vec_out} + 96], xmm12",// xmm12 after the call
        "movups [rcx + {vec_out} + 112], xmm13",// xmm13 after the call
        "movups [rcx + {vec_out} + 128], xmm14",// xmm14 after the call
        "movups [rcx + {vec_out} + 144], xmm15",// xmm15 after the call
        "stmxcsr [rcx + {ctl_out}]",         // MXCSR after the call
        "fnstcw [rcx + {ctl_out} + 8]",      // x87 control word after the call
        "mov rdx, gs:[0x0]",                 // ExceptionList after the call
        "mov [rcx + {ctl_out} + 16], rdx",   // stored
        "mov rdx, gs:[0x1748]",              // GuaranteedStackBytes after the call
        "mov [rcx + {ctl_out} + 24], rdx",   // stored
        "mov rax, [rsp + 208]",              // the crate's ExceptionList again
        "mov gs:[0x0], rax",                 // the TEB field
        "mov rax, [rsp + 216]",              // and GuaranteedStackBytes
        "mov gs:[0x1748], rax",              // the TEB field
        "fnclex",                            // no pending x87 exception before the crate's control word
        "ldmxcsr [rsp + 40]",                // the crate's MXCSR
        "fldcw [rsp + 44]",                  // and x87 control word
        "movups xmm6, [rsp + 48]",           // the crate's vector registers
        "movups xmm7, [rsp + 64]",           // the crate's xmm7 again
        "movups xmm8, [rsp + 80]",           // the crate's xmm8 again
        "movups xmm9, [rsp + 96]",           // the crate's xmm9 again
        "movups xmm10, [rsp + 112]",         // the crate's xmm10 again
        "movups xmm11, [rsp + 128]",         // the crate's xmm11 again
        "movups xmm12, [rsp + 144]",         // the crate's xmm12 again
        "movups xmm13, [rsp + 160]",         // the crate's xmm13 again
        "movups xmm14, [rsp + 176]",         // the crate's xmm14 again
        "movups xmm15, [rsp + 192]",         // the crate's xmm15 again
        "add rsp, 232",                      // drop the frame
        "pop r15",                           // and general registers
        "pop r14",                           // the crate's r14 again
        "pop r13",                           // the crate's r13 again
        "pop r12",                           // the crate's r12 again
        "pop rsi",                           // the crate's rsi again
        "pop rdi",                           // the crate's rdi again
        "pop rbx",                           // the crate's rbx again
        "pop rbp",                           // the crate's rbp again
        "ret",                               // back to the crate
        func = const offset_of!(Probe, func),
        args = const offset_of!(Probe, args),
        ret = const offset_of!(Probe, ret),
        gpr_in = const offset_of!(Probe, gpr_in),
        gpr_out = const offset_of!(Probe, gpr_out),
        vec_in = const offset_of!(Probe, vec_in),
        vec_out = const offset_of!(Probe, vec_out),
        ctl_in = const offset_of!(Probe, ctl_in),
        ctl_out = const offset_of!(Probe, ctl_out),
        bounds_out = const offset_of!(Probe, bounds_out),
        sp_before = const offset_of!(Probe, sp_before),
        sp_after = const offset_of!(Probe, sp_after),
    )
}
