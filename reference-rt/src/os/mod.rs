//! The operating system underneath: output, exit, memory.
#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Standard error, for the runtime's own lines (SPEC.md §14.5).
pub struct Stderr;

impl core::fmt::Write for Stderr {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write_stderr(s.as_bytes());
        Ok(())
    }
}

impl crate::budget::Sink for Stderr {
    fn put(&mut self, bytes: &[u8]) {
        write_stderr(bytes)
    }
}

/// The runtime itself cannot go on (SPEC.md §14.6): one line, then a trap.
/// Runs on whatever stack it is called on, so callers are on the thread's.
pub fn fatal(why: core::fmt::Arguments) -> ! {
    use core::fmt::Write as _;
    let _ = writeln!(Stderr, "rustrt: fatal: {why}");
    crate::arch::trap()
}
