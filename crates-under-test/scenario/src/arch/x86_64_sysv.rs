//! x86_64 System V: the thin frame function.
//!
//! ```text
//! thin(site):  rbx = site; if site.child: rax = frame_call(child.desc, child.func, child) + site.ret
//!                          else:          rax = site.ret
//! ```
//! Stack: its return address and one push (which also aligns the call).

use core::mem::offset_of;

use scenario_format as _;

use crate::{Site, TABLE};

/// The bytes of its frame `thin` uses: return address, `push rbx`.
pub const THIN_STACK: usize = 16;

/// A thin frame's function (see `arch/mod.rs`).
///
/// # Safety
/// `site` is a `Site` of the image; the table is set.
#[unsafe(naked)]
pub unsafe extern "C" fn thin(site: u64) -> u64 {
    core::arch::naked_asm!(
        "push rbx",               // keep rbx; rsp is 16-aligned for the call below
        "mov rbx, rdi",           // the site
        "mov rdx, [rbx + {child}]", // arg 2: the child's site
        "test rdx, rdx",
        "jz 2f",                  // no child: a leaf
        "mov rdi, [rdx + {desc}]", // arg 0: the child's descriptor
        "mov rsi, [rdx + {func}]", // arg 1: the child's function
        "mov rax, [rip + {table}]", // the table
        "call [rax + {frame_call}]", // frame_call(desc, func, child)
        "add rax, [rbx + {ret}]", // plus this frame's ret
        "pop rbx",
        "ret",
        "2:",
        "mov rax, [rbx + {ret}]", // a leaf returns its ret
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
