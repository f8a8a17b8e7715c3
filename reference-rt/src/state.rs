//! The runtime's state (seed lines 2–17): one `Runtime`, its procs, the
//! run queue.
//!
//! **Access.** The runtime is single-threaded (SPEC.md §6). Its state is one
//! static, reached as a raw pointer (`runtime()`); code makes short-lived
//! `&mut` from it and never holds one across a proc switch, an upcall or a
//! call into crate code. Procs are owned through one provenance: the raw
//! pointer their allocation gave, kept in `Runtime::entries` and in the
//! intrusive lists, freed by `free_record` when the proc ends.
//!
//! **Memory.** A proc's record and its segment 0 are one allocation (both
//! live exactly as long as the proc): `PROC_FOOTPRINT` bytes, the record
//! first. An id's entry is one word. An idle proc costs about 1 KiB.
//!
//! A proc record is the seed's `proc` (lines 2–12) split by owner: its
//! `Account` (budget.rs, the one writer of `curr_mem`), its `ProcStack`
//! (stack.rs), its `Held` vec references (vec.rs), its `MessageQueue`
//! (queue.rs), plus scheduling fields this module and `sched` keep.

use core::ffi::c_void;
use core::mem::MaybeUninit;

use rt_abi::{FrameDesc, FrameFn};

use crate::Global;
use crate::arch::Context;
use crate::budget::{Account, Kind, Ledger};
use crate::os;
use crate::queue::{MessageQueue, Pool};
use crate::stack::{self, ProcStack};
use crate::vec::{Freed, Held};

/// The root proc (SPEC.md §11.2).
pub const ROOT: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// In the run queue.
    Runnable,
    Running,
    /// Blocked in `receive` or `receive_vec`.
    Receiving,
    /// Blocked in `join` of this proc.
    Joining(u32),
}

/// Ticks (SPEC.md §14); the slice is `Proc::slice`.
pub struct Ticks {
    pub curr: u64,
    /// 0: none.
    pub budget: u64,
}

/// A proc's body: `entry(arg)` in a frame of `desc`, started when it first
/// runs. Kept at the bottom of segment 0's start-up region until then
/// (`ProcStack::start_up_scratch`), not in the record.
#[derive(Clone, Copy)]
pub struct Body {
    pub desc: *const FrameDesc,
    pub entry: FrameFn,
    pub arg: u64,
}

/// A proc's record. Small counters sit at this level rather than in their
/// parts, so that they pack: the record is what an idle proc costs besides
/// its first segment.
pub struct Proc {
    /// Its suspended context (when not running).
    pub ctx: Context,
    pub id: u32,
    pub state: State,
    /// Messages in `queue`.
    pub queued: u32,
    /// Ticks since the proc last started running (SPEC.md §14.2), saturating.
    pub slice: u32,
    pub account: Account,
    pub stack: ProcStack,
    pub held: Held,
    pub queue: MessageQueue,
    pub ticks: Ticks,
    pub vec_copies: u64,
    pub env: *mut c_void,
    /// The first proc blocked joining this one; the others follow through
    /// `join_next`, in the order they called `join`.
    joiners: *mut Proc,
    /// Its link in another proc's joiners.
    join_next: *mut Proc,
    /// Its link in the run queue.
    run_next: *mut Proc,
}

impl Proc {
    pub fn new(account: Account, stack: ProcStack, ticks_budget: u64, env: *mut c_void) -> Proc {
        Proc {
            ctx: Context::new(),
            id: 0,
            state: State::Runnable,
            queued: 0,
            slice: 0,
            account,
            stack,
            held: Held::new(),
            queue: MessageQueue::new(),
            ticks: Ticks { curr: 0, budget: ticks_budget },
            vec_copies: 0,
            env,
            joiners: core::ptr::null_mut(),
            join_next: core::ptr::null_mut(),
            run_next: core::ptr::null_mut(),
        }
    }
}

/// An intrusive FIFO of procs through a link field.
struct ProcList {
    head: *mut Proc,
    tail: *mut Proc,
}

impl ProcList {
    const fn new() -> ProcList {
        ProcList { head: core::ptr::null_mut(), tail: core::ptr::null_mut() }
    }

    /// Appends `p`, linking it through `link(p)`.
    ///
    /// # Safety
    /// `p` is live and in no list of this kind.
    unsafe fn push(&mut self, p: *mut Proc, link: impl Fn(*mut Proc) -> *mut *mut Proc) {
        // SAFETY: caller's promise; the tail is live.
        unsafe {
            *link(p) = core::ptr::null_mut();
            if self.tail.is_null() {
                self.head = p;
            } else {
                *link(self.tail) = p;
            }
        }
        self.tail = p;
    }

    /// Takes the first proc.
    fn pop(&mut self, link: impl Fn(*mut Proc) -> *mut *mut Proc) -> *mut Proc {
        let p = self.head;
        if !p.is_null() {
            // SAFETY: `p` is live, linked through `link`.
            self.head = unsafe { *link(p) };
            if self.head.is_null() {
                self.tail = core::ptr::null_mut();
            }
        }
        p
    }
}

fn run_link(p: *mut Proc) -> *mut *mut Proc {
    // SAFETY: a field of a live proc; no reference is made.
    unsafe { &raw mut (*p).run_next }
}

/// A proc's allocation: its segment 0 (16-aligned at the allocation's
/// start), then its record.
pub const PROC_FOOTPRINT: usize = stack::FIRST_FOOTPRINT + size_of::<Proc>();
const _: () = assert!(stack::FIRST_FOOTPRINT.is_multiple_of(align_of::<Proc>()));

/// Where a proc's record goes in its allocation.
pub fn record_in(block: *mut u8) -> *mut Proc {
    block.wrapping_add(stack::FIRST_FOOTPRINT).cast()
}

/// Frees a proc's record (and its segment 0 with it).
///
/// # Safety
/// `p` came from `record_in` of an allocation of `PROC_FOOTPRINT` bytes and
/// is not used afterwards; its stack has been freed (`ProcStack::free_all`).
pub unsafe fn free_record(p: *mut Proc) {
    // SAFETY: caller's promise; a Proc owns nothing that needs dropping.
    unsafe { os::dealloc((p as *mut u8).sub(stack::FIRST_FOOTPRINT)) }
}

/// A proc id's entry, one word: a live proc's record (even: records are
/// aligned), or, once it has ended, `status << 32 | discarded << 1 | 1`
/// for `join`.
#[derive(Clone, Copy)]
struct Entry(u64);

impl Entry {
    fn live(p: *mut Proc) -> Entry {
        Entry(p as u64)
    }

    fn ended(status: i32, discarded: u64) -> Entry {
        let discarded = discarded.min(u64::from(u32::MAX >> 1));
        Entry(u64::from(status as u32) << 32 | discarded << 1 | 1)
    }

    fn proc(self) -> Option<*mut Proc> {
        (self.0 & 1 == 0).then_some(self.0 as *mut Proc)
    }
}

/// What an id names.
pub enum Lookup {
    Never,
    Live(*mut Proc),
    Ended { status: i32, discarded: u64 },
}

pub struct Runtime {
    /// Indexed by id − 1: ids are never reused (SPEC.md §11.1).
    entries: alloc::vec::Vec<Entry>,
    run_queue: ProcList,
    /// The running proc.
    pub current: *mut Proc,
    pub ledger: Ledger,
    pub pool: Pool,
    /// The process's exit status, once proc 1 has ended or no proc can run.
    pub exit_status: i32,
}

static RUNTIME: Global<MaybeUninit<Runtime>> = Global::new(MaybeUninit::uninit());

/// The runtime's state. Valid once `init` ran.
pub fn runtime() -> *mut Runtime {
    // No reference is made (`as_mut_ptr` would take `&mut self` and
    // invalidate every pointer derived before); MaybeUninit<T> has T's layout.
    RUNTIME.get().cast::<Runtime>()
}

/// Creates the runtime's state (once, before any proc).
pub fn init() {
    // SAFETY: single-threaded, before anything reads it.
    unsafe {
        runtime().write(Runtime {
            entries: alloc::vec::Vec::new(),
            run_queue: ProcList::new(),
            current: core::ptr::null_mut(),
            ledger: Ledger::default(),
            pool: Pool::new(),
            exit_status: 0,
        })
    };
}

impl Runtime {
    /// What proc `id` is.
    pub fn lookup(&self, id: u32) -> Lookup {
        let Some(entry) = (id as usize).checked_sub(1).and_then(|i| self.entries.get(i)) else {
            return Lookup::Never;
        };
        match entry.proc() {
            Some(p) => Lookup::Live(p),
            None => Lookup::Ended { status: (entry.0 >> 32) as u32 as i32, discarded: (entry.0 as u32 >> 1) as u64 },
        }
    }

    /// Proc `id`, when it is alive.
    pub fn live(&self, id: u32) -> Option<*mut Proc> {
        match self.lookup(id) {
            Lookup::Live(p) => Some(p),
            _ => None,
        }
    }

    /// The procs alive, by id.
    pub fn live_procs(&self) -> impl Iterator<Item = *mut Proc> + '_ {
        self.entries.iter().filter_map(|e| e.proc())
    }

    /// Gives `p` the next id (SPEC.md §11.1). On the thread's stack.
    pub fn add(&mut self, p: *mut Proc) -> u32 {
        self.entries.push(Entry::live(p));
        let id = self.entries.len() as u32;
        // SAFETY: `p` is a fresh, live proc.
        unsafe { (*p).id = id };
        id
    }

    /// Records that proc `id` ended with `status`, leaving `discarded`
    /// messages; its record is the caller's to free.
    pub fn retire(&mut self, id: u32, status: i32, discarded: u64) {
        self.entries[id as usize - 1] = Entry::ended(status, discarded);
    }

    /// Puts `p` at the tail of the run queue (SPEC.md §11.4).
    ///
    /// # Safety
    /// `p` is live and not in the run queue.
    pub unsafe fn make_runnable(&mut self, p: *mut Proc) {
        // SAFETY: caller's promise.
        unsafe {
            (*p).state = State::Runnable;
            self.run_queue.push(p, run_link);
        }
    }

    /// Takes the proc at the head of the run queue (null when it is empty).
    pub fn next_runnable(&mut self) -> *mut Proc {
        self.run_queue.pop(run_link)
    }

    /// Makes `joiner` wait for `target` (SPEC.md §11.6).
    ///
    /// # Safety
    /// Both are live; `joiner` waits for nothing else.
    pub unsafe fn add_joiner(&mut self, target: *mut Proc, joiner: *mut Proc) {
        // SAFETY: caller's promise; the joiners of a live proc are live.
        unsafe {
            (*joiner).join_next = core::ptr::null_mut();
            let mut link = &raw mut (*target).joiners;
            while !(*link).is_null() {
                link = &raw mut (**link).join_next;
            }
            *link = joiner;
        }
    }

    /// Wakes the procs joining `p`, in the order they called `join`.
    ///
    /// # Safety
    /// `p` is live.
    pub unsafe fn wake_joiners(&mut self, p: *mut Proc) {
        // SAFETY: `p` and its joiners are live; a blocked joiner is in no run queue.
        unsafe {
            let mut joiner = (*p).joiners;
            (*p).joiners = core::ptr::null_mut();
            while !joiner.is_null() {
                let next = (*joiner).join_next;
                self.make_runnable(joiner);
                joiner = next;
            }
        }
    }

    /// Gives a freed vec's charge back to its maker, when it is alive
    /// (SPEC.md §13.7), and drops it from the ledger.
    pub fn give_back(&mut self, freed: Freed) {
        match self.live(freed.owner) {
            // SAFETY: a live proc; its account is a separate field.
            Some(p) => unsafe { (*p).account.uncharge(&mut self.ledger, Kind::Vec, freed.cost) },
            None => self.ledger.remove(Kind::Vec, freed.cost),
        }
    }

    /// Gives a message's charge back to its sender, when it is alive.
    pub fn give_back_message(&mut self, sender: u32, cost: u64) {
        match self.live(sender) {
            // SAFETY: a live proc.
            Some(p) => unsafe { (*p).account.uncharge(&mut self.ledger, Kind::Message, cost) },
            None => self.ledger.remove(Kind::Message, cost),
        }
    }
}
