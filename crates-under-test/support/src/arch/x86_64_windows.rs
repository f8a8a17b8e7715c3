//! x86_64 Windows (PE): the process entry stub.
//!
//! Windows (or Wine) starts the crate `.exe` at `_rt_crate_start` after the
//! loader has mapped `rustrt.dll` and bound the import of `rt_start`. On entry
//! `rsp` is 8 mod 16 (a return address was pushed, as for any call), so the
//! stub reserves the 32-byte shadow space plus 8 to realign.
//!
//! ```text
//! _rt_crate_start:  rcx = &private_entry ; call [__imp_rt_start]   (never returns)
//! ```

core::arch::global_asm!(
    ".text",
    ".globl _rt_crate_start",
    "_rt_crate_start:",
    "    sub rsp, 40",                        // shadow space (32) + realign (8)
    "    lea rcx, [rip + {entry}]",           // arg 0: the crate's rust entry point
    "    call qword ptr [rip + __imp_rt_start]", // the crate's one import; exits the process
    "    ud2",                                // rt_start returned: a broken runtime
    // The precompiled `core` names the unwinder's personality routine; the
    // crate never unwinds (panic = "abort"), so a trap stands in for it and
    // the crate needs no import for it.
    ".globl rust_eh_personality",
    "rust_eh_personality:",
    "    ud2",
    entry = sym crate::private_entry,
);

/// Stops the process with an invalid-instruction exception.
pub fn trap() -> ! {
    // SAFETY: `ud2` raises STATUS_ILLEGAL_INSTRUCTION; nothing after it runs.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}

/// The OS's record of the current stack (SPEC.md §10.11): the TEB's
/// `StackBase`, `StackLimit` and `DeallocationStack`.
pub fn os_stack_bounds() -> Option<crate::OsStack> {
    let (base, limit, dealloc): (u64, u64, u64);
    // SAFETY: reads three fields of the current thread's TEB.
    unsafe {
        core::arch::asm!(
            "mov {0}, gs:[0x08]",   // NT_TIB.StackBase
            "mov {1}, gs:[0x10]",   // NT_TIB.StackLimit
            "mov {2}, gs:[0x1478]", // TEB.DeallocationStack
            out(reg) base, out(reg) limit, out(reg) dealloc,
            options(nostack, readonly, preserves_flags),
        )
    };
    Some(crate::OsStack { base, limit, dealloc })
}
