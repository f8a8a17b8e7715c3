//! The runtime's state (seed lines 2–17): one `Runtime`, its procs, the
//! run queue.
//!
//! **Access.** The runtime is single-threaded (SPEC.md §6). Its state is one
//! static, reached as a raw pointer (`runtime()`); code makes short-lived
//! `&mut` from it and never holds one across a proc switch, an upcall or a
//! call into crate code. Procs are owned through one provenance: the raw
//! pointer `Box::into_raw` gave, kept in `Runtime::entries` and in the
//! intrusive lists, freed by `Box::from_raw` when the proc ends.
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
use crate::queue::{MessageQueue, Pool};
use crate::stack::ProcStack;
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

/// Ticks (SPEC.md §14).
pub struct Ticks {
    pub curr: u64,
    /// 0: none.
    pub budget: u64,
    /// Since the proc last started running.
    pub slice: u64,
}

/// A proc's body: `entry(arg)` in a frame of `desc`, started when it first runs.
#[derive(Clone, Copy)]
pub struct Body {
    pub desc: *const FrameDesc,
    pub entry: FrameFn,
    pub arg: u64,
}

pub struct Proc {
    /// Its suspended context (when not running).
    pub ctx: Context,
    pub id: u32,
    pub state: State,
    pub account: Account,
    pub stack: ProcStack,
    pub held: Held,
    pub queue: MessageQueue,
    pub ticks: Ticks,
    pub vec_copies: u64,
    pub env: *mut c_void,
    pub body: Body,
    /// Procs blocked joining this one, in the order they called `join`.
    joiners: ProcList,
    /// Its link in another proc's `joiners`.
    join_next: *mut Proc,
    /// Its link in the run queue.
    run_next: *mut Proc,
}

impl Proc {
    pub fn new(account: Account, stack: ProcStack, ticks_budget: u64, env: *mut c_void, body: Body) -> Proc {
        Proc {
            ctx: Context::new(),
            id: 0,
            state: State::Runnable,
            account,
            stack,
            held: Held::new(),
            queue: MessageQueue::new(),
            ticks: Ticks { curr: 0, budget: ticks_budget, slice: 0 },
            vec_copies: 0,
            env,
            body,
            joiners: ProcList::new(),
            join_next: core::ptr::null_mut(),
            run_next: core::ptr::null_mut(),
        }
    }
}

/// An intrusive FIFO of procs through one of their link fields.
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

fn join_link(p: *mut Proc) -> *mut *mut Proc {
    // SAFETY: a field of a live proc; no reference is made.
    unsafe { &raw mut (*p).join_next }
}

/// A proc id's entry: the live proc, or what an ended one left for `join`.
#[derive(Clone, Copy)]
struct Entry {
    /// Null once the proc has ended.
    proc: *mut Proc,
    status: i32,
    discarded: u32,
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
        if entry.proc.is_null() {
            Lookup::Ended { status: entry.status, discarded: u64::from(entry.discarded) }
        } else {
            Lookup::Live(entry.proc)
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
        self.entries.iter().map(|e| e.proc).filter(|p| !p.is_null())
    }

    /// Gives `p` the next id (SPEC.md §11.1). On the thread's stack.
    pub fn add(&mut self, p: *mut Proc) -> u32 {
        self.entries.push(Entry { proc: p, status: 0, discarded: 0 });
        let id = self.entries.len() as u32;
        // SAFETY: `p` is a fresh, live proc.
        unsafe { (*p).id = id };
        id
    }

    /// Records that proc `id` ended with `status`, leaving `discarded`
    /// messages; its record is the caller's to free.
    pub fn retire(&mut self, id: u32, status: i32, discarded: u64) {
        self.entries[id as usize - 1] = Entry { proc: core::ptr::null_mut(), status, discarded: discarded as u32 };
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
        // SAFETY: caller's promise.
        unsafe { (*target).joiners.push(joiner, join_link) }
    }

    /// Wakes the procs joining `p`, in the order they called `join`.
    ///
    /// # Safety
    /// `p` is live.
    pub unsafe fn wake_joiners(&mut self, p: *mut Proc) {
        loop {
            // SAFETY: `p` and its joiners are live.
            let joiner = unsafe { (*p).joiners.pop(join_link) };
            if joiner.is_null() {
                return;
            }
            // SAFETY: a blocked joiner is in no run queue.
            unsafe { self.make_runnable(joiner) };
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
