//! x86_64 Windows: the thin frame function.
//!
//! ```text
//! thin(site):  rbx = site; if site.child: rax = frame_call(child.desc, child.func, child) + site.ret
//!                          else:          rax = site.ret
//! ```
//! Stack: the 32-byte shadow space its caller left above its return
//! address (SPEC.md §10.3 puts both in the frame), the return address, one
//! push and the shadow space it gives `frame_call`.

use core::mem::offset_of;

use crate::{Site, TABLE};

/// The bytes of its frame `thin` uses: shadow 32, return address 8, push 8, shadow 32.
pub const THIN_STACK: usize = 80;

/// A thin frame's function (see `arch/mod.rs`).
///
/// # Safety
/// `site` is a `Site` of the image; the table is set.
#[unsafe(naked)]
pub unsafe extern "C" fn thin(site: u64) -> u64 {
    core::arch::naked_asm!(
        "push rbx",               // keep rbx (callee-saved)
        "sub rsp, 32",            // shadow space for frame_call; rsp is 16-aligned
        "mov rbx, rcx",           // the site
        "mov r8, [rbx + {child}]", // arg 2: the child's site
        "test r8, r8",
        "jz 2f",                  // no child: a leaf
        "mov rcx, [r8 + {desc}]", // arg 0: the child's descriptor
        "mov rdx, [r8 + {func}]", // arg 1: the child's function
        "mov rax, [rip + {table}]", // the table
        "call [rax + {frame_call}]", // frame_call(desc, func, child)
        "add rax, [rbx + {ret}]", // plus this frame's ret
        "jmp 3f",
        "2:",
        "mov rax, [rbx + {ret}]", // a leaf returns its ret
        "3:",
        "add rsp, 32",
        "pop rbx",
        "ret",
        child = const offset_of!(Site, child),
        desc = const offset_of!(Site, desc),
        func = const offset_of!(Site, func),
        ret = const offset_of!(Site, ret),
        table = sym TABLE,
        frame_call = const offset_of!(crate_support::abi::RtTable, frame_call),
    )
}
