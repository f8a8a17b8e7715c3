//! x86_64 Windows: the entry probe and `call_with`.
//!
//! A function's stack pointer is 16-aligned just before the `call` that
//! enters it, at `top − 64`: its 32-byte shadow space lies between the
//! frame record and the return address (SPEC.md §10.3). At its first
//! instruction the return address lies below: `top − 72`, 8 modulo 16.
//! The TEB (`gs:`): `ExceptionList` 0x0, `StackBase` 0x08, `StackLimit`
//! 0x10, `DeallocationStack` 0x1478, `GuaranteedStackBytes` 0x1748.
//!
//! ```text
//! entry_probe(seen):  seen.sp = rsp; seen.ctl = MXCSR, x87 CW, ExceptionList,
//!                     GuaranteedStackBytes; seen.bounds = the TEB's stack bounds (first instructions)
//!                     push rbx rsi; align rsp; shadow space; stack_info(&seen.info); seen.ran = 1
//!                     ret 0x600d              (uses 72 bytes at most below its shadow space)
//! call_with(c):       save the crate's MXCSR, x87 CW, ExceptionList, GuaranteedStackBytes;
//!                     load c.ctl; c.ret = c.func(c.args); restore
//! ```

use core::mem::offset_of;

use crate::{Call, Seen};

pub const ENTRY_SP_BELOW_TOP: u64 = 72;
pub const ENTRY_SP_MOD16: u64 = 8;
pub const CTL_NAMES: [&str; 4] = ["MXCSR", "x87 control word", "ExceptionList", "GuaranteedStackBytes"];
pub const HAS_OS_BOUNDS: bool = true;

/// An `EXCEPTION_REGISTRATION_RECORD`, so that a proc's own `ExceptionList` is a valid chain.
#[repr(C)]
struct SehRecord {
    next: usize,
    handler: unsafe extern "C" fn(usize, usize, usize, usize) -> u32,
}

/// Never called (nothing raises an exception here): `ExceptionContinueSearch`.
unsafe extern "C" fn continue_search(_: usize, _: usize, _: usize, _: usize) -> u32 {
    1
}

/// An empty exception chain (SPEC.md §10.11).
const CHAIN_END: u64 = u64::MAX;
static SEH_RECORDS: [SehRecord; 8] = [const { SehRecord { next: CHAIN_END as usize, handler: continue_search } }; 8];

/// MXCSR, x87 control word, ExceptionList and GuaranteedStackBytes per tag.
pub fn control_values(tag: u8) -> [u64; 4] {
    let (mxcsr, fpcw) = super::x86_control(tag);
    let record = &SEH_RECORDS[usize::from(tag) % SEH_RECORDS.len()];
    [mxcsr, fpcw, record as *const SehRecord as u64, (u64::from(tag) + 1) * 0x1000]
}

/// MXCSR: only the control bits (6–15) count; the rest whole.
pub fn control_same(i: usize, a: u64, b: u64) -> bool {
    match i {
        0 => (a ^ b) & 0xffc0 == 0,
        1 => (a ^ b) & 0xffff == 0,
        _ => a == b,
    }
}

/// A new proc starts with its spawner's control words, an empty exception
/// chain and no guaranteed stack bytes (SPEC.md §10.11, §11.8).
pub fn start_values(spawner: [u64; 4]) -> [Option<u64>; 4] {
    [Some(spawner[0]), Some(spawner[1]), Some(CHAIN_END), Some(0)]
}

/// A frame's function runs with its caller's control words; SPEC.md says
/// nothing of the exception chain and guaranteed stack bytes inside a
/// frame (they are its proc's, kept across switches).
pub fn frame_values(caller: [u64; 4]) -> [Option<u64>; 4] {
    [Some(caller[0]), Some(caller[1]), None, None]
}

/// The root proc's ExceptionList and GuaranteedStackBytes, which nothing of
/// the crate changed before: as any proc's at its start.
pub fn root_start_wrong() -> u64 {
    let (list, guaranteed): (u64, u64);
    // SAFETY: reads two fields of the current thread's TEB.
    unsafe {
        core::arch::asm!(
            "mov {0}, gs:[0x0]",    // ExceptionList
            "mov {1}, gs:[0x1748]", // GuaranteedStackBytes
            out(reg) list, out(reg) guaranteed,
            options(nostack, readonly, preserves_flags),
        )
    };
    u64::from(list != CHAIN_END) << (crate::CTL_BIT + 2) | u64::from(guaranteed != 0) << (crate::CTL_BIT + 3)
}

/// See the module comment.
///
/// # Safety
/// `seen` points to a `Seen` whose `stack_info` is the table's slot.
#[unsafe(naked)]
pub unsafe extern "C" fn entry_probe(seen: u64) -> u64 {
    core::arch::naked_asm!(
        "mov [rcx + {sp}], rsp",            // the stack pointer, as the function got it
        "stmxcsr [rcx + {ctl}]",            // MXCSR, as it got it
        "fnstcw [rcx + {ctl} + 8]",         // the x87 control word
        "mov rax, gs:[0x0]",                // ExceptionList
        "mov [rcx + {ctl} + 16], rax",      // recorded
        "mov rax, gs:[0x1748]",             // GuaranteedStackBytes
        "mov [rcx + {ctl} + 24], rax",      // recorded
        "mov rax, gs:[0x08]",               // StackBase
        "mov [rcx + {bounds}], rax",        // recorded
        "mov rax, gs:[0x10]",               // StackLimit
        "mov [rcx + {bounds} + 8], rax",    // recorded
        "mov rax, gs:[0x1478]",             // DeallocationStack
        "mov [rcx + {bounds} + 16], rax",   // recorded
        "push rbx",                         // callee-saved registers used below
        "push rsi",                         // …and rsi
        "mov rbx, rsp",                     // where to come back to
        "mov rsi, rcx",                     // seen
        "and rsp, -16",                     // an aligned call, whatever the runtime gave
        "sub rsp, 32",                      // shadow space for stack_info
        "lea rcx, [rsi + {info}]",          // stack_info(&seen.info)
        "call [rsi + {stack_info}]",        // what the runtime says of this frame
        "mov qword ptr [rsi + {ran}], 1",   // the function ran
        "mov rsp, rbx",                     // back where it was
        "pop rsi",                          // the caller's rsi
        "pop rbx",                          // and rbx
        "mov eax, 0x600d",                  // a result (also a body's status)
        "ret",                              // back to the runtime
        sp = const offset_of!(Seen, sp),
        ctl = const offset_of!(Seen, ctl),
        bounds = const offset_of!(Seen, bounds),
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
        "push rbx",                         // the crate's rbx
        "sub rsp, 64",                      // shadow space 32, control words 8, ExceptionList 8, GuaranteedStackBytes 8, pad; 16-aligned
        "mov rbx, rcx",                     // c
        "stmxcsr [rsp + 32]",               // the crate's MXCSR
        "fnstcw [rsp + 36]",                // the crate's x87 control word
        "mov rax, gs:[0x0]",                // the crate's ExceptionList
        "mov [rsp + 40], rax",              // kept
        "mov rax, gs:[0x1748]",             // the crate's GuaranteedStackBytes
        "mov [rsp + 48], rax",              // kept
        "fnclex",                           // no pending x87 exception under unmasked control words
        "ldmxcsr [rbx + {ctl}]",            // c's MXCSR
        "fldcw [rbx + {ctl} + 8]",          // c's x87 control word
        "mov rax, [rbx + {ctl} + 16]",      // c's ExceptionList
        "mov gs:[0x0], rax",                // in force
        "mov rax, [rbx + {ctl} + 24]",      // c's GuaranteedStackBytes
        "mov gs:[0x1748], rax",             // in force
        "mov rax, [rbx + {func}]",          // the slot
        "mov rcx, [rbx + {args}]",          // argument 0
        "mov rdx, [rbx + {args} + 8]",      // argument 1
        "mov r8, [rbx + {args} + 16]",      // argument 2
        "call rax",                         // the slot, with c's state in force
        "mov [rbx + {ret}], rax",           // its result
        "mov rax, [rsp + 40]",              // the crate's ExceptionList again
        "mov gs:[0x0], rax",                // in force
        "mov rax, [rsp + 48]",              // the crate's GuaranteedStackBytes again
        "mov gs:[0x1748], rax",             // in force
        "fnclex",                           // no pending x87 exception before the crate's control word
        "ldmxcsr [rsp + 32]",               // the crate's MXCSR again
        "fldcw [rsp + 36]",                 // and x87 control word
        "add rsp, 64",                      // drop the frame
        "pop rbx",                          // the crate's rbx again
        "ret",                              // back to the crate
        func = const offset_of!(Call, func),
        args = const offset_of!(Call, args),
        ctl = const offset_of!(Call, ctl),
        ret = const offset_of!(Call, ret),
    )
}
