//! The entry handshake (`rt_start`, SPEC.md §3) and the interface table
//! (§2): each slot checks what it must, calls the layer that does the work,
//! and turns a `Failure` into the failure of the calling proc.
//!
//! Slots run on the calling proc's segment, within the call reserve of its
//! frame (SPEC.md §10.3): anything bigger goes through `upcall::run`.

use rt_abi::{
    BacktraceEntry, CrateEntry, FrameDesc, FrameFn, ProcInfo, RT_ABI_VERSION, RT_MAGIC, RT_TABLE_SIZE, RtTable,
    RtTableHeader, RtVec, RuntimeInfo, SpawnArgs, StackInfo, StackModel,
};

use crate::messages::{self, Payload, Received};
use crate::sched::{self, current};
use crate::state::runtime;
use crate::{os, upcall, vec};

unsafe extern "C" fn write_out(bytes: *const u8, len: usize) {
    if len == 0 {
        return; // `bytes` may be null (SPEC.md §2.2)
    }
    // SAFETY: the crate passes `len` readable bytes.
    let bytes = unsafe { core::slice::from_raw_parts(bytes, len) };
    upcall::run(|| os::write_stdout(bytes));
}

unsafe extern "C" fn write_err(bytes: *const u8, len: usize) {
    if len == 0 {
        return;
    }
    // SAFETY: the crate passes `len` readable bytes.
    let bytes = unsafe { core::slice::from_raw_parts(bytes, len) };
    upcall::run(|| os::write_stderr(bytes));
}

unsafe extern "C" fn frame_call(desc: *const FrameDesc, f: FrameFn, arg: u64) -> u64 {
    // The yield point first (SPEC.md §10.4 (a)), in this small frame: its
    // slow paths then leave `enter_frame`'s out of the call reserve.
    sched::yield_point(1);
    // SAFETY: a crate passes a valid descriptor and function (SPEC.md §10.4).
    unsafe { sched::enter_frame(desc, f, arg) }
}

unsafe extern "C" fn stack_info(out: *mut StackInfo) {
    // SAFETY: the running proc is live; `out` is writable.
    unsafe { out.write((*current()).stack.info()) }
}

unsafe extern "C" fn backtrace(out: *mut BacktraceEntry, max: usize) -> usize {
    // SAFETY: the running proc is live; `out` has room for `max` entries.
    unsafe { (*current()).stack.backtrace(out, max) }
}

unsafe extern "C" fn spawn(args: *const SpawnArgs) -> u32 {
    // SAFETY: a crate passes valid arguments (SPEC.md §11.3).
    unsafe { sched::spawn(args) }
}

unsafe extern "C" fn yield_now() {
    sched::yield_current()
}

unsafe extern "C" fn join(id: u32, discarded: *mut u64) -> i32 {
    // SAFETY: `discarded` is null or writable (SPEC.md §11.6).
    unsafe { sched::join(id, discarded) }
}

unsafe extern "C" fn self_id() -> u32 {
    // SAFETY: the running proc is live.
    unsafe { (*current()).id }
}

unsafe extern "C" fn proc_env() -> *mut core::ffi::c_void {
    // SAFETY: the running proc is live.
    unsafe { (*current()).env }
}

unsafe extern "C" fn proc_info(out: *mut ProcInfo) {
    // SAFETY: `out` is writable.
    unsafe { out.write(sched::proc_info()) }
}

unsafe extern "C" fn runtime_info(out: *mut RuntimeInfo) {
    // SAFETY: single-threaded; `out` is writable.
    unsafe { out.write((*runtime()).ledger.info()) }
}

unsafe extern "C" fn send(to: u32, bytes: *const u8, len: usize) -> i32 {
    // SAFETY: single-threaded; the crate passes `len` readable bytes.
    let fast = unsafe { messages::try_send_inline(&mut *runtime(), current(), to, bytes, len) };
    match fast {
        Some(result) => result,
        None => send_on_thread_stack(to, Payload::Bytes { bytes, len }),
    }
}

unsafe extern "C" fn send_vec(to: u32, v: *mut RtVec) -> i32 {
    send_on_thread_stack(to, Payload::Vec(v))
}

/// `send` and `send_vec` but their fast path: on the thread's stack, where
/// a failure fails the sender.
#[cold]
#[inline(never)]
fn send_on_thread_stack(to: u32, payload: Payload) -> i32 {
    upcall::run(|| {
        // SAFETY: single-threaded, on the thread's stack.
        let sent = unsafe { messages::send(&mut *runtime(), current(), to, payload) };
        match sent {
            Ok(result) => result,
            Err(failure) => sched::fail_current(failure),
        }
    })
}

unsafe extern "C" fn receive(buf: *mut u8, cap: usize, sender: *mut u32) -> usize {
    loop {
        // SAFETY: single-threaded; `buf` has `cap` writable bytes, `sender` is null or writable.
        match unsafe { messages::try_receive_inline(&mut *runtime(), current(), buf, cap, sender) } {
            Received::Inline(len) => return len,
            Received::Empty => sched::wait_for_message(),
            Received::Other => return upcall::run(|| receive_taken(buf, cap, sender)),
        }
    }
}

/// `receive` of the message at the head of the queue, whatever it is. On
/// the thread's stack.
fn receive_taken(buf: *mut u8, cap: usize, sender: *mut u32) -> usize {
    // SAFETY: single-threaded; the queue is not empty; `buf`, `sender` as for `receive`.
    unsafe {
        let rt = &mut *runtime();
        let m = messages::take(rt, rt.current).unwrap_unchecked();
        if !sender.is_null() {
            sender.write((*m).sender);
        }
        let len = if (*m).vec.is_null() {
            let bytes = (*m).bytes();
            let n = bytes.len().min(cap);
            if n > 0 {
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, n);
            }
            bytes.len()
        } else {
            // The message's reference is dropped (SPEC.md §12.3).
            messages::drop_vec(rt, (*m).vec);
            0
        };
        messages::finish(rt, m);
        len
    }
}

unsafe extern "C" fn receive_vec(sender: *mut u32) -> *mut RtVec {
    loop {
        // SAFETY: single-threaded; the running proc is live.
        if unsafe { (*current()).queued } > 0 {
            return upcall::run(|| receive_vec_taken(sender));
        }
        sched::wait_for_message();
    }
}

/// `receive_vec` of the message at the head of the queue. On the thread's stack.
fn receive_vec_taken(sender: *mut u32) -> *mut RtVec {
    // SAFETY: single-threaded; the queue is not empty; `sender` is null or writable.
    unsafe {
        let rt = &mut *runtime();
        let me = rt.current;
        let m = messages::take(rt, me).unwrap_unchecked();
        if !sender.is_null() {
            sender.write((*m).sender);
        }
        // A vec message's reference becomes the caller's (SPEC.md §13.6).
        let v = (*m).vec;
        if !v.is_null() {
            (*me).held.push(v);
        }
        messages::finish(rt, m);
        v
    }
}

unsafe extern "C" fn vec_alloc(capacity: u64) -> *mut RtVec {
    upcall::run(|| {
        // SAFETY: single-threaded, on the thread's stack; the running proc is live.
        let allocated = unsafe {
            let rt = &mut *runtime();
            let me = rt.current;
            vec::alloc((*me).id, &mut (*me).account, &mut rt.ledger, &mut (*me).held, capacity)
        };
        match allocated {
            Ok(v) => v,
            Err(failure) => sched::fail_current(failure),
        }
    })
}

unsafe extern "C" fn vec_share(v: *mut RtVec) -> *mut RtVec {
    // SAFETY: the crate passes a vec it holds (SPEC.md §6); the running proc is live.
    unsafe { vec::share(v, &mut (*current()).held) };
    v
}

unsafe extern "C" fn vec_release(v: *mut RtVec) {
    // SAFETY: single-threaded; only a reference the caller holds is released.
    unsafe {
        if (*current()).held.remove(v) {
            messages::drop_vec(&mut *runtime(), v);
        }
    }
}

unsafe extern "C" fn vec_write(pv: *mut *mut RtVec, offset: u64, bytes: *const u8, len: usize) -> i32 {
    // SAFETY: the crate passes a vec it holds and readable bytes (SPEC.md §13.4).
    match unsafe { vec::try_write_in_place(*pv, offset, bytes, len) } {
        Some(result) => result,
        None => vec_write_on_thread_stack(pv, offset, bytes, len),
    }
}

/// `vec_write` that copies or grows: on the thread's stack, where a failure
/// fails the writer.
#[cold]
#[inline(never)]
fn vec_write_on_thread_stack(pv: *mut *mut RtVec, offset: u64, bytes: *const u8, len: usize) -> i32 {
    upcall::run(|| {
        // SAFETY: single-threaded, on the thread's stack; as for `vec_write`.
        let written = unsafe {
            let rt = &mut *runtime();
            let me = rt.current;
            vec::write(
                (*me).id,
                &mut (*me).account,
                &mut rt.ledger,
                &mut (*me).held,
                &mut (*me).vec_copies,
                pv,
                offset,
                bytes,
                len,
            )
        };
        match written {
            Ok(written) => {
                if let Some(freed) = written.freed {
                    // SAFETY: single-threaded.
                    unsafe { (*runtime()).give_back(freed) };
                }
                written.result
            }
            Err(failure) => sched::fail_current(failure),
        }
    })
}

unsafe extern "C" fn tick(n: u64) {
    sched::yield_point(n)
}

static TABLE: RtTable = RtTable {
    header: RtTableHeader { magic: RT_MAGIC, abi_version: RT_ABI_VERSION, size: RT_TABLE_SIZE, write_out },
    runtime_name: c"reference-rt".as_ptr(),
    write_err,
    frame_call,
    stack_info,
    backtrace,
    spawn,
    yield_now,
    join,
    self_id,
    proc_env,
    send,
    receive,
    proc_info,
    vec_alloc,
    vec_share,
    vec_release,
    vec_write,
    send_vec,
    receive_vec,
    tick,
    runtime_info,
};

/// The table, for tests that act as a crate.
#[cfg(test)]
pub fn table() -> &'static RtTable {
    &TABLE
}

/// The frame in which the root proc runs the crate's `rust_entry` (SPEC.md §11.2).
pub static ENTRY_FRAME: FrameDesc = FrameDesc { size: StackModel::ENTRY_FRAME_SIZE, name: c"rust_entry".as_ptr() };

/// The root proc's body: the crate's entry point, called with the table.
unsafe extern "C" fn root_body(entry: u64) -> u64 {
    // SAFETY: `entry` is the crate entry `rt_start` was given.
    let entry: CrateEntry = unsafe { core::mem::transmute(entry as usize) };
    // SAFETY: TABLE is a complete table that lives forever.
    unsafe { entry(&TABLE) as u32 as u64 }
}

/// The runtime's one entry point, called by a crate's process entry stub
/// (SPEC.md §3): runs the crate as proc 1 and exits with its status.
///
/// # Safety
/// `entry` is a crate's rust entry point.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rt_start(entry: CrateEntry) -> ! {
    let status = sched::run_root(&ENTRY_FRAME, root_body, entry as usize as u64);
    // Modulo 256 on every platform (SPEC.md §5.2): a Windows exit code has
    // 32 bits, and Wine turns a nonzero one whose low byte is 0 into 1.
    os::exit(status & 0xff)
}
