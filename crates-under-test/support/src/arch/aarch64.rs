//! aarch64 Linux: the process entry stub.
//!
//! The kernel (or QEMU user mode) starts the crate at `_rt_crate_start` after
//! the dynamic linker named by `.interp` has loaded `librustrt.so`. On entry
//! `sp` points at `argc` and is 16-byte aligned.
//!
//! ```text
//! _rt_crate_start:  x0 = &private_entry ; bl rt_start   (never returns)
//! ```

core::arch::global_asm!(
    // The kernel-visible interpreter: makes this shared object executable.
    ".pushsection .interp, \"a\", %progbits",
    ".asciz \"/lib/ld-linux-aarch64.so.1\"",
    ".popsection",
    ".text",
    ".globl _rt_crate_start",
    ".hidden _rt_crate_start",          // local to the crate: not an export
    ".type _rt_crate_start, %function",
    "_rt_crate_start:",
    "    mov x29, #0",                  // outermost frame: no caller frame
    "    mov x30, #0",                  // and no return address
    "    adrp x0, {entry}",             // arg 0: page of the crate's rust entry point
    "    add x0, x0, :lo12:{entry}",    //        plus its offset in the page
    "    bl rt_start",                  // the crate's one import (via PLT); exits the process
    "    brk #1",                       // rt_start returned: a broken runtime
    ".size _rt_crate_start, . - _rt_crate_start",
    // The precompiled `core` names the unwinder's personality routine; the
    // crate never unwinds (panic = "abort"), so a trap stands in for it and
    // the crate needs no import for it.
    ".globl rust_eh_personality",
    ".hidden rust_eh_personality",     // local: never an import or export
    "rust_eh_personality:",
    "    brk #1",
    entry = sym crate::private_entry,
);

/// Stops the process with a breakpoint trap.
pub fn trap() -> ! {
    // SAFETY: `brk` raises SIGTRAP; nothing after it runs.
    unsafe { core::arch::asm!("brk #0xf000", options(noreturn, nomem, nostack)) }
}

/// The OS's record of the current stack's bounds: Linux keeps none per stack.
pub fn os_stack_bounds() -> Option<crate::OsStack> {
    None
}
