//! aarch64 Linux.

#[cfg(not(test))]
core::arch::global_asm!(
    ".globl rust_eh_personality",
    ".hidden rust_eh_personality", // not exported from librustrt.so
    "rust_eh_personality:",
    "    brk #1", // never called: nothing unwinds
);

/// Stops the process with a breakpoint trap.
pub fn trap() -> ! {
    // SAFETY: `brk` raises SIGTRAP; nothing after it runs.
    unsafe { core::arch::asm!("brk #0xf000", options(noreturn, nomem, nostack)) }
}
