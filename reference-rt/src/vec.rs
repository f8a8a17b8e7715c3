//! Copy-on-write, reference-counted vecs (seed lines 32–38).
//!
//! ```text
//!   allocation:  [ VecPrefix (16 B, runtime-private) | RtVec header (32 B) | slots (size B) ]
//!                                                     ▲ the pointer crates see
//! ```
//!
//! `refs` is atomic: sharing and the 1 → 0 release are compare-and-swap
//! loops, as in the original design, so a multi-threaded scheduler would not
//! change the semantics. Each reference belongs to a proc (listed in its
//! `held`) or to a queued message; a proc's references are released when it
//! ends, so a failed proc gives back every vec only it held.
//!
//! A vec is charged to the proc that made it (`VEC_HEADER + size`) until it
//! is freed, whoever releases it last.

use core::sync::atomic::Ordering;

use rt_abi::{RT_VEC_BAD_OFFSET, RT_VEC_COPIED, RT_VEC_GROWN, RT_VEC_IN_PLACE, RtVec, StackModel};

use crate::sched::{self, Proc};

/// What the runtime keeps in front of every vec.
#[repr(C)]
struct VecPrefix {
    /// The proc charged for the vec.
    owner: u32,
    _pad: [u32; 3],
}

const PREFIX: usize = size_of::<VecPrefix>();

/// Vecs alive, and their charges, for `runtime_info`.
pub struct Counter(core::cell::Cell<u64>);
// SAFETY: the runtime is single-threaded.
unsafe impl Sync for Counter {}
impl Counter {
    pub fn get(&self) -> u64 {
        self.0.get()
    }
    fn set(&self, v: u64) {
        self.0.set(v)
    }
}
pub static LIVE_VECS: Counter = Counter(core::cell::Cell::new(0));
pub static LIVE_VEC_BYTES: Counter = Counter(core::cell::Cell::new(0));
const _: () = assert!(size_of::<RtVec>() as u64 == StackModel::VEC_HEADER);

fn charge_of(size: u64) -> u64 {
    StackModel::VEC_HEADER.saturating_add(size)
}

/// Allocates a vec of `capacity` bytes for the running proc, charged to it
/// and held by it. Runs on the big stack; fails the proc past its budget.
fn new_vec(capacity: u64) -> *mut RtVec {
    let p = sched::current();
    // SAFETY: a proc is running.
    unsafe { sched::charge_current(charge_of(capacity), format_args!("a vec of {capacity} bytes")) };
    let Some(bytes) = usize::try_from(charge_of(capacity)).ok().and_then(|n| n.checked_add(PREFIX)) else {
        sched::fatal(format_args!("a vec of {capacity} bytes cannot exist"));
    };
    let block = crate::os::alloc(bytes);
    LIVE_VECS.set(LIVE_VECS.get() + 1);
    LIVE_VEC_BYTES.set(LIVE_VEC_BYTES.get() + charge_of(capacity));
    if block.is_null() {
        sched::fatal(format_args!("out of memory allocating a vec of {capacity} bytes"));
    }
    // SAFETY: `block` is fresh and big enough for prefix, header and slots.
    unsafe {
        (block as *mut VecPrefix).write(VecPrefix { owner: (*p).id, _pad: [0; 3] });
        let v = block.add(PREFIX) as *mut RtVec;
        v.write(RtVec { refs: core::sync::atomic::AtomicU64::new(1), size: capacity, live: 0, init: 0, slots: [] });
        hold(p, v);
        v
    }
}

/// Records that proc `p` holds one more reference to `v`. Runs on the big
/// stack (the list may grow).
///
/// # Safety
/// `p` is a live proc.
pub unsafe fn hold(p: *mut Proc, v: *mut RtVec) {
    // SAFETY: caller's promise.
    unsafe { (*p).held.push(v) };
}

/// Forgets one reference of proc `p` to `v`; false when it holds none.
///
/// # Safety
/// `p` is a live proc.
unsafe fn unhold(p: *mut Proc, v: *mut RtVec) -> bool {
    // SAFETY: caller's promise.
    let held = unsafe { &mut (*p).held };
    match held.iter().rposition(|&h| h == v) {
        Some(i) => {
            held.swap_remove(i);
            true
        }
        None => false,
    }
}

/// Adds a reference: compare-and-swap, as the original design.
///
/// # Safety
/// `v` is a live vec.
unsafe fn add_ref(v: *mut RtVec) {
    // SAFETY: caller's promise.
    let refs = unsafe { &(*v).refs };
    let mut current = refs.load(Ordering::Relaxed);
    while let Err(seen) = refs.compare_exchange_weak(current, current + 1, Ordering::Relaxed, Ordering::Relaxed) {
        current = seen;
    }
}

/// Drops a reference; at the last one (a 1 → 0 compare-and-swap) frees the
/// vec and returns its charge to its owner. Runs on the big stack.
///
/// # Safety
/// `v` is a live vec and the caller owns the reference it drops.
pub unsafe fn release_ref(v: *mut RtVec) {
    // SAFETY: caller's promise.
    let refs = unsafe { &(*v).refs };
    let mut current = refs.load(Ordering::Acquire);
    loop {
        match refs.compare_exchange_weak(current, current - 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(1) => break,
            Ok(_) => return,
            Err(seen) => current = seen,
        }
    }
    // SAFETY: the last reference is gone; the block starts PREFIX bytes before `v`.
    unsafe {
        let block = (v as *mut u8).sub(PREFIX);
        let owner = (*(block as *mut VecPrefix)).owner;
        sched::uncharge(owner, charge_of((*v).size));
        LIVE_VECS.set(LIVE_VECS.get() - 1);
        LIVE_VEC_BYTES.set(LIVE_VEC_BYTES.get() - charge_of((*v).size));
        crate::os::dealloc(block);
    }
}

// ---- the table's vec slots ----

pub unsafe extern "C" fn vec_alloc(capacity: u64) -> *mut RtVec {
    let mut v = core::ptr::null_mut();
    sched::on_big_stack(|| v = new_vec(capacity));
    v
}

pub unsafe extern "C" fn vec_share(v: *mut RtVec) -> *mut RtVec {
    let p = sched::current();
    // SAFETY: the crate passes a vec it holds (SPEC.md); the running proc is live.
    unsafe {
        add_ref(v);
        if (*p).held.len() < (*p).held.capacity() {
            hold(p, v);
        } else {
            sched::on_big_stack(|| hold(p, v));
        }
    }
    v
}

pub unsafe extern "C" fn vec_release(v: *mut RtVec) {
    let p = sched::current();
    // SAFETY: the running proc is live; only a held reference is released.
    unsafe {
        if unhold(p, v) {
            sched::on_big_stack(|| release_ref(v));
        }
    }
}

pub unsafe extern "C" fn vec_write(pv: *mut *mut RtVec, offset: u64, bytes: *const u8, len: usize) -> i32 {
    let p = sched::current();
    // SAFETY: the crate passes a vec it holds and `len` readable bytes (SPEC.md).
    unsafe {
        let mut v = *pv;
        if offset > (*v).live {
            return RT_VEC_BAD_OFFSET;
        }
        let Some(end) = offset.checked_add(len as u64) else {
            return RT_VEC_BAD_OFFSET;
        };
        let shared = (*v).refs.load(Ordering::Acquire) > 1;
        let mut result = RT_VEC_IN_PLACE;
        if shared || end > (*v).size {
            let capacity = if end > (*v).size { (*v).size.saturating_mul(2).max(end) } else { (*v).size };
            let old = v;
            sched::on_big_stack(|| {
                let new = new_vec(capacity);
                core::ptr::copy_nonoverlapping((*old).slots.as_ptr(), (*new).slots.as_mut_ptr(), (*old).live as usize);
                (*new).live = (*old).live;
                (*new).init = (*old).live;
                unhold(p, old);
                release_ref(old);
                v = new;
            });
            if shared {
                (*p).vec_copies += 1;
                result = RT_VEC_COPIED;
            } else {
                result = RT_VEC_GROWN;
            }
            *pv = v;
        }
        core::ptr::copy_nonoverlapping(bytes, (*v).slots.as_mut_ptr().add(offset as usize), len);
        (*v).live = (*v).live.max(end);
        (*v).init = (*v).init.max((*v).live);
        result
    }
}

pub unsafe extern "C" fn send_vec(to: u32, v: *mut RtVec) -> i32 {
    let mut result = 0;
    sched::on_big_stack(|| {
        // SAFETY: the crate passes a vec it holds; the message gets its own reference.
        unsafe { add_ref(v) };
        result = sched::queue_message(to, alloc::boxed::Box::new([]), v);
        if result != 0 {
            // SAFETY: the reference just added, not queued.
            unsafe { release_ref(v) };
        }
    });
    result
}
