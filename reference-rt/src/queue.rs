//! Message queues (SPEC.md §12): each proc's FIFO of messages, and the pool
//! of message nodes they are made of.
//!
//! A message of up to `INLINE` bytes lives in its node; a longer one has a
//! heap copy. Nodes are reused through the pool, so a small send on a warm
//! runtime allocates nothing and can run on the proc's segment; allocation
//! and freeing run on the thread's stack (`upcall::run`).

use rt_abi::{RtVec, StackModel};

use crate::{os, upcall};

/// Bytes of payload a node carries itself.
pub const INLINE: usize = 40;

/// A queued message: bytes, or a reference to a vec.
pub struct Message {
    next: *mut Message,
    pub sender: u32,
    /// The bytes' length (0 for a vec message).
    pub len: u64,
    /// The vec a vec message holds a reference to; null for bytes.
    pub vec: *mut RtVec,
    /// The bytes, when longer than `INLINE`.
    heap: *mut u8,
    inline: [u8; INLINE],
}

impl Message {
    /// Its charge (SPEC.md §13.7).
    pub fn cost(&self) -> u64 {
        StackModel::MESSAGE_OVERHEAD + self.len
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        if self.heap.is_null() {
            &self.inline[..self.len as usize]
        } else {
            // SAFETY: `heap` holds `len` bytes copied by `set_bytes`.
            unsafe { core::slice::from_raw_parts(self.heap, self.len as usize) }
        }
    }

    /// Copies `len` bytes at `bytes` into the message, which must be at
    /// most `INLINE` (no allocation: a fast path).
    ///
    /// # Safety
    /// `bytes` is readable for `len` bytes (or null when `len` is 0).
    pub unsafe fn set_inline(&mut self, bytes: *const u8, len: usize) {
        debug_assert!(len <= INLINE);
        self.len = len as u64;
        self.vec = core::ptr::null_mut();
        if len > 0 {
            // SAFETY: caller's promise; the node holds INLINE bytes.
            unsafe { core::ptr::copy_nonoverlapping(bytes, self.inline.as_mut_ptr(), len) };
        }
    }

    /// Whether its bytes are in the node (no heap copy to free).
    pub fn is_inline(&self) -> bool {
        self.heap.is_null()
    }

    /// Copies `len` bytes at `bytes` into the message.
    ///
    /// # Safety
    /// `bytes` is readable for `len` bytes (or null when `len` is 0).
    pub unsafe fn set_bytes(&mut self, bytes: *const u8, len: usize) {
        self.len = len as u64;
        self.vec = core::ptr::null_mut();
        if len == 0 {
            return;
        }
        let dest = if len <= INLINE {
            self.inline.as_mut_ptr()
        } else {
            let heap = upcall::run(|| os::alloc(len));
            if heap.is_null() {
                upcall::run(|| os::fatal(format_args!("out of memory for a {len}-byte message")));
            }
            self.heap = heap;
            heap
        };
        // SAFETY: `dest` has room for `len` bytes; `bytes` is readable (caller's promise).
        unsafe { core::ptr::copy_nonoverlapping(bytes, dest, len) };
    }

    /// Makes it a vec message (its reference taken by the caller).
    pub fn set_vec(&mut self, v: *mut RtVec) {
        self.len = 0;
        self.vec = v;
    }
}

/// A proc's FIFO of messages (its record counts them, `Proc::queued`).
pub struct MessageQueue {
    head: *mut Message,
    tail: *mut Message,
}

impl MessageQueue {
    pub const fn new() -> MessageQueue {
        MessageQueue { head: core::ptr::null_mut(), tail: core::ptr::null_mut() }
    }

    /// Queues `m` last.
    ///
    /// # Safety
    /// `m` is a node from the pool, in no queue.
    pub unsafe fn push(&mut self, m: *mut Message) {
        // SAFETY: caller's promise; the tail, when there is one, is a live node.
        unsafe {
            (*m).next = core::ptr::null_mut();
            if self.tail.is_null() {
                self.head = m;
            } else {
                (*self.tail).next = m;
            }
        }
        self.tail = m;
    }

    /// The oldest message, left in the queue.
    pub fn peek(&self) -> Option<*mut Message> {
        (!self.head.is_null()).then_some(self.head)
    }

    /// Takes the oldest message.
    pub fn pop(&mut self) -> Option<*mut Message> {
        let m = self.head;
        if m.is_null() {
            return None;
        }
        // SAFETY: `m` is a live node of this queue.
        self.head = unsafe { (*m).next };
        if self.head.is_null() {
            self.tail = core::ptr::null_mut();
        }
        Some(m)
    }
}

/// Message nodes not in use.
pub struct Pool {
    free: *mut Message,
}

impl Pool {
    pub const fn new() -> Pool {
        Pool { free: core::ptr::null_mut() }
    }

    /// A pooled node, if there is one (no allocation: a fast path).
    pub fn take_pooled(&mut self) -> Option<*mut Message> {
        let m = self.free;
        if m.is_null() {
            return None;
        }
        // SAFETY: nodes in the pool are live.
        self.free = unsafe { (*m).next };
        Some(m)
    }

    /// A node, from the pool or newly allocated.
    pub fn take(&mut self) -> *mut Message {
        let m = self.free;
        if m.is_null() {
            let m = upcall::run(|| os::alloc(size_of::<Message>())) as *mut Message;
            if m.is_null() {
                upcall::run(|| os::fatal(format_args!("out of memory for a message")));
            }
            // SAFETY: a fresh allocation of a Message's size (os::alloc aligns to 16).
            unsafe { (*m).heap = core::ptr::null_mut() };
            return m;
        }
        // SAFETY: nodes in the pool are live.
        self.free = unsafe { (*m).next };
        m
    }

    /// Gives back a node whose bytes are inline (no freeing: a fast path).
    ///
    /// # Safety
    /// `m` came from `take` or `take_pooled`, is in no queue, and `is_inline`.
    pub unsafe fn give_inline(&mut self, m: *mut Message) {
        // SAFETY: caller's promise.
        unsafe { (*m).next = self.free };
        self.free = m;
    }

    /// Gives a node back, freeing its heap bytes.
    ///
    /// # Safety
    /// `m` came from `take` and is in no queue.
    pub unsafe fn give(&mut self, m: *mut Message) {
        // SAFETY: caller's promise.
        unsafe {
            let heap = (*m).heap;
            if !heap.is_null() {
                upcall::run(|| os::dealloc(heap));
                (*m).heap = core::ptr::null_mut();
            }
            (*m).next = self.free;
        }
        self.free = m;
    }

    /// Frees every pooled node (the runtime is torn down). On the thread's stack.
    #[cfg(test)]
    pub fn free_all(&mut self) {
        while !self.free.is_null() {
            let m = self.free;
            // SAFETY: pooled nodes are live and hold no heap bytes.
            unsafe {
                self.free = (*m).next;
                os::dealloc(m as *mut u8);
            }
        }
    }
}
