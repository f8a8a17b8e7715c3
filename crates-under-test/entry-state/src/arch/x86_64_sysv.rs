//! x86_64 System V: the entry probe and `call_with`.
//!
//! A function's stack pointer is 16-aligned just before the `call` that
//! enters it, at `top − 32` (SPEC.md §10.3); at its first instruction the
//! return address lies below: `top − 40`, 8 modulo 16.
//!
//! ```text
//! entry_probe(seen):  seen.sp = rsp; seen.ctl = MXCSR, x87 CW       (first instructions)
//!                     push rbx r12; align rsp; stack_info(&seen.info); seen.ran = 1
//!                     ret 0x600d                                    (uses 40 bytes at most)
//! call_with(c):       push rbx; save MXCSR, x87 CW; load c.ctl; c.ret = c.func(c.args); restore
//! ```

use core::mem::offset_of;

use crate::{Call, Seen};

pub const ENTRY_SP_BELOW_TOP: u64 = 40;
pub const ENTRY_SP_MOD16: u64 = 8;
pub const CTL_NAMES: [&str; 2] = ["MXCSR", "x87 control word"];
pub const HAS_OS_BOUNDS: bool = false;

pub fn control_values(tag: u8) -> [u64; 2] {
    let (mxcsr, fpcw) = super::x86_control(tag);
    [mxcsr, fpcw]
}

/// MXCSR: only the control bits (6–15) count; the x87 control word whole.
pub fn control_same(i: usize, a: u64, b: u64) -> bool {
    match i {
        0 => (a ^ b) & 0xffc0 == 0,
        _ => (a ^ b) & 0xffff == 0,
    }
}

/// A new proc starts with its spawner's control state (SPEC.md §11.8).
pub fn start_values(spawner: [u64; 2]) -> [Option<u64>; 2] {
    spawner.map(Some)
}

/// A frame's function runs with its caller's control state.
pub fn frame_values(caller: [u64; 2]) -> [Option<u64>; 2] {
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
        "mov [rdi + {sp}], rsp",            // the stack pointer, as the function got it
        "stmxcsr [rdi + {ctl}]",            // MXCSR, as it got it
        "fnstcw [rdi + {ctl} + 8]",         // the x87 control word, as it got it
        "push rbx",                         // callee-saved registers used below
        "push r12",                         // …and r12
        "mov rbx, rsp",                     // where to come back to
        "mov r12, rdi",                     // seen
        "and rsp, -16",                     // an aligned call, whatever the runtime gave
        "lea rdi, [r12 + {info}]",          // stack_info(&seen.info)
        "call [r12 + {stack_info}]",        // what the runtime says of this frame
        "mov qword ptr [r12 + {ran}], 1",   // the function ran
        "mov rsp, rbx",                     // back where it was
        "pop r12",                          // the caller's r12
        "pop rbx",                          // and rbx
        "mov eax, 0x600d",                  // a result (also a body's status)
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
        "push rbx",                         // the crate's rbx; rsp is 16-aligned now
        "sub rsp, 16",                      // the crate's control words
        "mov rbx, rdi",                     // c
        "stmxcsr [rsp]",                    // the crate's MXCSR
        "fnstcw [rsp + 4]",                 // the crate's x87 control word
        "fnclex",                           // no pending x87 exception under unmasked control words
        "ldmxcsr [rbx + {ctl}]",            // c's MXCSR
        "fldcw [rbx + {ctl} + 8]",          // c's x87 control word
        "mov rax, [rbx + {func}]",          // the slot
        "mov rdi, [rbx + {args}]",          // argument 0
        "mov rsi, [rbx + {args} + 8]",      // argument 1
        "mov rdx, [rbx + {args} + 16]",     // argument 2
        "call rax",                         // the slot, with c's state in force
        "mov [rbx + {ret}], rax",           // its result
        "fnclex",                           // no pending x87 exception before the crate's control word
        "ldmxcsr [rsp]",                    // the crate's MXCSR again
        "fldcw [rsp + 4]",                  // and x87 control word
        "add rsp, 16",                      // drop them
        "pop rbx",                          // the crate's rbx again
        "ret",                              // back to the crate
        func = const offset_of!(Call, func),
        args = const offset_of!(Call, args),
        ctl = const offset_of!(Call, ctl),
        ret = const offset_of!(Call, ret),
    )
}
