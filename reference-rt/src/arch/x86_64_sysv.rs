//! x86_64 System V (Linux): switching procs, calling on another stack,
//! the FP control words, valgrind's stack registry.
//!
//! **Switch.** `switch(from, to)` pushes what a callee must preserve onto
//! the stack it leaves — `rbp rbx r12 r13 r14 r15`, then MXCSR and the x87
//! control word — and stores the stack pointer in `*from`; it loads `to`'s
//! stack pointer and pops the same frame, which `ret` ends. A suspended
//! context is therefore one word in its `Context` and a 64-byte `SwitchFrame`
//! on its own stack (inside the caller's call reserve, SPEC.md §10.3):
//!
//! ```text
//!   higher ┌───────────────┐
//!          │ return address│ ◄ where switch was called (or start_trampoline)
//!          │ rbp rbx       │
//!          │ r12 r13 r14   │
//!          │ r15           │
//!          │ mxcsr | fpcw  │ ◄ Context.sp
//!   lower  └───────────────┘
//! ```
//!
//! `ldmxcsr` and `fldcw` are slow (6 ns each here), so the switch loads the
//! control words only when the control bits differ from the ones in force
//! (SPEC.md §11.8: the status flags are free). It resumes the other context
//! with an indirect jump rather than `ret` (see the code).
//!
//! **Start.** `init` writes a `SwitchFrame` at the top of a new proc's stack
//! whose return address is `start_trampoline`, with `r12 = entry`,
//! `r13 = arg`, `rbx = the main context` (for unwinders, below) and the
//! spawner's control words. The first switch to it "returns" into the
//! trampoline with `rsp` at the top of the stack, 16-aligned, and it calls
//! `entry(arg)`, which never returns.
//!
//! **Unwinding.** Every routine has CFI. `call_on_stack` keeps the caller's
//! stack in `rbp`, so a debugger crosses from a frame on a segment to the
//! segment below. The trampoline's CFI describes its caller as the main
//! context suspended in `switch` (its `SwitchFrame`, found through `rbx`),
//! so a backtrace from any proc reaches `rt_start` on the thread's stack.

use core::mem::offset_of;

/// What `switch` keeps of a suspended context: its stack pointer (the rest
/// is on its stack, see above).
#[repr(C)]
pub struct Context {
    sp: usize,
}

impl Context {
    pub const fn new() -> Context {
        Context { sp: 0 }
    }

    /// Where the suspended context's stack pointer is: the stack below it is free.
    pub fn stack_pointer(&self) -> usize {
        self.sp
    }
}

/// What `switch` pushes, lowest address first.
#[repr(C)]
struct SwitchFrame {
    mxcsr: u32,
    fpcw: u16,
    _pad: u16,
    r15: usize,
    r14: usize,
    r13: usize,
    r12: usize,
    rbx: usize,
    rbp: usize,
    ret: usize,
}

const _: () = assert!(size_of::<SwitchFrame>() == 64);
const _: () = assert!(offset_of!(SwitchFrame, fpcw) == 4);
const _: () = assert!(offset_of!(SwitchFrame, r15) == 8);
const _: () = assert!(offset_of!(SwitchFrame, rbp) == 48);
const _: () = assert!(offset_of!(SwitchFrame, ret) == 56);

/// The OS's record of a stack's bounds: Linux keeps none, so nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackBounds;

impl StackBounds {
    /// Before anything is known.
    pub const EMPTY: StackBounds = StackBounds;

    /// The bounds of a runtime-allocated stack whose frame space is `[low, high)`.
    pub fn of_segment(_low: usize, _high: usize) -> StackBounds {
        StackBounds
    }

    /// The thread's own stack.
    pub fn of_thread() -> StackBounds {
        StackBounds
    }
}

/// Bytes the runtime keeps below every segment for the OS (SPEC.md §10.11): none here.
pub const STACK_ROOM: usize = 0;

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
        ".cfi_startproc",
        "push rbp", // save the callee-saved registers on the stack we leave
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset rbp, 0",
        "push rbx",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset rbx, 0",
        "push r12",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset r12, 0",
        "push r13",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset r13, 0",
        "push r14",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset r14, 0",
        "push r15",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset r15, 0",
        "sub rsp, 8", // room for the control words
        ".cfi_adjust_cfa_offset 8",
        "stmxcsr [rsp + {mxcsr}]", // save MXCSR
        "fnstcw [rsp + {fpcw}]",   // save the x87 control word
        "mov eax, [rsp + {mxcsr}]", // keep ours to compare with the next context's
        "movzx ecx, word ptr [rsp + {fpcw}]",
        "mov [rdi + {sp}], rsp", // from.sp: this context is now suspended
        "mov rsp, [rsi + {sp}]", // to.sp: the other context's SwitchFrame
        "xor eax, [rsp + {mxcsr}]", // which MXCSR bits differ?
        "and eax, 0xffc0",          // only the control bits matter
        "jz 2f",
        "ldmxcsr [rsp + {mxcsr}]", // load its MXCSR
        "2:",
        "cmp cx, word ptr [rsp + {fpcw}]", // does its x87 control word differ?
        "je 3f",
        "fldcw [rsp + {fpcw}]", // load it
        "3:",
        "add rsp, 8", // drop the control words
        "pop r15",    // restore its callee-saved registers
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        // Resume where it called switch (or in start_trampoline) with an
        // indirect jump, not `ret`: a `ret` here would go to another
        // context's call site than the one the CPU's return stack predicts,
        // and every later return would mispredict too (measured: a yield
        // round trip between two procs takes 33 ns with `ret`, 9.5 with this).
        "pop rcx",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_register rip, rcx",
        "jmp rcx",
        ".cfi_endproc",
        sp = const offset_of!(Context, sp),
        mxcsr = const offset_of!(SwitchFrame, mxcsr),
        fpcw = const offset_of!(SwitchFrame, fpcw),
    )
}

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
        ".cfi_startproc",
        // A signal frame to unwinders: gdb refuses a caller frame at a lower
        // address than its callee (segments are anywhere), except across a
        // signal frame, where stacks may change (sigaltstack). The call sites
        // are never a function's last instruction, as that then requires.
        ".cfi_signal_frame",
        // Its "caller" is the main context, suspended in `switch`: the CFA
        // is that context's SwitchFrame (rbx points at its Context, whose
        // `sp` is the frame's address) plus the frame's size, and the
        // caller's registers lie in the frame.
        // DW_CFA_def_cfa_expression, 5 bytes: DW_OP_breg3 (rbx) 0, DW_OP_deref, DW_OP_plus_uconst 64
        ".cfi_escape 0x0f, 5, 0x73, 0x00, 0x06, 0x23, {frame}",
        ".cfi_offset rip, -8",
        ".cfi_offset rbp, -16",
        ".cfi_offset rbx, -24",
        ".cfi_offset r12, -32",
        ".cfi_offset r13, -40",
        ".cfi_offset r14, -48",
        ".cfi_offset r15, -56",
        "xor ebp, ebp", // no frame pointer chain on this stack
        "mov rdi, r13", // arg 0: the entry's argument
        "call r12",     // entry(arg); rsp is 16-aligned here, as the ABI wants
        "ud2",          // entry returned: a runtime bug
        ".cfi_endproc",
        frame = const size_of::<SwitchFrame>(),
    )
}

const _: () = assert!(offset_of!(Context, sp) == 0, "start_trampoline's CFI reads Context.sp at offset 0");

/// Makes `ctx` start `entry(arg)` on the stack whose top is `stack_top`
/// (16-aligned), with the control words `fp`. `main` is the context that
/// unwinders show as the new context's caller.
///
/// # Safety
/// The 64 bytes below `stack_top` belong to the new context; `ctx` is writable.
pub unsafe fn init(
    ctx: *mut Context,
    stack_top: usize,
    _bounds: &StackBounds,
    fp: FpControl,
    main: *const Context,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    let frame = (stack_top - size_of::<SwitchFrame>()) as *mut SwitchFrame;
    // SAFETY: the frame lies in the new context's stack (caller's promise).
    unsafe {
        frame.write(SwitchFrame {
            mxcsr: fp.mxcsr,
            fpcw: fp.fpcw,
            _pad: 0,
            r15: 0,
            r14: 0,
            r13: arg,
            r12: entry as usize,
            rbx: main as usize,
            rbp: 0,
            ret: start_trampoline as *const () as usize,
        });
        (*ctx).sp = frame as usize;
    }
}

/// The bytes `init` uses at the top of a new stack.
pub const INIT_BYTES: usize = size_of::<SwitchFrame>();

/// Calls `f(arg)` with the stack pointer at `sp` (16-aligned, SPEC.md
/// §10.3), then returns to the caller's stack with `f`'s result.
///
/// # Safety
/// The memory below `sp` is a stack nobody else uses while `f` runs.
#[unsafe(naked)]
pub unsafe extern "C" fn call_on_stack(
    sp: usize,
    _bounds: *mut StackBounds,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    core::arch::naked_asm!(
        ".cfi_startproc",
        // A signal frame to unwinders: gdb refuses a caller frame at a lower
        // address than its callee (segments are anywhere), except across a
        // signal frame, where stacks may change (sigaltstack). The call sites
        // are never a function's last instruction, as that then requires.
        ".cfi_signal_frame",
        "push rbp", // keep the caller's frame pointer; rsp is now 16-aligned
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset rbp, 0",
        "mov rbp, rsp",              // rbp (callee-saved) remembers the caller's stack
        ".cfi_def_cfa_register rbp", // unwinders find the caller through it
        "mov rsp, rdi",              // switch to the new stack
        "mov rdi, rcx",              // arg 0 of f: arg
        "call rdx",                  // f(arg); the result stays in rax
        "mov rsp, rbp",              // back to the caller's stack
        ".cfi_def_cfa_register rsp",
        "pop rbp", // restore the caller's frame pointer
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore rbp",
        "ret",
        ".cfi_endproc",
    )
}

/// `call_on_stack` for a segment's frame (see `x86_64_windows.rs`): here the
/// OS keeps no stack bounds, so the same thing.
///
/// # Safety
/// As for `call_on_stack`.
#[inline(always)]
pub unsafe fn call_on_segment(
    sp: usize,
    _low: usize,
    _high: usize,
    f: unsafe extern "C" fn(u64) -> u64,
    arg: u64,
) -> u64 {
    // SAFETY: forwarded obligation.
    unsafe { call_on_stack(sp, core::ptr::null_mut(), f, arg) }
}

/// valgrind's client requests (valgrind.h, "magic sequence" for amd64):
/// no-ops when not running under valgrind.
///
/// The arguments go in a static, not on the stack: requests are made from
/// runtime code on a segment, within its call reserve, and the runtime is
/// single-threaded.
fn valgrind_request(request: usize, a1: usize, a2: usize) -> usize {
    static ARGS: crate::Global<[usize; 6]> = crate::Global::new([0; 6]);
    let args = ARGS.get();
    // SAFETY: single-threaded; no reference is made.
    unsafe { args.write([request, a1, a2, 0, 0, 0]) };
    let mut result = 0usize; // the default when not under valgrind
    // SAFETY: the rotations leave rdi as it was and `xchg rbx, rbx` is a
    // no-op natively; under valgrind the sequence reads `args` and writes rdx.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",  // the magic preamble: four rotations by 64 bits in all
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx", // the request: rax = &args, result in rdx
            in("rax") args,
            inout("rdx") result,
            out("rdi") _,
            options(nostack, preserves_flags),
        )
    };
    result
}

const VG_USERREQ_STACK_REGISTER: usize = 0x1501;
const VG_USERREQ_STACK_DEREGISTER: usize = 0x1502;

/// Tells valgrind (when it runs us) that `[low, high)` is a stack; returns its id.
pub fn stack_register(low: usize, high: usize) -> u32 {
    valgrind_request(VG_USERREQ_STACK_REGISTER, low, high) as u32
}

/// Forgets a stack `stack_register` named.
pub fn stack_deregister(id: u32) {
    valgrind_request(VG_USERREQ_STACK_DEREGISTER, id as usize, 0);
}

/// memcheck's `MAKE_MEM_UNDEFINED`: `VG_USERREQ_TOOL_BASE('M', 'C') + 1`.
const VG_USERREQ_MAKE_MEM_UNDEFINED: usize = 0x4d43_0001;

/// Tells memcheck that `[low, high)` of a stack is about to be used again:
/// the thread's stack below the suspended main context, which it marked
/// inaccessible when that stack last shrank, and which it does not mark
/// again when the stack pointer jumps back into it from a segment.
pub fn stack_reuse(low: usize, high: usize) {
    valgrind_request(VG_USERREQ_MAKE_MEM_UNDEFINED, low, high - low);
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
