//! x86_64 Windows: context switch and calls on another stack, with the
//! thread's stack bounds in the TEB following the stack pointer.
//!
//! Same design as `x86_64_sysv.rs` (read that first), with the Microsoft x64
//! ABI: `rdi`, `rsi` and `xmm6`–`xmm15` are callee-saved too, arguments come
//! in `rcx, rdx, r8, r9`, and every call needs 32 bytes of shadow space.
//!
//! Windows keeps the current stack's bounds in the TEB (`NT_TIB.StackBase` at
//! `gs:[0x08]`, `StackLimit` at `gs:[0x10]`, `DeallocationStack` at
//! `gs:[0x1478]`). Stack probes and exception dispatch check the stack
//! pointer against them, so whenever code runs on a stack the runtime
//! allocated, they describe that stack: a `Context` carries its own bounds,
//! and `call_on_stack` installs the target stack's bounds for the duration
//! of the call and restores the caller's afterwards.
//!
//! ```text
//!   Context { rsp rbx rbp rdi rsi r12 r13 r14 r15 | xmm6..xmm15 | base limit dealloc }
//!   offsets   0   8   16  24  32  40  48  56  64  | 72 .. 232   | 232  240   248
//! ```

use super::StackBounds;

/// The callee-saved state of a suspended context, with its stack bounds.
#[repr(C)]
#[derive(Default)]
pub struct Context {
    gprs: [usize; 9],
    xmm: [u128; 10],
    bounds: StackBounds,
}

impl Context {
    /// Where the suspended context's stack pointer is.
    pub fn stack_pointer(&self) -> usize {
        self.gprs[0]
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
        "mov [rcx + 0], rsp", // save: the stack pointer (points at our return address)
        "mov [rcx + 8], rbx", // save: callee-saved general registers
        "mov [rcx + 16], rbp",
        "mov [rcx + 24], rdi",
        "mov [rcx + 32], rsi",
        "mov [rcx + 40], r12",
        "mov [rcx + 48], r13",
        "mov [rcx + 56], r14",
        "mov [rcx + 64], r15",
        "movups [rcx + 72], xmm6", // save: callee-saved vector registers
        "movups [rcx + 88], xmm7",
        "movups [rcx + 104], xmm8",
        "movups [rcx + 120], xmm9",
        "movups [rcx + 136], xmm10",
        "movups [rcx + 152], xmm11",
        "movups [rcx + 168], xmm12",
        "movups [rcx + 184], xmm13",
        "movups [rcx + 200], xmm14",
        "movups [rcx + 216], xmm15",
        "mov rax, gs:[0x08]", // save: TEB StackBase
        "mov [rcx + 232], rax",
        "mov rax, gs:[0x10]", // save: TEB StackLimit
        "mov [rcx + 240], rax",
        "mov rax, gs:[0x1478]", // save: TEB DeallocationStack
        "mov [rcx + 248], rax",
        "mov rax, [rdx + 232]", // load: the other context's StackBase
        "mov gs:[0x08], rax",
        "mov rax, [rdx + 240]", // load: its StackLimit
        "mov gs:[0x10], rax",
        "mov rax, [rdx + 248]", // load: its DeallocationStack
        "mov gs:[0x1478], rax",
        "movups xmm6, [rdx + 72]", // load: its vector registers
        "movups xmm7, [rdx + 88]",
        "movups xmm8, [rdx + 104]",
        "movups xmm9, [rdx + 120]",
        "movups xmm10, [rdx + 136]",
        "movups xmm11, [rdx + 152]",
        "movups xmm12, [rdx + 168]",
        "movups xmm13, [rdx + 184]",
        "movups xmm14, [rdx + 200]",
        "movups xmm15, [rdx + 216]",
        "mov rsp, [rdx + 0]", // load: its stack pointer
        "mov rbx, [rdx + 8]", // load: its general registers
        "mov rbp, [rdx + 16]",
        "mov rdi, [rdx + 24]",
        "mov rsi, [rdx + 32]",
        "mov r12, [rdx + 40]",
        "mov r13, [rdx + 48]",
        "mov r14, [rdx + 56]",
        "mov r15, [rdx + 64]",
        "ret", // resume where it called switch_context (or the trampoline)
    )
}

/// The first code a fresh context runs: `entry(arg)`, which never returns.
#[unsafe(naked)]
unsafe extern "C" fn start_trampoline() {
    core::arch::naked_asm!(
        "mov rcx, r13", // arg 0: the entry's argument
        "xor ebp, ebp", // outermost frame of this stack
        "sub rsp, 32",  // shadow space; rsp stays 16-aligned
        "call r12",     // entry(arg)
        "ud2",          // entry returned: a runtime bug
    )
}

/// Makes `ctx` start `entry(arg)` on the stack whose highest usable address
/// is `stack_top` (16-aligned) and whose bounds are `bounds`.
///
/// # Safety
/// The memory below `stack_top` is a stack owned by the new context, with
/// room for at least the trampoline's 48 bytes.
pub unsafe fn init_context(
    ctx: &mut Context,
    stack_top: usize,
    bounds: &StackBounds,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    let sp = stack_top - 8;
    // SAFETY: `sp` lies inside the new context's stack (caller's promise).
    unsafe { (sp as *mut usize).write(start_trampoline as *const () as usize) };
    *ctx = Context::default();
    ctx.gprs[0] = sp;
    ctx.gprs[5] = entry as *const () as usize; // r12
    ctx.gprs[6] = arg; // r13
    ctx.bounds = *bounds;
}

/// Calls `f(arg)` with the stack pointer at `sp` (16-aligned) and the TEB's
/// stack bounds set to `*bounds`, then restores both and returns `f`'s result.
///
/// # Safety
/// The memory below `sp` is a stack nobody else uses while `f` runs, and
/// `bounds` describes it.
#[unsafe(naked)]
pub unsafe extern "C" fn call_on_stack(
    sp: usize,
    bounds: *const StackBounds,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    core::arch::naked_asm!(
        "push rbp", // callee-saved registers we use below
        "push rbx",
        "push rsi",
        "push rdi",
        "mov rbp, rsp",         // rbp remembers the caller's stack
        "mov rbx, gs:[0x08]",   // the caller's StackBase,
        "mov rsi, gs:[0x10]",   // StackLimit
        "mov rdi, gs:[0x1478]", // and DeallocationStack, kept in callee-saved registers
        "mov rax, [rdx + 0]",   // install the target stack's StackBase,
        "mov gs:[0x08], rax",
        "mov rax, [rdx + 8]", // StackLimit
        "mov gs:[0x10], rax",
        "mov rax, [rdx + 16]", // and DeallocationStack
        "mov gs:[0x1478], rax",
        "mov rsp, rcx",       // switch to the target stack
        "sub rsp, 32",        // shadow space for f
        "mov rcx, r9",        // arg 0 of f: arg
        "call r8",            // f(arg); the result stays in rax
        "mov gs:[0x08], rbx", // restore the caller's bounds
        "mov gs:[0x10], rsi",
        "mov gs:[0x1478], rdi",
        "mov rsp, rbp", // back to the caller's stack
        "pop rdi",
        "pop rsi",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// The current thread's stack bounds, from the TEB.
pub fn thread_stack_bounds() -> StackBounds {
    let (base, limit, dealloc): (usize, usize, usize);
    // SAFETY: reads three fields of the current thread's TEB.
    unsafe {
        core::arch::asm!(
            "mov {0}, gs:[0x08]",   // StackBase
            "mov {1}, gs:[0x10]",   // StackLimit
            "mov {2}, gs:[0x1478]", // DeallocationStack
            out(reg) base, out(reg) limit, out(reg) dealloc,
            options(nostack, readonly, preserves_flags),
        )
    };
    StackBounds { base, limit, dealloc }
}

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
