//! x86_64 (System V and Windows alike): the crash.

/// Moves the stack pointer to `sp`, then executes an illegal instruction,
/// or writes through a null pointer.
///
/// # Safety
/// `sp` lies in the caller's frame; nothing returns.
pub unsafe fn crash_at(sp: u64) -> ! {
    // SAFETY: caller's promise; the instruction stops the process (SIGILL /
    // SIGSEGV, or the Windows exception) and nothing after it runs.
    unsafe {
        #[cfg(not(feature = "fault"))]
        core::arch::asm!(
            "mov rsp, {sp}", // the lowest stack pointer the frame allows
            "ud2",           // an illegal instruction
            sp = in(reg) sp,
            options(noreturn, nomem),
        );
        #[cfg(feature = "fault")]
        core::arch::asm!(
            "mov rsp, {sp}",            // the lowest stack pointer the frame allows
            "xor eax, eax",             // a null pointer
            "mov qword ptr [rax], rax", // written: a page fault
            "ud2",                      // never reached
            sp = in(reg) sp,
            options(noreturn),
        );
    }
}
