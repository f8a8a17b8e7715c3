//! x86_64 Windows: the measured call and the trashing body.
//!
//! ```text
//! measured_call(m):  rsp = m.paint_low; paint up to m.call_sp
//!                    rsp = m.call_sp (its 32-byte shadow space above, not painted)
//!                    rcx rdx r8 r9 = m.args; call m.func; back
//!
//! trash_body(trash): at entry rsp = top − 72 (SPEC.md §10.3): its frame gives it
//!                    [rsp + 40 − 192, rsp + 40): below its return address, and its
//!                    shadow space [rsp + 8, rsp + 40): overwrite both; yield_now;
//!                    again; return 0x600d
//! ```

use core::mem::offset_of;

#[cfg(not(feature = "services"))]
use super::{TRASH, TRASH_BODY_SIZE, TRASH_BODY_STATUS, Trash};
use crate::Measure;

/// See `arch/mod.rs`.
///
/// # Safety
/// `[m.paint_low, m.call_sp)` is the caller's own stack, below its stack
/// pointer with 32 bytes to spare; `m.func` takes `m.args`.
#[unsafe(naked)]
pub unsafe extern "C" fn measured_call(m: *mut Measure) {
    core::arch::naked_asm!(
        "push rbx",                         // callee-saved registers used below
        "push rsi",                         // and rsi
        "mov rbx, rcx",                     // m
        "mov rsi, rsp",                     // where to come back to
        "mov rcx, [rbx + {paint_low}]",     // the painted area's low end
        "mov rdx, [rbx + {call_sp}]",       // and high end
        "mov r8, [rbx + {pattern}]",        // the pattern
        "mov rsp, rcx",                     // nothing else writes above the stack pointer meanwhile
        "2:",
        "cmp rcx, rdx",                     // done?
        "jae 3f",                           // all painted: to the call
        "mov rax, rcx",                     // the word's address
        "xor rax, r8",                      // its paint
        "mov [rcx], rax",                   // painted
        "add rcx, 8",                       // next word
        "jmp 2b",                           // paint the next word
        "3:",
        "mov rsp, rdx",                     // the caller's stack pointer for the measured call
        "mov rax, [rbx + {func}]",          // the slot
        "mov rcx, [rbx + {args}]",          // argument 0
        "mov rdx, [rbx + {args} + 8]",      // argument 1
        "mov r8, [rbx + {args} + 16]",      // argument 2
        "mov r9, [rbx + {args} + 24]",      // argument 3
        "call rax",                         // the measured call
        "mov rsp, rsi",                     // back
        "mov [rbx + {ret}], rax",           // its result
        "pop rsi",                          // the caller's rsi
        "pop rbx",                          // and rbx
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
        "mov r9, rcx",                      // trash
        "movabs rax, {value}",              // what to write
        "lea rcx, [rsp + 40 - {size}]",     // the lowest byte the frame gives the body
        "2:",
        "mov [rcx], rax",                   // overwritten
        "add rcx, 8",                       // next word
        "cmp rcx, rsp",                     // up to the return address
        "jb 2b",                            // more to overwrite
        "mov [rsp + 8], rax",               // and the shadow space above it
        "mov [rsp + 16], rax",              // shadow space, second word
        "mov [rsp + 24], rax",              // third word
        "mov [rsp + 32], rax",              // fourth word
        "push rbx",                         // callee-saved, used below
        "sub rsp, 32",                      // shadow space for yield_now; rsp 16-aligned
        "mov rbx, r9",                      // trash
        "call [rbx + {yield_now}]",         // other procs run; the start-up code stays suspended
        "add rsp, 32",                      // drop the shadow space
        "pop rbx",                          // the caller's rbx
        "movabs rax, {value}",              // again
        "lea rcx, [rsp + 40 - {size}]",     // from the lowest byte of the frame
        "3:",
        "mov [rcx], rax",                   // overwritten
        "add rcx, 8",                       // next word
        "cmp rcx, rsp",                     // up to the return address
        "jb 3b",                            // more to overwrite
        "mov [rsp + 8], rax",               // and the shadow space
        "mov [rsp + 16], rax",              // shadow space, second word
        "mov [rsp + 24], rax",              // third word
        "mov [rsp + 32], rax",              // fourth word
        "mov eax, {status}",                // the body's status
        "ret",                              // back to the start-up code
        value = const TRASH,
        size = const TRASH_BODY_SIZE,
        status = const TRASH_BODY_STATUS,
        yield_now = const offset_of!(Trash, yield_now),
    )
}
