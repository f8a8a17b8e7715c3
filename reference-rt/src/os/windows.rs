//! Windows through kernel32.
use core::ffi::c_void;

const STD_OUTPUT_HANDLE: u32 = -11i32 as u32;
const STD_ERROR_HANDLE: u32 = -12i32 as u32;

#[link(name = "kernel32")]
unsafe extern "system" {
    safe fn GetStdHandle(which: u32) -> *mut c_void;
    fn WriteFile(file: *mut c_void, buf: *const u8, len: u32, written: *mut u32, overlapped: *mut c_void) -> i32;
    safe fn ExitProcess(code: u32) -> !;
    safe fn Sleep(milliseconds: u32);
}

fn write_all(which: u32, mut bytes: &[u8]) {
    let handle = GetStdHandle(which);
    while !bytes.is_empty() {
        let chunk = bytes.len().min(u32::MAX as usize) as u32;
        let mut written = 0u32;
        // SAFETY: `bytes` is readable for `chunk` bytes; `written` is a valid out-pointer.
        let ok = unsafe { WriteFile(handle, bytes.as_ptr(), chunk, &mut written, core::ptr::null_mut()) };
        if ok == 0 {
            return; // the stream cannot take bytes at all (closed, not open)
        }
        if written == 0 {
            // A full non-blocking pipe (PIPE_NOWAIT) takes nothing yet: wait
            // a little, as SPEC.md §2.2 promises every byte.
            Sleep(1);
            continue;
        }
        bytes = &bytes[written as usize..];
    }
}

pub fn write_stdout(bytes: &[u8]) {
    write_all(STD_OUTPUT_HANDLE, bytes)
}

pub fn write_stderr(bytes: &[u8]) {
    write_all(STD_ERROR_HANDLE, bytes)
}

pub fn exit(status: i32) -> ! {
    ExitProcess(status as u32)
}

#[link(name = "kernel32")]
unsafe extern "system" {
    safe fn GetProcessHeap() -> *mut c_void;
    fn HeapAlloc(heap: *mut c_void, flags: u32, size: usize) -> *mut u8;
    fn HeapFree(heap: *mut c_void, flags: u32, ptr: *mut u8) -> i32;
}

/// Allocates `size` bytes aligned to 16 (the process heap's alignment on x64).
pub fn alloc(size: usize) -> *mut u8 {
    // SAFETY: HeapAlloc accepts any size; null is returned on failure.
    unsafe { HeapAlloc(GetProcessHeap(), 0, size) }
}

/// Frees what `alloc` returned.
///
/// # Safety
/// `ptr` came from `alloc` and is not used afterwards.
pub unsafe fn dealloc(ptr: *mut u8) {
    // SAFETY: forwarded obligation.
    unsafe { HeapFree(GetProcessHeap(), 0, ptr) };
}
