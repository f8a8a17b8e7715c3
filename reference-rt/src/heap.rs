//! The global allocator: the OS heap (malloc / HeapAlloc), which aligns to 16
//! bytes; nothing in the runtime asks for more. What a proc is *charged* is
//! decided elsewhere, by the model's rules (SPEC.md), not by this allocator.

use core::alloc::{GlobalAlloc, Layout};

use crate::os;

/// The alignment every OS heap here guarantees.
const HEAP_ALIGN: usize = 16;

pub struct OsHeap;

// SAFETY: `alloc` returns blocks of at least `layout.size()` bytes aligned to
// 16, and refuses (null) layouts that need more alignment.
unsafe impl GlobalAlloc for OsHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > HEAP_ALIGN {
            return core::ptr::null_mut();
        }
        os::alloc(layout.size().max(1))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above.
        unsafe { os::dealloc(ptr) }
    }
}

#[cfg(not(test))]
#[global_allocator]
static HEAP: OsHeap = OsHeap;
