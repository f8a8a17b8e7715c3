//! The entry handshake (`rt_start`) and the interface table.

use rt_abi::{CrateEntry, FrameDesc, RT_ABI_VERSION, RT_MAGIC, RT_TABLE_SIZE, RtTable, RtTableHeader, StackModel};

use crate::{os, sched, stack, vec};

unsafe extern "C" fn write_out(bytes: *const u8, len: usize) {
    // SAFETY: the crate passes `len` readable bytes at `bytes` (SPEC.md).
    let bytes = unsafe { core::slice::from_raw_parts(bytes, len) };
    sched::on_big_stack(|| os::write_stdout(bytes));
}

unsafe extern "C" fn write_err(bytes: *const u8, len: usize) {
    // SAFETY: the crate passes `len` readable bytes at `bytes` (SPEC.md).
    let bytes = unsafe { core::slice::from_raw_parts(bytes, len) };
    sched::on_big_stack(|| os::write_stderr(bytes));
}

static TABLE: RtTable = RtTable {
    header: RtTableHeader { magic: RT_MAGIC, abi_version: RT_ABI_VERSION, size: RT_TABLE_SIZE, write_out },
    runtime_name: c"reference-rt".as_ptr(),
    write_err,
    frame_call: stack::frame_call,
    stack_info: stack::stack_info,
    backtrace: stack::backtrace,
    spawn: sched::spawn,
    yield_now: sched::yield_now,
    join: sched::join,
    self_id: sched::self_id,
    proc_env: sched::proc_env,
    send: sched::send,
    receive: sched::receive,
    proc_info: sched::proc_info,
    vec_alloc: vec::vec_alloc,
    vec_share: vec::vec_share,
    vec_release: vec::vec_release,
    vec_write: vec::vec_write,
    send_vec: vec::send_vec,
    receive_vec: sched::receive_vec,
    tick: sched::tick,
    runtime_info: sched::runtime_info,
};

/// The frame in which the root proc runs the crate's `rust_entry`.
static ENTRY_FRAME: FrameDesc = FrameDesc { size: StackModel::ENTRY_FRAME_SIZE, name: c"rust_entry".as_ptr() };

/// The root proc's body: the crate's entry point, called with the table.
unsafe extern "C" fn root_body(entry: u64) -> u64 {
    // SAFETY: `entry` is the crate entry `rt_start` was given.
    let entry: CrateEntry = unsafe { core::mem::transmute(entry as usize) };
    // SAFETY: TABLE is a complete table that lives forever.
    unsafe { entry(&TABLE) as u32 as u64 }
}

/// The runtime's one entry point, called by a crate's process entry stub.
///
/// # Safety
/// `entry` is a crate's rust entry point.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rt_start(entry: CrateEntry) -> ! {
    let status = sched::run_root(&ENTRY_FRAME, root_body, entry as usize as u64);
    os::exit(status)
}
