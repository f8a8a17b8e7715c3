//! Linux through libc.
use core::ffi::c_int;

#[link(name = "c")]
unsafe extern "C" {
    safe fn write(fd: c_int, buf: *const u8, count: usize) -> isize;
    #[link_name = "exit"]
    safe fn libc_exit(status: c_int) -> !;
}

fn write_all(fd: c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let n = write(fd, bytes.as_ptr(), bytes.len());
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

pub fn write_stdout(bytes: &[u8]) {
    write_all(1, bytes)
}

pub fn write_stderr(bytes: &[u8]) {
    write_all(2, bytes)
}

pub fn exit(status: i32) -> ! {
    libc_exit(status)
}

unsafe extern "C" {
    fn malloc(size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
}

/// Allocates `size` bytes aligned to 16 (glibc's malloc alignment on 64-bit).
pub fn alloc(size: usize) -> *mut u8 {
    // SAFETY: malloc accepts any size; null is returned on failure.
    unsafe { malloc(size) }
}

/// Frees what `alloc` returned.
///
/// # Safety
/// `ptr` came from `alloc` and is not used afterwards.
pub unsafe fn dealloc(ptr: *mut u8) {
    // SAFETY: forwarded obligation.
    unsafe { free(ptr) }
}
