//! aarch64 (Linux): the crash.

/// Moves the stack pointer to `sp`, then executes an illegal instruction
/// (`udf`, SIGILL like `ud2`; `brk` would be SIGTRAP), or writes through a
/// null pointer.
///
/// # Safety
/// `sp` lies in the caller's frame, 16-aligned; nothing returns.
pub unsafe fn crash_at(sp: u64) -> ! {
    // SAFETY: caller's promise; the instruction stops the process (SIGILL /
    // SIGSEGV) and nothing after it runs.
    unsafe {
        #[cfg(not(feature = "fault"))]
        core::arch::asm!(
            "mov sp, {sp}", // the lowest stack pointer the frame allows
            "udf #0",       // permanently undefined
            sp = in(reg) sp,
            options(noreturn, nomem),
        );
        #[cfg(feature = "fault")]
        core::arch::asm!(
            "mov sp, {sp}", // the lowest stack pointer the frame allows
            "mov x9, #0",   // a null pointer
            "str x9, [x9]", // written: a page fault
            "udf #0",       // never reached
            sp = in(reg) sp,
            options(noreturn),
        );
    }
}
