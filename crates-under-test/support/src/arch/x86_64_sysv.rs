//! x86_64 System V (Linux): the process entry stub.
//!
//! The kernel starts the crate at `_rt_crate_start` after the dynamic linker
//! (named by `.interp`) has loaded `librustrt.so` and run its initialisers.
//! On entry `rsp` points at `argc`, and is 16-byte aligned; no register but
//! `rdx` (an `atexit` function, which we do not use) carries anything.
//!
//! ```text
//! _rt_crate_start:  rdi = &private_entry ; call rt_start   (never returns)
//! ```

core::arch::global_asm!(
    // The kernel-visible interpreter: makes this shared object executable.
    ".pushsection .interp, \"a\", @progbits",
    ".asciz \"/lib64/ld-linux-x86-64.so.2\"",
    ".popsection",
    ".text",
    ".globl _rt_crate_start",
    ".hidden _rt_crate_start",          // local to the crate: not an export
    ".type _rt_crate_start, @function",
    "_rt_crate_start:",
    "    xor ebp, ebp",                  // outermost frame: no caller frame
    "    and rsp, -16",                  // the call below needs a 16-aligned rsp
    "    lea rdi, [rip + {entry}]",      // arg 0: the crate's rust entry point
    "    call rt_start@PLT",             // the crate's one import; exits the process
    "    ud2",                           // rt_start returned: a broken runtime
    ".size _rt_crate_start, . - _rt_crate_start",
    // The precompiled `core` names the unwinder's personality routine; the
    // crate never unwinds (panic = "abort"), so a trap stands in for it and
    // the crate needs no import for it.
    ".globl rust_eh_personality",
    ".hidden rust_eh_personality",     // local: never an import or export
    "rust_eh_personality:",
    "    ud2",
    entry = sym crate::private_entry,
);

/// Stops the process with an invalid-instruction trap.
pub fn trap() -> ! {
    // SAFETY: `ud2` raises SIGILL; nothing after it runs.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}

/// The OS's record of the current stack's bounds: Linux keeps none per stack.
pub fn os_stack_bounds() -> Option<crate::OsStack> {
    None
}
