//! aarch64 Linux: context switch and calls on another stack.
//!
//! Same design as `x86_64_sysv.rs` (read that first), with AAPCS64:
//! `x19`–`x28`, the frame pointer `x29`, the link register `x30` and the low
//! halves of `v8`–`v15` (`d8`–`d15`) are callee-saved; arguments come in
//! `x0`–`x3`; `sp` must stay 16-aligned. A switch uses no stack at all: the
//! return address is in `x30`, saved in the `Context`.
//!
//! ```text
//!   Context { sp | x19 .. x28 | x29 x30 | d8 .. d15 }
//!   offsets   0  | 8   ..  80 | 88  96  | 104 .. 160
//! ```

use super::StackBounds;

/// The callee-saved state of a suspended context.
#[repr(C)]
#[derive(Default)]
pub struct Context {
    regs: [usize; 21],
}

impl Context {
    /// Where the suspended context's stack pointer is.
    pub fn stack_pointer(&self) -> usize {
        self.regs[0]
    }
}

/// Saves the caller's state into `from` and resumes `to`.
///
/// # Safety
/// `to` holds a context saved by `switch_context` or made by `init_context`
/// whose stack is still allocated; `from` is writable.
#[unsafe(naked)]
pub unsafe extern "C" fn switch_context(from: *mut Context, to: *const Context) {
    core::arch::naked_asm!(
        "mov x2, sp", // save: the stack pointer
        "str x2, [x0, #0]",
        "stp x19, x20, [x0, #8]", // save: callee-saved registers
        "stp x21, x22, [x0, #24]",
        "stp x23, x24, [x0, #40]",
        "stp x25, x26, [x0, #56]",
        "stp x27, x28, [x0, #72]",
        "stp x29, x30, [x0, #88]", // save: frame pointer and return address
        "stp d8, d9, [x0, #104]",  // save: callee-saved vector halves
        "stp d10, d11, [x0, #120]",
        "stp d12, d13, [x0, #136]",
        "stp d14, d15, [x0, #152]",
        "ldr x2, [x1, #0]", // load: the other context's stack pointer
        "mov sp, x2",
        "ldp x19, x20, [x1, #8]", // load: its callee-saved registers
        "ldp x21, x22, [x1, #24]",
        "ldp x23, x24, [x1, #40]",
        "ldp x25, x26, [x1, #56]",
        "ldp x27, x28, [x1, #72]",
        "ldp x29, x30, [x1, #88]", // load: its frame pointer and return address
        "ldp d8, d9, [x1, #104]",  // load: its vector halves
        "ldp d10, d11, [x1, #120]",
        "ldp d12, d13, [x1, #136]",
        "ldp d14, d15, [x1, #152]",
        "ret", // resume at x30: where it called switch_context, or the trampoline
    )
}

/// The first code a fresh context runs: `entry(arg)`, which never returns.
#[unsafe(naked)]
unsafe extern "C" fn start_trampoline() {
    core::arch::naked_asm!(
        "mov x0, x20", // arg 0: the entry's argument
        "mov x29, #0", // outermost frame of this stack
        "blr x19",     // entry(arg)
        "brk #1",      // entry returned: a runtime bug
    )
}

/// Makes `ctx` start `entry(arg)` on the stack whose highest usable address
/// is `stack_top` (16-aligned) when first switched to.
///
/// # Safety
/// The memory below `stack_top` is a stack owned by the new context.
pub unsafe fn init_context(
    ctx: &mut Context,
    stack_top: usize,
    _bounds: &StackBounds,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    *ctx = Context::default();
    ctx.regs[0] = stack_top; // sp
    ctx.regs[1] = entry as *const () as usize; // x19
    ctx.regs[2] = arg; // x20
    ctx.regs[12] = start_trampoline as *const () as usize; // x30: where the first switch "returns"
}

/// Calls `f(arg)` with the stack pointer at `sp` (16-aligned), then returns
/// to the caller's stack with `f`'s result.
///
/// # Safety
/// The memory below `sp` is a stack nobody else uses while `f` runs.
#[unsafe(naked)]
pub unsafe extern "C" fn call_on_stack(
    sp: usize,
    _bounds: *const StackBounds,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-16]!", // keep frame pointer and return address on the caller's stack
        "mov x29, sp",               // x29 (callee-saved) remembers the caller's stack
        "mov sp, x0",                // switch to the new stack
        "mov x0, x3",                // arg 0 of f: arg
        "blr x2",                    // f(arg); the result stays in x0
        "mov sp, x29",               // back to the caller's stack
        "ldp x29, x30, [sp], #16",   // restore frame pointer and return address
        "ret",
    )
}

/// The current thread's stack bounds: only Windows tracks them.
pub fn thread_stack_bounds() -> StackBounds {
    StackBounds::default()
}

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
