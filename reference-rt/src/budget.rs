//! Memory accounting (SPEC.md §13.7–§13.9): each proc's `Account`, the
//! runtime-wide `Ledger` behind `runtime_info`, and `Failure`, the reason a
//! proc fails, with the exact line SPEC.md §14.5 gives it.
//!
//! `Account::try_charge` is the one place that raises `curr_mem`, and it
//! checks first: a caller does `try_charge(…)?` before the request has any
//! other effect, so a failed request changes nothing. Failures are values,
//! carried up to the table's slot, which fails the proc (`sched`).

use core::ffi::{CStr, c_char};
use core::fmt;

use rt_abi::{ExitStatus, RuntimeInfo};

/// What a charge is for: the `runtime_info` count it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Proc,
    Segment,
    Vec,
    Message,
}

/// What is alive in the whole runtime and what it costs (SPEC.md §13.9),
/// whoever pays for it.
#[derive(Default)]
pub struct Ledger {
    info: RuntimeInfo,
}

impl Ledger {
    pub fn add(&mut self, kind: Kind, cost: u64) {
        *self.count(kind) += 1;
        self.info.bytes += cost;
    }

    pub fn remove(&mut self, kind: Kind, cost: u64) {
        *self.count(kind) -= 1;
        self.info.bytes -= cost;
    }

    fn count(&mut self, kind: Kind) -> &mut u64 {
        match kind {
            Kind::Proc => &mut self.info.procs,
            Kind::Segment => &mut self.info.segments,
            Kind::Vec => &mut self.info.vecs,
            Kind::Message => &mut self.info.messages,
        }
    }

    pub fn info(&self) -> RuntimeInfo {
        self.info
    }
}

/// A proc's memory: what it is charged and may be charged.
pub struct Account {
    curr_mem: u64,
    mem_budget: u64,
}

/// A charge that would take a proc past its budget.
#[derive(Clone, Copy, Debug)]
pub struct OverBudget {
    pub cost: u64,
    /// `curr_mem + cost`, saturating.
    pub total: u64,
    pub budget: u64,
}

impl Account {
    pub fn new(mem_budget: u64) -> Account {
        Account { curr_mem: 0, mem_budget }
    }

    pub fn curr_mem(&self) -> u64 {
        self.curr_mem
    }

    pub fn mem_budget(&self) -> u64 {
        self.mem_budget
    }

    /// Whether `cost` more fits the budget (SPEC.md §13.8): the sum is
    /// exact, and one past 2⁶⁴−1 is past every budget, the unlimited one
    /// included; the line shows it as 2⁶⁴−1.
    pub fn check(&self, cost: u64) -> Result<(), OverBudget> {
        match self.curr_mem.checked_add(cost) {
            Some(total) if total <= self.mem_budget => Ok(()),
            total => Err(OverBudget { cost, total: total.unwrap_or(u64::MAX), budget: self.mem_budget }),
        }
    }

    /// Checks, then charges `cost` for an object of `kind`.
    pub fn try_charge(&mut self, ledger: &mut Ledger, kind: Kind, cost: u64) -> Result<(), OverBudget> {
        self.check(cost)?;
        self.curr_mem += cost;
        ledger.add(kind, cost);
        Ok(())
    }

    /// Gives back what an object of `kind` cost.
    pub fn uncharge(&mut self, ledger: &mut Ledger, kind: Kind, cost: u64) {
        self.curr_mem -= cost;
        ledger.remove(kind, cost);
    }
}

/// What a proc asked for when it ran out of budget (SPEC.md §14.5 (b)).
#[derive(Clone, Copy, Debug)]
pub enum Request {
    Vec { size: u64 },
    Message { len: u64, to: u32 },
    VecMessage { to: u32 },
}

/// Why the runtime fails a proc.
#[derive(Clone, Copy, Debug)]
pub enum Failure {
    /// SPEC.md §10.7: a new segment past the budget.
    StackLimit { frame_name: *const c_char, frame_bytes: u64, segment_size: u64, over: OverBudget },
    /// SPEC.md §13.8: anything else past the budget.
    MemoryBudget { request: Request, over: OverBudget },
    /// SPEC.md §14.3.
    TickBudget { used: u64, budget: u64 },
}

impl Failure {
    pub fn memory(request: Request, over: OverBudget) -> Failure {
        Failure::MemoryBudget { request, over }
    }

    /// The proc's status (SPEC.md §5).
    pub fn status(&self) -> i32 {
        match self {
            Failure::StackLimit { .. } => ExitStatus::STACK_LIMIT,
            Failure::MemoryBudget { .. } => ExitStatus::MEMORY_BUDGET,
            Failure::TickBudget { .. } => ExitStatus::TICK_BUDGET,
        }
    }

    /// Writes the line the runtime writes (SPEC.md §14.5) for proc `id`,
    /// newline included, to `out`.
    pub fn write_line(&self, id: u32, out: &mut dyn Sink) {
        let mut text = Text(out);
        let _ = self.write_to(id, &mut text);
    }

    fn write_to(&self, id: u32, text: &mut Text<'_>) -> fmt::Result {
        use fmt::Write as _;
        write!(text, "rustrt: proc {id} failed: ")?;
        match *self {
            Failure::StackLimit { frame_name, frame_bytes, segment_size, over } => {
                text.write_str("stack limit: frame `")?;
                // The name's bytes as they are (SPEC.md §14.5 (a)).
                if frame_name.is_null() {
                    text.0.put(b"?");
                } else {
                    // SAFETY: a descriptor's name is NUL-terminated (rustrt.h, rt_frame_desc).
                    text.0.put(unsafe { CStr::from_ptr(frame_name) }.to_bytes());
                }
                write!(
                    text,
                    "` needs {frame_bytes} bytes, and a new {segment_size}-byte segment would bring the proc to {} \
                     of its {}-byte memory budget",
                    over.total, over.budget
                )?;
            }
            Failure::MemoryBudget { request, over } => {
                text.write_str("memory budget: ")?;
                match request {
                    Request::Vec { size } => write!(text, "a vec of {size} bytes")?,
                    Request::Message { len, to } => write!(text, "a {len}-byte message to proc {to}")?,
                    Request::VecMessage { to } => write!(text, "a vec message to proc {to}")?,
                }
                write!(
                    text,
                    " costs {} bytes, which would bring the proc to {} of its {}-byte memory budget",
                    over.cost, over.total, over.budget
                )?;
            }
            Failure::TickBudget { used, budget } => {
                write!(text, "tick budget: {used} ticks used, the budget is {budget}")?;
            }
        }
        text.write_str("\n")
    }
}

/// Where the runtime's lines go: bytes, not `str`, since a frame's name may
/// be any bytes.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// `fmt::Write` over a `Sink`.
pub struct Text<'a>(pub &'a mut dyn Sink);

impl fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.put(s.as_bytes());
        Ok(())
    }
}
