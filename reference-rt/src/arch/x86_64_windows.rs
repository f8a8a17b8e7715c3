//! x86_64 Windows.

#[cfg(not(test))]
core::arch::global_asm!(
    ".globl rust_eh_personality", // not in rustc's export list, so not exported from the DLL
    "rust_eh_personality:",
    "    ud2", // never called: nothing unwinds
);

/// Stops the process with an invalid-instruction exception.
pub fn trap() -> ! {
    // SAFETY: `ud2` raises STATUS_ILLEGAL_INSTRUCTION; nothing after it runs.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}
