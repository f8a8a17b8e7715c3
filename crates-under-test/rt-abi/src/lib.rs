//! The runtime's C ABI as Rust definitions: the interface table, its header,
//! the entry-point signatures and the exit statuses.
//!
//! This crate is the one piece shared by both sides of the ABI: the reference
//! runtime fills an [`RtTable`], test crates read it. It holds no code, only
//! layouts and constants. `SPEC.md` is the prose contract;
//! `reference-rt/include/rustrt.h` is the same contract in C, and the tests in
//! `src/tests.rs` compile that header and check that every offset and size
//! agrees with the definitions here.
#![cfg_attr(not(test), no_std)]

use core::ffi::c_char;

/// `"RUSTRT\0\0"` read as a little-endian `u64`: the first word of every table.
pub const RT_MAGIC: u64 = u64::from_le_bytes(*b"RUSTRT\0\0");

/// The ABI version this crate describes. See the version history in SPEC.md.
pub const RT_ABI_VERSION: u32 = 0;

/// The name of the runtime's one entry point, imported by every crate.
pub const RT_START_SYMBOL: &str = "rt_start";

/// The name of the crate's one exported symbol, looked up by hosts.
pub const CRATE_ENTRY_SYMBOL: &str = "rust_entry";

/// The signature of a crate's rust entry point. Its return value becomes the
/// process exit status when the crate runs as an executable.
pub type CrateEntry = unsafe extern "C" fn(table: *const RtTable) -> i32;

/// The signature of the runtime's start function (`rt_start`). It never
/// returns: it exits the process with the entry point's return value.
pub type RtStart = unsafe extern "C" fn(entry: CrateEntry) -> !;

/// Exit statuses with a meaning fixed by the ABI. A crate's own results are
/// below [`ExitStatus::FIRST_RESERVED`].
pub struct ExitStatus;

impl ExitStatus {
    /// Statuses from here up are reserved by the ABI.
    pub const FIRST_RESERVED: i32 = 90;
    /// The crate refused the table: wrong magic, version or size.
    pub const TABLE_REFUSED: i32 = 90;
}

/// The frozen head of every table, whatever its version: a crate can always
/// read these fields, and use `write_out` to explain a refusal when the magic
/// matches.
#[repr(C)]
pub struct RtTableHeader {
    /// Always [`RT_MAGIC`].
    pub magic: u64,
    /// The ABI version the table implements.
    pub abi_version: u32,
    /// The size of the whole table in bytes.
    pub size: u32,
    /// Writes `len` bytes to the program's standard output, unbuffered from
    /// the crate's point of view: bytes written before the entry point returns
    /// appear before anything the runtime writes afterwards.
    pub write_out: unsafe extern "C" fn(bytes: *const u8, len: usize),
}

/// The interface table of ABI version 0: the header, then the services.
#[repr(C)]
pub struct RtTable {
    /// The frozen header.
    pub header: RtTableHeader,
    /// A NUL-terminated name of the runtime implementation, for reports.
    pub runtime_name: *const c_char,
    /// Writes `len` bytes to the program's standard error.
    pub write_err: unsafe extern "C" fn(bytes: *const u8, len: usize),
}

// SAFETY: a table is immutable once published to a crate (SPEC.md), and the
// pointers it holds point to immutable data or to thread-safe functions.
unsafe impl Sync for RtTable {}

/// The size of a version-0 table, as it appears in the header's `size`.
pub const RT_TABLE_SIZE: u32 = core::mem::size_of::<RtTable>() as u32;

#[cfg(test)]
mod tests;
