//! aarch64 Linux: switching procs, calling on another stack, FPCR,
//! valgrind's stack registry.
//!
//! Same design as `x86_64_sysv.rs` (read that first), with AAPCS64:
//! `x19`–`x28`, the frame pointer `x29`, the link register `x30`, the low
//! halves of `v8`–`v15` (`d8`–`d15`) and `FPCR` are callee-saved; arguments
//! come in `x0`–`x3`; `sp` stays 16-aligned. The set is 176 bytes, too big
//! for a frame's call reserve, so a suspended context keeps it in its
//! `Context` (in the proc's record), and a switch uses no stack at all:
//!
//! ```text
//!   Context { sp | x19 .. x28 | x29 x30 | d8 .. d15 | fpcr }
//! ```
//!
//! `msr fpcr` can be slow, so the switch writes it only when it differs.
//! A new context "returns" from its first switch into `start_trampoline`
//! (its `x30`), which calls `entry(arg)` (`x19`, `x20`).
//!
//! **Unwinding.** `call_on_stack` keeps the caller's stack in `x29` with
//! CFI, so a debugger crosses segments; the trampoline ends a proc's unwind
//! (`x30` undefined).

use core::mem::offset_of;

/// The callee-saved state of a suspended context.
#[repr(C)]
pub struct Context {
    sp: usize,
    x19_x28: [usize; 10],
    x29: usize,
    x30: usize,
    d8_d15: [u64; 8],
    fpcr: u64,
}

// ldp/stp take offsets that are multiples of 8 below 504.
const _: () = assert!(size_of::<Context>() <= 504 && size_of::<Context>().is_multiple_of(8));
const _: () = assert!(offset_of!(Context, x30) == offset_of!(Context, x29) + 8);

impl Context {
    pub const fn new() -> Context {
        Context { sp: 0, x19_x28: [0; 10], x29: 0, x30: 0, d8_d15: [0; 8], fpcr: 0 }
    }

    /// Where the suspended context's stack pointer is: the stack below it is free.
    pub fn stack_pointer(&self) -> usize {
        self.sp
    }
}

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

/// FPCR, as a new proc inherits it (SPEC.md §11.8).
#[derive(Clone, Copy, Debug)]
pub struct FpControl {
    fpcr: u64,
}

impl FpControl {
    /// The running code's FPCR.
    pub fn current() -> FpControl {
        let fpcr: u64;
        // SAFETY: reads a control register.
        unsafe { core::arch::asm!("mrs {0}, fpcr", out(reg) fpcr, options(nomem, nostack, preserves_flags)) };
        FpControl { fpcr }
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
        ".cfi_startproc", // a leaf: CFA = sp and the return address in x30, before and after
        "mov x2, sp", // save: the stack pointer
        "str x2, [x0, #{sp}]",
        "stp x19, x20, [x0, #{x19}]", // save: callee-saved registers
        "stp x21, x22, [x0, #{x19} + 16]",
        "stp x23, x24, [x0, #{x19} + 32]",
        "stp x25, x26, [x0, #{x19} + 48]",
        "stp x27, x28, [x0, #{x19} + 64]",
        "stp x29, x30, [x0, #{x29}]", // save: frame pointer and return address
        "stp d8, d9, [x0, #{d8}]",    // save: callee-saved vector halves
        "stp d10, d11, [x0, #{d8} + 16]",
        "stp d12, d13, [x0, #{d8} + 32]",
        "stp d14, d15, [x0, #{d8} + 48]",
        "mrs x2, fpcr", // save: FPCR
        "str x2, [x0, #{fpcr}]",
        "ldr x3, [x1, #{fpcr}]", // load: its FPCR, when it differs (msr fpcr is slow)
        "cmp x2, x3",
        "b.eq 2f",
        "msr fpcr, x3",
        "2:",
        "ldr x2, [x1, #{sp}]", // load: its stack pointer
        "mov sp, x2",
        "ldp x19, x20, [x1, #{x19}]", // load: its callee-saved registers
        "ldp x21, x22, [x1, #{x19} + 16]",
        "ldp x23, x24, [x1, #{x19} + 32]",
        "ldp x25, x26, [x1, #{x19} + 48]",
        "ldp x27, x28, [x1, #{x19} + 64]",
        "ldp x29, x30, [x1, #{x29}]", // load: its frame pointer and return address
        "ldp d8, d9, [x1, #{d8}]",    // load: its vector halves
        "ldp d10, d11, [x1, #{d8} + 16]",
        "ldp d12, d13, [x1, #{d8} + 32]",
        "ldp d14, d15, [x1, #{d8} + 48]",
        // Resume at x30 (where it called switch, or the trampoline) with an
        // indirect branch: `ret` would defeat the return address stack, as
        // on x86_64 (see x86_64_sysv.rs).
        "br x30",
        ".cfi_endproc",
        sp = const offset_of!(Context, sp),
        x19 = const offset_of!(Context, x19_x28),
        x29 = const offset_of!(Context, x29),
        d8 = const offset_of!(Context, d8_d15),
        fpcr = const offset_of!(Context, fpcr),
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
#[unsafe(naked)]
unsafe extern "C" fn start_trampoline() {
    core::arch::naked_asm!(
        ".cfi_startproc",
        ".cfi_undefined x30", // the outermost frame of a proc: unwinding stops here
        "mov x0, x20",        // arg 0: the entry's argument
        "mov x29, #0",        // no frame record chain on this stack
        "blr x19",            // entry(arg)
        "brk #1",             // entry returned: a runtime bug
        ".cfi_endproc",
    )
}

/// Makes `ctx` start `entry(arg)` on the stack whose top is `stack_top`
/// (16-aligned), with the control state `fp`.
///
/// # Safety
/// The stack below `stack_top` belongs to the new context; `ctx` is writable.
pub unsafe fn init(
    ctx: *mut Context,
    stack_top: usize,
    _bounds: &StackBounds,
    fp: FpControl,
    _main: *const Context,
    entry: unsafe extern "C" fn(usize) -> !,
    arg: usize,
) {
    let mut context = Context::new();
    context.sp = stack_top;
    context.x19_x28[0] = entry as usize; // x19
    context.x19_x28[1] = arg; // x20
    context.x30 = start_trampoline as *const () as usize; // where the first switch "returns"
    context.fpcr = fp.fpcr;
    // SAFETY: `ctx` is writable (caller's promise).
    unsafe { ctx.write(context) };
}

/// The bytes `init` uses at the top of a new stack: none, the context is in the record.
pub const INIT_BYTES: usize = 0;

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
        "stp x29, x30, [sp, #-16]!", // keep frame pointer and return address on the caller's stack
        ".cfi_def_cfa_offset 16",
        ".cfi_offset x29, -16",
        ".cfi_offset x30, -8",
        "mov x29, sp",               // x29 (callee-saved) remembers the caller's stack
        ".cfi_def_cfa_register x29", // unwinders find the caller through it
        "mov sp, x0",                // switch to the new stack
        "mov x0, x3",                // arg 0 of f: arg
        "blr x2",                    // f(arg); the result stays in x0
        "mov sp, x29",               // back to the caller's stack
        ".cfi_def_cfa_register sp",
        "ldp x29, x30, [sp], #16", // restore frame pointer and return address
        ".cfi_def_cfa_offset 0",
        ".cfi_restore x29",
        ".cfi_restore x30",
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

/// valgrind's client requests (valgrind.h, "magic sequence" for arm64):
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
    // SAFETY: the rotations add up to 128 bits and leave x12 as it was, the
    // `orr` is a no-op natively; under valgrind the sequence reads `args`.
    unsafe {
        core::arch::asm!(
            "ror x12, x12, #3", // the magic preamble
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10", // the request: x4 = &args, result in x3
            in("x4") args,
            inout("x3") result,
            out("x12") _,
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
    "    brk #1", // never called: nothing unwinds
);

/// Stops the process with a breakpoint trap.
pub fn trap() -> ! {
    // SAFETY: `brk` raises SIGTRAP; nothing after it runs.
    unsafe { core::arch::asm!("brk #0xf000", options(noreturn, nomem, nostack)) }
}
