//! Copy-on-write, reference-counted vecs (seed lines 32–38; SPEC.md §13).
//!
//! ```text
//!   allocation:  [ Prefix (16 B, runtime-private) | RtVec header (32 B) | slots (size B) ]
//!                                                  ▲ the pointer crates see
//! ```
//!
//! `refs` is atomic, so a multi-threaded scheduler would not change the
//! semantics. Each reference belongs to a proc (listed in its `Held`) or to
//! a queued message; a proc's references are released when it ends. A vec
//! is charged to the proc that made it; when the last reference goes, the
//! caller learns whom to give the charge back to (`Freed`), since that may
//! be another proc, or one that has ended.

use core::sync::atomic::Ordering;

use rt_abi::{RT_VEC_BAD_OFFSET, RT_VEC_COPIED, RT_VEC_GROWN, RT_VEC_IN_PLACE, RtVec, StackModel};

use crate::budget::{Account, Failure, Kind, Ledger, Request};
use crate::{os, upcall};

/// What the runtime keeps in front of every vec.
#[repr(C)]
struct Prefix {
    /// The proc charged for the vec.
    owner: u32,
    _pad: [u32; 3],
}

const PREFIX: usize = size_of::<Prefix>();
const _: () = assert!(PREFIX == 16, "keeps the header 16-aligned");
const _: () = assert!(size_of::<RtVec>() as u64 == StackModel::VEC_HEADER);

/// The charge of a vec of `size` bytes (SPEC.md §13.7).
pub fn cost(size: u64) -> u64 {
    StackModel::VEC_HEADER.saturating_add(size)
}

/// A vec freed by its last release: whose account gets `cost` back.
#[derive(Clone, Copy, Debug)]
pub struct Freed {
    pub owner: u32,
    pub cost: u64,
}

/// The references a proc holds, one entry per reference.
pub struct Held {
    list: *mut *mut RtVec,
    len: u32,
    cap: u32,
}

impl Held {
    pub const fn new() -> Held {
        Held { list: core::ptr::null_mut(), len: 0, cap: 0 }
    }

    /// Records one more reference to `v`.
    pub fn push(&mut self, v: *mut RtVec) {
        if self.len == self.cap {
            upcall::run(|| self.grow());
        }
        // SAFETY: `len < cap` now; the list has `cap` entries.
        unsafe { self.list.add(self.len as usize).write(v) };
        self.len += 1;
    }

    /// Doubles the list. On the thread's stack.
    fn grow(&mut self) {
        let cap = (self.cap * 2).max(4);
        let list = os::alloc(cap as usize * size_of::<*mut RtVec>()) as *mut *mut RtVec;
        if list.is_null() {
            os::fatal(format_args!("out of memory for a proc's list of vec references"));
        }
        // SAFETY: both lists hold `len` entries; the old one came from os::alloc.
        unsafe {
            if !self.list.is_null() {
                core::ptr::copy_nonoverlapping(self.list, list, self.len as usize);
                os::dealloc(self.list as *mut u8);
            }
        }
        self.list = list;
        self.cap = cap;
    }

    /// Forgets one reference to `v`; false when there is none.
    pub fn remove(&mut self, v: *mut RtVec) -> bool {
        // The latest first: a release usually follows its share.
        for i in (0..self.len as usize).rev() {
            // SAFETY: `i < len`.
            unsafe {
                if *self.list.add(i) == v {
                    self.len -= 1;
                    *self.list.add(i) = *self.list.add(self.len as usize);
                    return true;
                }
            }
        }
        false
    }

    /// Takes the last reference, if any (a proc that ends releases them all).
    pub fn pop(&mut self) -> Option<*mut RtVec> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the old `len - 1 < cap`.
        Some(unsafe { *self.list.add(self.len as usize) })
    }

    /// Frees the list itself. On the thread's stack.
    pub fn free(&mut self) {
        if !self.list.is_null() {
            // SAFETY: from os::alloc, not used afterwards.
            unsafe { os::dealloc(self.list as *mut u8) };
        }
        *self = Held::new();
    }
}

/// Allocates a vec of `capacity` bytes, charged to `owner` (whose `account`
/// it is) and held by it (SPEC.md §13.3). On the thread's stack.
pub fn alloc(
    owner: u32,
    account: &mut Account,
    ledger: &mut Ledger,
    held: &mut Held,
    capacity: u64,
) -> Result<*mut RtVec, Failure> {
    account
        .try_charge(ledger, Kind::Vec, cost(capacity))
        .map_err(|over| Failure::memory(Request::Vec { size: capacity }, over))?;
    let bytes = usize::try_from(cost(capacity)).ok().and_then(|n| n.checked_add(PREFIX));
    let Some(bytes) = bytes else { os::fatal(format_args!("a vec of {capacity} bytes cannot exist")) };
    let block = os::alloc(bytes);
    if block.is_null() {
        os::fatal(format_args!("out of memory for a vec of {capacity} bytes"));
    }
    // SAFETY: `block` is fresh and big enough for prefix, header and slots.
    let v = unsafe {
        (block as *mut Prefix).write(Prefix { owner, _pad: [0; 3] });
        let v = block.add(PREFIX) as *mut RtVec;
        v.write(RtVec { refs: core::sync::atomic::AtomicU64::new(1), size: capacity, live: 0, init: 0, slots: [] });
        v
    };
    held.push(v);
    Ok(v)
}

/// One more reference to `v`, for the holder of `held` (SPEC.md §13.3).
///
/// # Safety
/// `v` is a live vec.
pub unsafe fn share(v: *mut RtVec, held: &mut Held) {
    // SAFETY: caller's promise.
    unsafe { (*v).refs.fetch_add(1, Ordering::Relaxed) };
    held.push(v);
}

/// One more reference to `v` for a queued message.
///
/// # Safety
/// `v` is a live vec.
pub unsafe fn add_ref(v: *mut RtVec) {
    // SAFETY: caller's promise.
    unsafe { (*v).refs.fetch_add(1, Ordering::Relaxed) };
}

/// Drops one reference to `v`; the last one frees the vec (on the thread's
/// stack) and says whose charge comes back.
///
/// # Safety
/// `v` is a live vec and the caller owns the reference it drops.
pub unsafe fn release(v: *mut RtVec) -> Option<Freed> {
    // SAFETY: caller's promise.
    if unsafe { (*v).refs.fetch_sub(1, Ordering::AcqRel) } != 1 {
        return None;
    }
    // SAFETY: the last reference is gone.
    Some(unsafe { free(v) })
}

/// Frees a vec nobody references. Cold and on the thread's stack.
///
/// # Safety
/// `v` is a live vec with no reference left.
#[cold]
#[inline(never)]
unsafe fn free(v: *mut RtVec) -> Freed {
    // SAFETY: caller's promise; the block starts PREFIX bytes before `v`.
    unsafe {
        let block = (v as *mut u8).sub(PREFIX);
        let freed = Freed { owner: (*(block as *mut Prefix)).owner, cost: cost((*v).size) };
        upcall::run(|| os::dealloc(block));
        freed
    }
}

/// The fast path of `vec_write` (SPEC.md §13.4 steps 1, 4, 5): a bad
/// offset, or a write in place. `None` when a copy or a growth is needed,
/// with nothing changed: then `write`, on the thread's stack.
///
/// # Safety
/// As for `write`.
#[inline(always)]
pub unsafe fn try_write_in_place(v: *mut RtVec, offset: u64, bytes: *const u8, len: usize) -> Option<i32> {
    // SAFETY: `v` is a live vec the caller holds; `bytes` is readable.
    unsafe {
        let Some(end) = offset.checked_add(len as u64) else { return Some(RT_VEC_BAD_OFFSET) };
        if offset > (*v).live {
            return Some(RT_VEC_BAD_OFFSET);
        }
        if (*v).refs.load(Ordering::Acquire) > 1 || end > (*v).size {
            return None;
        }
        if len > 0 {
            core::ptr::copy_nonoverlapping(bytes, RtVec::slots_ptr(v).add(offset as usize), len);
        }
        (*v).live = (*v).live.max(end);
        (*v).init = (*v).init.max((*v).live);
        Some(RT_VEC_IN_PLACE)
    }
}

/// What a write did, besides its result: the vec it replaced, when that
/// one was freed.
pub struct Written {
    pub result: i32,
    pub freed: Option<Freed>,
}

/// `vec_write` (SPEC.md §13.4) for proc `me`, which holds `*pv`.
///
/// # Safety
/// `*pv` is a live vec `held` lists; `bytes` is readable for `len` bytes
/// (or null when `len` is 0).
#[allow(clippy::too_many_arguments)]
pub unsafe fn write(
    me: u32,
    account: &mut Account,
    ledger: &mut Ledger,
    held: &mut Held,
    vec_copies: &mut u64,
    pv: *mut *mut RtVec,
    offset: u64,
    bytes: *const u8,
    len: usize,
) -> Result<Written, Failure> {
    // SAFETY: the caller's promises; see each step.
    unsafe {
        let mut v = *pv;
        // 1. No holes.
        let Some(end) = offset.checked_add(len as u64) else {
            return Ok(Written { result: RT_VEC_BAD_OFFSET, freed: None });
        };
        if offset > (*v).live {
            return Ok(Written { result: RT_VEC_BAD_OFFSET, freed: None });
        }
        let shared = (*v).refs.load(Ordering::Acquire) > 1;
        let mut written = Written { result: RT_VEC_IN_PLACE, freed: None };
        if shared || end > (*v).size {
            // 2. a private copy, 3. a bigger vec: charged while the old one counts.
            let size = if end > (*v).size { (*v).size.saturating_mul(2).max(end) } else { (*v).size };
            let old = v;
            let (new, freed) = upcall::run(|| -> Result<_, Failure> {
                let new = alloc(me, account, ledger, held, size)?;
                let live = (*old).live;
                core::ptr::copy_nonoverlapping(RtVec::slots_ptr(old), RtVec::slots_ptr(new), live as usize);
                (*new).live = live;
                (*new).init = live;
                held.remove(old);
                Ok((new, release(old)))
            })?;
            v = new;
            *pv = new;
            written.freed = freed;
            if shared {
                *vec_copies += 1;
                written.result = RT_VEC_COPIED;
            } else {
                written.result = RT_VEC_GROWN;
            }
        }
        // 5. The bytes.
        if len > 0 {
            core::ptr::copy_nonoverlapping(bytes, RtVec::slots_ptr(v).add(offset as usize), len);
        }
        (*v).live = (*v).live.max(end);
        (*v).init = (*v).init.max((*v).live);
        Ok(written)
    }
}
