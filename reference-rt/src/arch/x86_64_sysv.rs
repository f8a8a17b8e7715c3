//! x86_64 System V (Linux): context switch and calls on another stack.
//!
//! Two primitives move the stack pointer; everything else is Rust.
//!
//! `switch_context(from, to)` saves the callee-saved registers and `rsp` of
//! the caller into `*from` and resumes `*to`. Registers live in the `Context`
//! struct, not on the stack, so a switch uses only the 8 bytes of its own
//! return address on the stack it leaves:
//!
//! ```text
//!   from stack            Context { rsp ─────┐ rbx rbp r12 r13 r14 r15 }
//!   ┌──────────────┐                        │
//!   │ return addr  │ ◄──────────────────────┘   `ret` after loading *to
//!   └──────────────┘
//! ```
//!
//! A fresh context (`init_context`) has `rsp` pointing at the address of
//! `start_trampoline`, `r12 = entry`, `r13 = arg`; the first switch to it
//! "returns" into the trampoline, which calls `entry(arg)` with a 16-byte
//! aligned stack and traps if it ever returns.
//!
//! `call_on_stack(sp, bounds, f, arg)` calls `f(arg)` with `rsp = sp` and
//! returns to the original stack. `bounds` is only used on Windows.

use super::StackBounds;

/// The callee-saved state of a suspended context.
#[repr(C)]
#[derive(Default)]
pub struct Context {
    rsp: usize,
    rbx: usize,
    rbp: usize,
    r12: usize,
    r13: usize,
    r14: usize,
    r15: usize,
}

impl Context {
    /// Where the suspended context's stack pointer is.
    pub fn stack_pointer(&self) -> usize {
        self.rsp
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
        "mov [rdi + 0], rsp", // save: the stack pointer (points at our return address)
        "mov [rdi + 8], rbx", // save: callee-saved registers
        "mov [rdi + 16], rbp",
        "mov [rdi + 24], r12",
        "mov [rdi + 32], r13",
        "mov [rdi + 40], r14",
        "mov [rdi + 48], r15",
        "mov rsp, [rsi + 0]", // load: the other context's stack pointer
        "mov rbx, [rsi + 8]", // load: its callee-saved registers
        "mov rbp, [rsi + 16]",
        "mov r12, [rsi + 24]",
        "mov r13, [rsi + 32]",
        "mov r14, [rsi + 40]",
        "mov r15, [rsi + 48]",
        "ret", // resume where it called switch_context (or the trampoline)
    )
}

/// The first code a fresh context runs: `entry(arg)`, which never returns.
#[unsafe(naked)]
unsafe extern "C" fn start_trampoline() {
    core::arch::naked_asm!(
        "mov rdi, r13", // arg 0: the entry's argument
        "xor ebp, ebp", // outermost frame of this stack
        "call r12",     // entry(arg); rsp was 16-aligned, so entry sees the ABI's alignment
        "ud2",          // entry returned: a runtime bug
    )
}

/// Makes `ctx` start `entry(arg)` on the stack whose highest usable address
/// is `stack_top` (16-aligned) when first switched to.
///
/// # Safety
/// The memory below `stack_top` is a stack owned by the new context, with
/// room for at least the trampoline's 16 bytes.
pub unsafe fn init_context(
    ctx: &mut Context,
    stack_top: usize,
    _bounds: &StackBounds,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    let sp = stack_top - 8;
    // SAFETY: `sp` lies inside the new context's stack (caller's promise).
    unsafe { (sp as *mut usize).write(start_trampoline as *const () as usize) };
    *ctx = Context { rsp: sp, r12: entry as *const () as usize, r13: arg, ..Context::default() };
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
        "push rbp",     // keep the caller's frame pointer; rsp is now 16-aligned
        "mov rbp, rsp", // rbp (callee-saved) remembers the caller's stack
        "mov rsp, rdi", // switch to the new stack
        "mov rdi, rcx", // arg 0 of f: arg
        "call rdx",     // f(arg); the result stays in rax
        "mov rsp, rbp", // back to the caller's stack
        "pop rbp",      // restore the caller's frame pointer
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
    "    ud2", // never called: nothing unwinds
);

/// Stops the process with an invalid-instruction trap.
pub fn trap() -> ! {
    // SAFETY: `ud2` raises SIGILL; nothing after it runs.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}
