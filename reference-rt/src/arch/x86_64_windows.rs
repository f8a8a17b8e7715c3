//! x86_64 Windows: switching procs, calling on another stack, the FP control
//! words, and the thread's stack description in the TEB.
//!
//! Same design as `x86_64_sysv.rs` (read that first), with the Microsoft x64
//! ABI: `rdi`, `rsi` and `xmm6`–`xmm15` are callee-saved too, arguments come
//! in `rcx, rdx, r8, r9`, and every call needs 32 bytes of shadow space. The
//! callee-saved set is 248 bytes with the TEB fields, too big for a frame's
//! call reserve, so a suspended context keeps it in its `Context` (in the
//! proc's record) and a switch uses only its return address on the stack.
//!
//! Windows describes the current stack in the TEB (`gs:`): `ExceptionList`
//! at 0x0, `StackBase` at 0x08, `StackLimit` at 0x10, `DeallocationStack` at
//! 0x1478, `GuaranteedStackBytes` at 0x1748. Stack probes and exception
//! dispatch read them, and Wine uses `ExceptionList` too (corosensei's
//! `x86_64_windows.rs` has the same set). Each proc owns all five (SPEC.md
//! §10.11, §11.8): `switch` saves and loads them with the registers.
//! `call_on_segment` and `call_on_stack` install the bounds of the stack
//! they call on (`StackBase`, `StackLimit`, `DeallocationStack`) and restore
//! the caller's afterwards; `call_on_stack` also writes back the thread's
//! `StackLimit`, which Windows moves as the thread's own stack grows.
//!
//! A segment's bounds: `StackBase` its top, `StackLimit` its low end,
//! `DeallocationStack` `STACK_ROOM` bytes lower: Wine treats an exception
//! whose record lies within 4 KiB above `DeallocationStack` as a fatal stack
//! overflow (exit 1, no message), and the record itself is written below
//! the faulting stack pointer, so the runtime keeps that room below every
//! segment as memory of its own.
//!
//! ```text
//!   Context { rsp rbx rbp rdi rsi r12 r13 r14 r15 | mxcsr fpcw | teb[5] | xmm6 .. xmm15 }
//! ```

use core::mem::offset_of;

/// The TEB fields a context owns, in the order `Teb` lists them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Teb {
    exception_list: usize,
    stack_base: usize,
    stack_limit: usize,
    deallocation_stack: usize,
    guaranteed_stack_bytes: usize,
}

/// The callee-saved state of a suspended context.
#[repr(C)]
pub struct Context {
    rsp: usize,
    rbx: usize,
    rbp: usize,
    rdi: usize,
    rsi: usize,
    r12: usize,
    r13: usize,
    r14: usize,
    r15: usize,
    mxcsr: u32,
    fpcw: u16,
    _pad: u16,
    teb: Teb,
    xmm: [u128; 10],
}

impl Context {
    pub const fn new() -> Context {
        Context {
            rsp: 0,
            rbx: 0,
            rbp: 0,
            rdi: 0,
            rsi: 0,
            r12: 0,
            r13: 0,
            r14: 0,
            r15: 0,
            mxcsr: 0,
            fpcw: 0,
            _pad: 0,
            teb: Teb {
                exception_list: 0,
                stack_base: 0,
                stack_limit: 0,
                deallocation_stack: 0,
                guaranteed_stack_bytes: 0,
            },
            xmm: [0; 10],
        }
    }

    /// Where the suspended context's stack pointer is: the stack below it is free.
    pub fn stack_pointer(&self) -> usize {
        self.rsp
    }
}

/// TEB offsets (`NT_TIB` and the x64 `TEB`).
const TEB_EXCEPTION_LIST: usize = 0x0;
const TEB_STACK_BASE: usize = 0x08;
const TEB_STACK_LIMIT: usize = 0x10;
const TEB_DEALLOCATION_STACK: usize = 0x1478;
const TEB_GUARANTEED_STACK_BYTES: usize = 0x1748;

/// A stack as the TEB describes it while code runs on it. (The TEB's
/// `GuaranteedStackBytes` and `ExceptionList` belong to the proc, not to a
/// stack: only `switch` moves them.)
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackBounds {
    base: usize,
    limit: usize,
    dealloc: usize,
}

impl StackBounds {
    /// Before anything is known.
    pub const EMPTY: StackBounds = StackBounds { base: 0, limit: 0, dealloc: 0 };

    /// The bounds of a segment whose frame space is `[low, high)` (SPEC.md §10.11).
    pub fn of_segment(low: usize, high: usize) -> StackBounds {
        StackBounds { base: high, limit: low, dealloc: low - STACK_ROOM }
    }

    /// The thread's own stack, as the TEB says now.
    pub fn of_thread() -> StackBounds {
        let (base, limit, dealloc): (usize, usize, usize);
        // SAFETY: reads three fields of the current thread's TEB.
        unsafe {
            core::arch::asm!(
                "mov {0}, gs:[{b}]", // StackBase
                "mov {1}, gs:[{l}]", // StackLimit
                "mov {2}, gs:[{d}]", // DeallocationStack
                out(reg) base, out(reg) limit, out(reg) dealloc,
                b = const TEB_STACK_BASE,
                l = const TEB_STACK_LIMIT,
                d = const TEB_DEALLOCATION_STACK,
                options(nostack, readonly, preserves_flags),
            )
        };
        StackBounds { base, limit, dealloc }
    }
}

/// Bytes the runtime keeps below every segment for exception dispatch (SPEC.md §10.11).
pub const STACK_ROOM: usize = rt_abi::StackModel::WINDOWS_STACK_ROOM as usize;

/// MXCSR and the x87 control word, as a new proc inherits them (SPEC.md §11.8).
#[derive(Clone, Copy, Debug)]
pub struct FpControl {
    mxcsr: u32,
    fpcw: u16,
}

impl FpControl {
    /// The running code's control words.
    pub fn current() -> FpControl {
        let (mut mxcsr, mut fpcw) = (0u32, 0u16);
        // SAFETY: stores of the two control registers into locals.
        unsafe {
            core::arch::asm!(
                "stmxcsr [{m}]", // MXCSR
                "fnstcw [{c}]",  // x87 control word
                m = in(reg) &raw mut mxcsr,
                c = in(reg) &raw mut fpcw,
                options(nostack, preserves_flags),
            )
        };
        FpControl { mxcsr, fpcw }
    }
}

/// Saves the caller's context into `from` and resumes `to`; returns when
/// something switches back to `from`.
///
/// # Safety
/// `to` holds a context saved by `switch` or made by `init`, whose stack is
/// still allocated; `from` is writable and no other code uses it until then.
#[unsafe(naked)]
pub unsafe extern "C" fn switch(from: *mut Context, to: *const Context) {
    core::arch::naked_asm!(
        ".seh_proc {me}", // a leaf: no prologue, the return address on top
        ".seh_endprologue",
        "mov [rcx + {rsp}], rsp", // save: the stack pointer (at our return address)
        "mov [rcx + {rbx}], rbx", // save: callee-saved general registers
        "mov [rcx + {rbp}], rbp",
        "mov [rcx + {rdi}], rdi",
        "mov [rcx + {rsi}], rsi",
        "mov [rcx + {r12}], r12",
        "mov [rcx + {r13}], r13",
        "mov [rcx + {r14}], r14",
        "mov [rcx + {r15}], r15",
        "movups [rcx + {xmm}], xmm6", // save: callee-saved vector registers
        "movups [rcx + {xmm} + 16], xmm7",
        "movups [rcx + {xmm} + 32], xmm8",
        "movups [rcx + {xmm} + 48], xmm9",
        "movups [rcx + {xmm} + 64], xmm10",
        "movups [rcx + {xmm} + 80], xmm11",
        "movups [rcx + {xmm} + 96], xmm12",
        "movups [rcx + {xmm} + 112], xmm13",
        "movups [rcx + {xmm} + 128], xmm14",
        "movups [rcx + {xmm} + 144], xmm15",
        "stmxcsr [rcx + {mxcsr}]", // save: MXCSR
        "fnstcw [rcx + {fpcw}]",   // save: the x87 control word
        "mov rax, gs:[{t_el}]",    // save: the TEB fields this context owns
        "mov [rcx + {teb} + 0], rax",
        "mov rax, gs:[{t_base}]",
        "mov [rcx + {teb} + 8], rax",
        "mov rax, gs:[{t_limit}]",
        "mov [rcx + {teb} + 16], rax",
        "mov rax, gs:[{t_dealloc}]",
        "mov [rcx + {teb} + 24], rax",
        "mov rax, gs:[{t_guar}]",
        "mov [rcx + {teb} + 32], rax",
        "mov rax, [rdx + {teb} + 0]", // load: the other context's TEB fields
        "mov gs:[{t_el}], rax",
        "mov rax, [rdx + {teb} + 8]",
        "mov gs:[{t_base}], rax",
        "mov rax, [rdx + {teb} + 16]",
        "mov gs:[{t_limit}], rax",
        "mov rax, [rdx + {teb} + 24]",
        "mov gs:[{t_dealloc}], rax",
        "mov rax, [rdx + {teb} + 32]",
        "mov gs:[{t_guar}], rax",
        "mov eax, [rcx + {mxcsr}]", // its MXCSR, when the control bits differ (ldmxcsr is slow)
        "xor eax, [rdx + {mxcsr}]",
        "and eax, 0xffc0",
        "jz 2f",
        "ldmxcsr [rdx + {mxcsr}]",
        "2:",
        "mov ax, [rcx + {fpcw}]", // its x87 control word, when it differs
        "cmp ax, [rdx + {fpcw}]",
        "je 3f",
        "fldcw [rdx + {fpcw}]",
        "3:",
        "movups xmm6, [rdx + {xmm}]", // load: its vector registers
        "movups xmm7, [rdx + {xmm} + 16]",
        "movups xmm8, [rdx + {xmm} + 32]",
        "movups xmm9, [rdx + {xmm} + 48]",
        "movups xmm10, [rdx + {xmm} + 64]",
        "movups xmm11, [rdx + {xmm} + 80]",
        "movups xmm12, [rdx + {xmm} + 96]",
        "movups xmm13, [rdx + {xmm} + 112]",
        "movups xmm14, [rdx + {xmm} + 128]",
        "movups xmm15, [rdx + {xmm} + 144]",
        "mov rsp, [rdx + {rsp}]", // load: its stack pointer
        "mov rbx, [rdx + {rbx}]", // load: its general registers
        "mov rbp, [rdx + {rbp}]",
        "mov rdi, [rdx + {rdi}]",
        "mov rsi, [rdx + {rsi}]",
        "mov r12, [rdx + {r12}]",
        "mov r13, [rdx + {r13}]",
        "mov r14, [rdx + {r14}]",
        "mov r15, [rdx + {r15}]",
        "pop rax", // resume where it called switch, or the trampoline, with an
        "jmp rax", // indirect jump: a `ret` would defeat the return stack (x86_64_sysv.rs)
        ".seh_endproc",
        me = sym switch,
        rsp = const offset_of!(Context, rsp),
        rbx = const offset_of!(Context, rbx),
        rbp = const offset_of!(Context, rbp),
        rdi = const offset_of!(Context, rdi),
        rsi = const offset_of!(Context, rsi),
        r12 = const offset_of!(Context, r12),
        r13 = const offset_of!(Context, r13),
        r14 = const offset_of!(Context, r14),
        r15 = const offset_of!(Context, r15),
        mxcsr = const offset_of!(Context, mxcsr),
        fpcw = const offset_of!(Context, fpcw),
        teb = const offset_of!(Context, teb),
        xmm = const offset_of!(Context, xmm),
        t_el = const TEB_EXCEPTION_LIST,
        t_base = const TEB_STACK_BASE,
        t_limit = const TEB_STACK_LIMIT,
        t_dealloc = const TEB_DEALLOCATION_STACK,
        t_guar = const TEB_GUARANTEED_STACK_BYTES,
    )
}

// The asm addresses the TEB fields of a Context as `teb + 8 * i` in Teb's order.
const _: () = {
    assert!(offset_of!(Teb, exception_list) == 0);
    assert!(offset_of!(Teb, stack_base) == 8);
    assert!(offset_of!(Teb, stack_limit) == 16);
    assert!(offset_of!(Teb, deallocation_stack) == 24);
    assert!(offset_of!(Teb, guaranteed_stack_bytes) == 32);
    assert!(size_of::<[u128; 10]>() == 160);
};

/// Resumes `to`, abandoning the current context for good.
///
/// # Safety
/// As for `switch`; nothing will ever resume the current context.
pub unsafe fn jump(to: *const Context) -> ! {
    let mut abandoned = Context::new();
    // SAFETY: forwarded obligation; `abandoned` is never resumed.
    unsafe { switch(&raw mut abandoned, to) };
    trap()
}

/// The first code a new context runs: `entry(arg)`, which never returns.
/// Entered by `switch`'s `ret` with `rsp` at the top of the stack.
#[unsafe(naked)]
unsafe extern "C" fn start_trampoline() {
    core::arch::naked_asm!(
        ".seh_proc {me}",
        "sub rsp, 32", // shadow space for entry; rsp stays 16-aligned
        ".seh_stackalloc 32",
        ".seh_endprologue",
        "xor ebp, ebp", // no frame pointer chain on this stack
        "mov rcx, r13", // arg 0: the entry's argument
        "call r12",     // entry(arg)
        "ud2",          // entry returned: a runtime bug
        ".seh_endproc",
        me = sym start_trampoline,
    )
}

/// Makes `ctx` start `entry(arg)` on the stack whose top is `stack_top`
/// (16-aligned) and whose bounds are `bounds`, with the control words `fp`,
/// an empty exception chain and no guaranteed stack bytes (SPEC.md §10.11).
///
/// # Safety
/// The `INIT_BYTES` below `stack_top` belong to the new context; `ctx` is writable.
pub unsafe fn init(
    ctx: *mut Context,
    stack_top: usize,
    bounds: &StackBounds,
    fp: FpControl,
    _main: *const Context,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    let sp = stack_top - 8;
    let mut context = Context::new();
    context.rsp = sp;
    context.r12 = entry as usize;
    context.r13 = arg;
    context.mxcsr = fp.mxcsr;
    context.fpcw = fp.fpcw;
    context.teb = Teb {
        exception_list: usize::MAX,
        stack_base: bounds.base,
        stack_limit: bounds.limit,
        deallocation_stack: bounds.dealloc,
        guaranteed_stack_bytes: 0,
    };
    // SAFETY: `sp` lies in the new context's stack and `ctx` is writable
    // (caller's promise).
    unsafe {
        (sp as *mut usize).write(start_trampoline as *const () as usize);
        ctx.write(context);
    }
}

/// The bytes `init` uses at the top of a new stack: the trampoline's address.
pub const INIT_BYTES: usize = 8;

/// Calls `f(arg)` with the stack pointer at `sp` (16-aligned; `f` gets its
/// shadow space below it, SPEC.md §10.3) and the TEB describing `*bounds`;
/// then restores the caller's stack and bounds, writes back into `*bounds`
/// the `StackLimit` Windows may have moved (the thread's own stack grows),
/// and returns `f`'s result.
///
/// # Safety
/// The memory below `sp` is a stack nobody else uses while `f` runs, and
/// `bounds` describes it.
#[unsafe(naked)]
pub unsafe extern "C" fn call_on_stack(
    sp: usize,
    bounds: *mut StackBounds,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    core::arch::naked_asm!(
        ".seh_proc {me}",
        "push rbp", // callee-saved registers we use below
        ".seh_pushreg rbp",
        "push rbx",
        ".seh_pushreg rbx",
        "push rsi",
        ".seh_pushreg rsi",
        "push rdi",
        ".seh_pushreg rdi",
        "push r12",
        ".seh_pushreg r12",
        "mov rbp, rsp", // rbp remembers the caller's stack
        ".seh_setframe rbp, 0",
        ".seh_endprologue",
        "mov rbx, gs:[{t_base}]",    // the caller's StackBase,
        "mov rsi, gs:[{t_limit}]",   // StackLimit
        "mov rdi, gs:[{t_dealloc}]", // and DeallocationStack, kept
        "mov r12, rdx",              // the bounds, for the write-back
        "mov rax, [rdx + {b_base}]", // install the target stack's StackBase,
        "mov gs:[{t_base}], rax",
        "mov rax, [rdx + {b_limit}]", // StackLimit
        "mov gs:[{t_limit}], rax",
        "mov rax, [rdx + {b_dealloc}]", // and DeallocationStack
        "mov gs:[{t_dealloc}], rax",
        "mov rsp, rcx", // switch to the target stack
        "sub rsp, 32",  // shadow space for f
        "mov rcx, r9",  // arg 0 of f: arg
        "call r8",      // f(arg); the result stays in rax
        "mov rcx, gs:[{t_limit}]", // write back what Windows may have moved
        "mov [r12 + {b_limit}], rcx",
        "mov gs:[{t_base}], rbx", // restore the caller's bounds
        "mov gs:[{t_limit}], rsi",
        "mov gs:[{t_dealloc}], rdi",
        "mov rsp, rbp", // back to the caller's stack
        "pop r12",
        "pop rdi",
        "pop rsi",
        "pop rbx",
        "pop rbp",
        "ret",
        ".seh_endproc",
        me = sym call_on_stack,
        t_base = const TEB_STACK_BASE,
        t_limit = const TEB_STACK_LIMIT,
        t_dealloc = const TEB_DEALLOCATION_STACK,
        b_base = const offset_of!(StackBounds, base),
        b_limit = const offset_of!(StackBounds, limit),
        b_dealloc = const offset_of!(StackBounds, dealloc),
    )
}

/// Calls `f(arg)` in a frame of a segment whose frame space is
/// `[low, high)`, with the stack pointer at `sp` (the frame's record, SPEC.md
/// §10.3) and the TEB describing the segment (§10.11); then restores the
/// caller's stack and bounds. `call_on_stack` without a `StackBounds` in the
/// caller's frame: the bounds follow from `low` and `high`.
///
/// # Safety
/// As for `call_on_stack`, for a segment's frame.
#[unsafe(naked)]
pub unsafe extern "C" fn call_on_segment(
    sp: usize,
    low: usize,
    high: usize,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    core::arch::naked_asm!(
        ".seh_proc {me}",
        "push rbp", // callee-saved registers we use below
        ".seh_pushreg rbp",
        "push rbx",
        ".seh_pushreg rbx",
        "push rsi",
        ".seh_pushreg rsi",
        "push rdi",
        ".seh_pushreg rdi",
        "sub rsp, 8", // keeps rsp 16-aligned
        ".seh_stackalloc 8",
        "mov rbp, rsp", // rbp remembers the caller's stack
        ".seh_setframe rbp, 0",
        ".seh_endprologue",
        "mov rax, [rbp + {arg}]",    // arg: the fifth argument, above our frame and the shadow space
        "mov rbx, gs:[{t_base}]",    // the caller's StackBase,
        "mov rsi, gs:[{t_limit}]",   // StackLimit
        "mov rdi, gs:[{t_dealloc}]", // and DeallocationStack, kept
        "mov gs:[{t_base}], r8",     // StackBase: the segment's high end
        "mov gs:[{t_limit}], rdx",   // StackLimit: its low end
        "sub rdx, {room}",
        "mov gs:[{t_dealloc}], rdx", // DeallocationStack: the room below it
        "mov rsp, rcx",              // switch to the frame
        "sub rsp, 32",               // shadow space for f
        "mov rcx, rax",              // arg 0 of f: arg
        "call r9",                   // f(arg); the result stays in rax
        "mov gs:[{t_base}], rbx",    // restore the caller's bounds
        "mov gs:[{t_limit}], rsi",
        "mov gs:[{t_dealloc}], rdi",
        "mov rsp, rbp", // back to the caller's stack
        "add rsp, 8",
        "pop rdi",
        "pop rsi",
        "pop rbx",
        "pop rbp",
        "ret",
        ".seh_endproc",
        me = sym call_on_segment,
        // 8 (sub) + 32 (four pushes) + 8 (return address) + 32 (shadow space)
        arg = const 8 + 32 + 8 + 32,
        t_base = const TEB_STACK_BASE,
        t_limit = const TEB_STACK_LIMIT,
        t_dealloc = const TEB_DEALLOCATION_STACK,
        room = const STACK_ROOM,
    )
}

/// valgrind does not run Windows programs: no stack registry.
pub fn stack_register(_low: usize, _high: usize) -> u32 {
    0
}

/// See `stack_register`.
pub fn stack_deregister(_id: u32) {}

/// See `stack_register`.
pub fn stack_reuse(_low: usize, _high: usize) {}

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
