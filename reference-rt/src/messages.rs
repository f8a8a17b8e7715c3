//! Sending and receiving (SPEC.md §12, §13.6): what crosses from one proc
//! to another. Blocking is the scheduler's (`sched::receive_with`); this
//! module only moves messages and their charges.

use rt_abi::{RT_NO_SUCH_PROC, RtVec, StackModel};

use crate::budget::{Failure, Kind, Request};
use crate::queue::{INLINE, Message};
use crate::state::{Proc, Runtime, State};
use crate::vec;

/// What a message carries, for `send`.
pub enum Payload {
    Bytes { bytes: *const u8, len: usize },
    Vec(*mut RtVec),
}

/// `send` / `send_vec` from `me` to proc `to` (SPEC.md §12.1, §13.6): -1
/// for a proc that is not alive, whatever the budget; then the charge,
/// before anything else; then the message, and `to` woken if it waits.
///
/// # Safety
/// `me` is the running proc; the payload's bytes are readable, or its vec
/// is one `me` holds.
pub unsafe fn send(rt: &mut Runtime, me: *mut Proc, to: u32, payload: Payload) -> Result<i32, Failure> {
    let Some(target) = rt.live(to) else { return Ok(RT_NO_SUCH_PROC) };
    let (cost, request) = match payload {
        Payload::Bytes { len, .. } => {
            let len = len as u64;
            (StackModel::MESSAGE_OVERHEAD.saturating_add(len), Request::Message { len, to })
        }
        Payload::Vec(_) => (StackModel::MESSAGE_OVERHEAD, Request::VecMessage { to }),
    };
    // SAFETY: `me` and `target` are live (possibly the same proc: the
    // fields used are disjoint).
    unsafe {
        (*me).account.try_charge(&mut rt.ledger, Kind::Message, cost).map_err(|over| Failure::memory(request, over))?;
        let m = rt.pool.take();
        (*m).sender = (*me).id;
        match payload {
            Payload::Bytes { bytes, len } => (*m).set_bytes(bytes, len),
            Payload::Vec(v) => {
                vec::add_ref(v);
                (*m).set_vec(v);
            }
        }
        (*target).queue.push(m);
        (*target).queued += 1;
        if (*target).state == State::Receiving {
            rt.make_runnable(target);
        }
    }
    Ok(0)
}

/// The fast path of `send`: a byte message of at most `INLINE` bytes into a
/// pooled node, within the sender's budget. `None` when something else is
/// needed (a failure, an allocation), with nothing changed: then `send`,
/// on the thread's stack.
///
/// # Safety
/// As for `send`.
#[inline(always)]
pub unsafe fn try_send_inline(rt: &mut Runtime, me: *mut Proc, to: u32, bytes: *const u8, len: usize) -> Option<i32> {
    let Some(target) = rt.live(to) else { return Some(RT_NO_SUCH_PROC) };
    if len > INLINE {
        return None;
    }
    let cost = StackModel::MESSAGE_OVERHEAD + len as u64;
    // SAFETY: `me` and `target` are live (fields used are disjoint when they
    // are the same proc); `bytes` is readable (caller's promise).
    unsafe {
        (*me).account.check(cost).ok()?;
        let m = rt.pool.take_pooled()?;
        if (*me).account.try_charge(&mut rt.ledger, Kind::Message, cost).is_err() {
            unreachable!("checked above");
        }
        (*m).sender = (*me).id;
        (*m).set_inline(bytes, len);
        (*target).queue.push(m);
        (*target).queued += 1;
        if (*target).state == State::Receiving {
            rt.make_runnable(target);
        }
    }
    Some(0)
}

/// What the fast path of `receive` did.
pub enum Received {
    /// A message of bytes in its node: its length.
    Inline(usize),
    /// The queue is empty: wait, then try again.
    Empty,
    /// Something the thread's stack must handle (a vec message, heap bytes).
    Other,
}

/// The fast path of `receive` (SPEC.md §12.3): a message whose bytes are in
/// its node. Nothing changes unless it returns `Inline`.
///
/// # Safety
/// `me` is the running proc; `buf` has `cap` writable bytes; `sender` is
/// null or writable.
#[inline(always)]
pub unsafe fn try_receive_inline(
    rt: &mut Runtime,
    me: *mut Proc,
    buf: *mut u8,
    cap: usize,
    sender: *mut u32,
) -> Received {
    // SAFETY: `me` is live; its queue's nodes are live.
    unsafe {
        let Some(m) = (*me).queue.peek() else { return Received::Empty };
        if !(*m).vec.is_null() || !(*m).is_inline() {
            return Received::Other;
        }
        let m = take(rt, me).unwrap_unchecked();
        if !sender.is_null() {
            sender.write((*m).sender);
        }
        let bytes = (*m).bytes();
        let n = bytes.len().min(cap);
        if n > 0 {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, n);
        }
        let len = bytes.len();
        rt.pool.give_inline(m);
        Received::Inline(len)
    }
}

/// Takes `me`'s oldest message and gives its charge back to its sender
/// (SPEC.md §12.3); the caller finishes with it by `finish`.
///
/// # Safety
/// `me` is the running proc.
pub unsafe fn take(rt: &mut Runtime, me: *mut Proc) -> Option<*mut Message> {
    // SAFETY: `me` is live; its queue's nodes are live.
    unsafe {
        let m = (*me).queue.pop()?;
        (*me).queued -= 1;
        rt.give_back_message((*m).sender, (*m).cost());
        Some(m)
    }
}

/// Returns a taken message's node to the pool.
///
/// # Safety
/// `m` came from `take` and its vec reference, if any, has been moved out
/// or released.
pub unsafe fn finish(rt: &mut Runtime, m: *mut Message) {
    // SAFETY: caller's promise.
    unsafe { rt.pool.give(m) }
}

/// Releases a taken vec message's reference (a `receive` of it, or a
/// discard), giving back the vec's charge when that was the last one.
///
/// # Safety
/// `v` is the message's live vec.
pub unsafe fn drop_vec(rt: &mut Runtime, v: *mut RtVec) {
    // SAFETY: caller's promise.
    if let Some(freed) = unsafe { vec::release(v) } {
        rt.give_back(freed);
    }
}

/// Discards every message queued to `p`, which is ending (SPEC.md §11.7);
/// returns how many. On the thread's stack.
///
/// # Safety
/// `p` is live.
pub unsafe fn discard_all(rt: &mut Runtime, p: *mut Proc) -> u64 {
    let mut n = 0;
    // SAFETY: `p` is live; taken messages are live until finished.
    unsafe {
        while let Some(m) = take(rt, p) {
            if !(*m).vec.is_null() {
                drop_vec(rt, (*m).vec);
            }
            finish(rt, m);
            n += 1;
        }
    }
    n
}
