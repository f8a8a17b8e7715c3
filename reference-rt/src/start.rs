//! The entry handshake: `rt_start` and the version-0 table.

use rt_abi::{CrateEntry, RT_ABI_VERSION, RT_MAGIC, RT_TABLE_SIZE, RtTable, RtTableHeader};

use crate::os;

unsafe extern "C" fn write_out(bytes: *const u8, len: usize) {
    // SAFETY: the crate passes `len` readable bytes at `bytes` (SPEC.md).
    os::write_stdout(unsafe { core::slice::from_raw_parts(bytes, len) });
}

unsafe extern "C" fn write_err(bytes: *const u8, len: usize) {
    // SAFETY: the crate passes `len` readable bytes at `bytes` (SPEC.md).
    os::write_stderr(unsafe { core::slice::from_raw_parts(bytes, len) });
}

static TABLE: RtTable = RtTable {
    header: RtTableHeader { magic: RT_MAGIC, abi_version: RT_ABI_VERSION, size: RT_TABLE_SIZE, write_out },
    runtime_name: c"reference-rt".as_ptr(),
    write_err,
};

/// The runtime's one entry point, called by a crate's process entry stub.
///
/// # Safety
/// `entry` is a crate's rust entry point.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rt_start(entry: CrateEntry) -> ! {
    // SAFETY: TABLE is a complete version-0 table that lives forever.
    let status = unsafe { entry(&TABLE) };
    os::exit(status)
}
