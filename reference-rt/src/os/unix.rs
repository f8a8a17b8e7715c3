//! Linux through libc.
use core::ffi::c_int;

#[link(name = "c")]
unsafe extern "C" {
    safe fn write(fd: c_int, buf: *const u8, count: usize) -> isize;
    safe fn poll(fds: *mut PollFd, nfds: u64, timeout: c_int) -> c_int;
    safe fn __errno_location() -> *mut c_int;
    #[link_name = "exit"]
    safe fn libc_exit(status: c_int) -> !;
}

/// `struct pollfd`.
#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

const EINTR: c_int = 4;
const EAGAIN: c_int = 11;
const POLLOUT: i16 = 4;

/// Every byte, as SPEC.md §2.2 promises: a write cut short by a signal
/// (`EINTR`) is made again, and a non-blocking stream that is full
/// (`EAGAIN`) is waited for. Only a stream that cannot take bytes at all
/// (closed, not open) ends it early: nobody can read them then.
fn write_all(fd: c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let n = write(fd, bytes.as_ptr(), bytes.len());
        if n > 0 {
            bytes = &bytes[n as usize..];
            continue;
        }
        // SAFETY: glibc's errno is a valid thread-local int.
        match (n, unsafe { *__errno_location() }) {
            (-1, EINTR) => {}
            (-1, EAGAIN) => {
                let mut fds = PollFd { fd, events: POLLOUT, revents: 0 };
                poll(&raw mut fds, 1, -1);
            }
            _ => return,
        }
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

#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;

    unsafe extern "C" {
        fn pipe(fds: *mut c_int) -> c_int;
        fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
        fn read(fd: c_int, buf: *mut u8, count: usize) -> isize;
        fn close(fd: c_int) -> c_int;
    }
    const F_GETFL: c_int = 3;
    const F_SETFL: c_int = 4;
    const O_NONBLOCK: c_int = 0o4000;
    const F_SETPIPE_SZ: c_int = 1031;

    /// A non-blocking pipe of 4 KiB read slowly still gets every byte
    /// (seen losing 10 KiB of 14 KiB before: the write gave up at `EAGAIN`).
    #[test]
    fn a_full_non_blocking_stream_gets_every_byte() {
        let mut fds = [0; 2];
        // SAFETY: plain libc calls on descriptors this test owns.
        unsafe {
            assert_eq!(pipe(fds.as_mut_ptr()), 0);
            fcntl(fds[1], F_SETPIPE_SZ, 4096);
            let flags = fcntl(fds[1], F_GETFL);
            assert_eq!(fcntl(fds[1], F_SETFL, flags | O_NONBLOCK), 0);
        }
        let reader = fds[0];
        let slow_reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 1000];
            loop {
                std::thread::sleep(std::time::Duration::from_millis(1));
                // SAFETY: `buf` is writable for its length.
                let n = unsafe { read(reader, buf.as_mut_ptr(), buf.len()) };
                if n <= 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n as usize]);
            }
        });
        let bytes: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        write_all(fds[1], &bytes);
        // SAFETY: the write end is ours; closing it ends the reader.
        unsafe { close(fds[1]) };
        assert!(slow_reader.join().unwrap() == bytes, "bytes were lost or changed");
        // SAFETY: ours.
        unsafe { close(reader) };
    }
}
