//! The suite's executable model of the runtime ABI (SPEC.md, version 3): the
//! oracle that predicts, for any scenario, every record the interpreter crate
//! writes, the runtime's standard error and the process's exit status.
//!
//! It is an independent reading of SPEC.md (never of the reference runtime's
//! source) and of `crates-under-test/scenario-format/INTERPRETING.md`. Each
//! rule is applied where the code says `// §S.R`, so a reader can follow the
//! text. It is a simulation, not a coroutine runtime: every proc's position in
//! its program is explicit data (a stack of activations, `state::Act`), so the
//! scheduler can switch procs at any yield point, nested frames and repeats
//! included.
//!
//! Files, in the order of SPEC.md:
//!
//! - `state.rs`: the data (procs, segments, frames, vecs, messages, totals);
//! - `validate.rs`: what makes a scenario one the interpreter cannot run,
//!   checked before running it (the rest is checked as it runs);
//! - `stack.rs`: section 10 (segments, frames, `stack_info`, `backtrace`);
//! - `procs.rs`: section 11 (spawn, the run queue, join, ends, deadlock);
//! - `messages.rs`: section 12 (`send`, `receive`);
//! - `vecs.rs`: section 13 (vecs, charges, the memory budget, `runtime_info`);
//! - `ticks.rs`: section 14 (ticks, slices, the tick budget, failures);
//! - `interp.rs`: INTERPRETING.md (ops, records, the run loop);
//! - `coverage.rs`: the labels of the rule sites the model can report.
//!
//! Where the texts leave a question open, the model reads them as follows
//! (each reading has a coverage label, so the scenarios that depend on it
//! can be counted):
//!
//! - §10.2 against §13.8: a segment whose cost takes `curr_mem` past 2⁶⁴−1
//!   fails the proc (91) even under the unlimited budget, so the root can
//!   fail on an absurd frame (`§10.7 an absurd frame fails even an
//!   unlimited budget`). Vecs and messages follow §13.8's saturating sum.
//! - §10.5 against §13.8: a cached segment too small is freed before the new
//!   segment is charged, so a failing charge's TOTAL leaves it out.
//! - INTERPRETING.md: a quiet repeat silences its own proc only; a thin
//!   body's full frame writes `ENTER` (not `START`); `int32_t` results are
//!   sign-extended into record fields; a `RECEIVE_VEC` that returns null
//!   empties its slot; `guard_ok` is 1 for null buffers; proc ids over
//!   `MAX_PROCS − 1` are refused as operands too.
//! - What no machine can run is refused (`Invalid`): more than
//!   `limits::MAX_STEPS` steps, or more than `limits::MAX_RUNTIME_BYTES`
//!   held by the runtime at once.

use std::collections::BTreeMap;
use std::fmt;

use scenario_format::{Event, Scenario};

mod coverage;
mod interp;
mod messages;
mod procs;
mod stack;
mod state;
mod ticks;
mod validate;
mod vecs;

#[cfg(test)]
mod tests;

pub use coverage::LABELS;

/// SPEC.md's constants (sections 5, 10–14), transcribed from the text.
pub mod spec {
    /// §10: bytes of frame space of a proc's first segment.
    pub const FIRST_SEGMENT_SIZE: u64 = 768;
    /// §10: bytes charged per segment on top of its size.
    pub const SEGMENT_HEADER: u64 = 64;
    /// §10: the runtime's record at the top of every frame.
    pub const FRAME_RECORD: u64 = 32;
    /// §10: bytes of every frame kept for runtime code its function calls.
    pub const CALL_RESERVE: u64 = 256;
    /// §10.1: the start-up region of segment 0.
    pub const STARTUP_REGION: u64 = CALL_RESERVE + FRAME_RECORD;
    /// §10, §11.2: the declared size of the root's `rust_entry` frame.
    pub const ENTRY_FRAME_SIZE: u64 = 65536;
    /// §11.2: the root's body frame's name.
    pub const ENTRY_FRAME_NAME: &str = "rust_entry";
    /// §13.7: a proc's record.
    pub const PROC_CHARGE: u64 = 256;
    /// §13.1, §13.7: a vec's header.
    pub const VEC_HEADER: u64 = 32;
    /// §12.1, §13.7: a queued message's overhead.
    pub const MESSAGE_OVERHEAD: u64 = 32;
    /// §14.2: the time slice, in ticks.
    pub const TIME_SLICE: u64 = 1000;
    /// §11.3: what `spawn` charges a new proc: its record and segment 0.
    pub const SPAWN_COST: u64 = PROC_CHARGE + SEGMENT_HEADER + FIRST_SEGMENT_SIZE;
    /// §5: statuses.
    pub const EXIT_STACK_LIMIT: i32 = 91;
    pub const EXIT_MEMORY_BUDGET: i32 = 92;
    pub const EXIT_DEADLOCK: i32 = 93;
    pub const EXIT_TICK_BUDGET: i32 = 94;
    /// §11.6, §12.1: results.
    pub const NO_SUCH_PROC: i32 = -1;
    pub const JOIN_SELF: i32 = -2;
    /// §13.4: `vec_write`'s results.
    pub const VEC_IN_PLACE: i32 = 0;
    pub const VEC_COPIED: i32 = 1;
    pub const VEC_GROWN: i32 = 2;
    pub const VEC_BAD_OFFSET: i32 = -4;

    /// §10.2: `F = round_up(S, 16) + RT_FRAME_RECORD + RT_CALL_RESERVE`,
    /// saturating at 2⁶⁴−1.
    pub fn frame_bytes(declared: u64) -> u64 {
        let rounded = match declared.checked_add(15) {
            Some(sum) => sum & !15,
            None => u64::MAX,
        };
        rounded.saturating_add(FRAME_RECORD).saturating_add(CALL_RESERVE)
    }
}

/// The limits the model puts on a scenario on top of the interpreter's: a
/// scenario past them is `Invalid` (a real run would take too long or need
/// more memory than a test machine has).
pub mod limits {
    /// Ops executed (and frames left) in the whole run.
    pub const MAX_STEPS: u64 = 10_000_000;
    /// Bytes the runtime holds at once (`runtime_info().bytes`): past this a
    /// real allocation might fail, which SPEC.md §14.6 lets a runtime report
    /// as a fatal error, so the model cannot predict it.
    pub const MAX_RUNTIME_BYTES: u64 = 64 << 20;
    /// The deepest nesting of blocks in a program (the interpreter's limit
    /// is `MAX_NESTING`; the model stays one under it).
    pub const MAX_BLOCK_DEPTH: usize = scenario_format::MAX_NESTING - 1;
}

/// What the model predicts a run of a scenario shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    /// Every record the interpreter writes, in order.
    pub events: Vec<Event>,
    /// Every line the runtime writes to standard error (§14.5 templates).
    pub stderr: String,
    /// The process's exit status, 0..=255 (§5.2).
    pub exit_status: i32,
    /// How many times each labelled rule site (`LABELS`) was reached.
    pub coverage: BTreeMap<&'static str, u32>,
}

/// Why a scenario is not one the interpreter can run (one line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub(crate) fn new(why: impl Into<String>) -> Invalid {
        Invalid(why.into())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// What the model saw on the way, for the generator to aim with: every
/// budget check and every yield point, in the order they happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probes {
    pub charges: Vec<ChargeProbe>,
    pub yield_points: Vec<YieldProbe>,
    /// Every stack segment allocated after a proc's segment 0.
    pub segments: Vec<SegmentProbe>,
    /// Procs created in the whole run (the next id is one more).
    pub procs_created: u32,
    /// Every `SPAWN` executed: where the op is and the id it returned.
    pub spawns: Vec<SpawnProbe>,
}

/// A `SPAWN` op executed: its program, the indices leading to it (one per
/// level of nesting, the op's own last) and the id it returned (0: refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnProbe {
    pub program: usize,
    pub path: Vec<usize>,
    pub id: u32,
}

/// A segment allocated (§10.5): its proc, index and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentProbe {
    pub proc: u32,
    pub index: usize,
    pub size: u64,
}

/// What a charge was for (§13.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChargeKind {
    Segment,
    VecAlloc,
    VecCopy,
    VecGrowth,
    Message,
    VecMessage,
}

/// One budget check (§13.8): the proc's `curr_mem` before it and the cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChargeProbe {
    pub proc: u32,
    pub kind: ChargeKind,
    pub curr_mem: u64,
    pub cost: u64,
    pub mem_budget: u64,
    pub passed: bool,
}

/// One yield point (§14.2), after its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YieldProbe {
    pub proc: u32,
    /// A frame entry (true) or a `tick` (false).
    pub at_frame: bool,
    pub curr_ticks: u64,
    /// Ticks since the proc last started running, this point's included.
    pub slice: u64,
    pub tick_budget: u64,
}

/// Runs the scenario on the model.
pub fn predict(scenario: &Scenario) -> Result<Prediction, Invalid> {
    predict_with_probes(scenario).map(|(prediction, _)| prediction)
}

/// Runs the scenario on the model and also returns what it saw on the way.
pub fn predict_with_probes(scenario: &Scenario) -> Result<(Prediction, Probes), Invalid> {
    run_model(scenario, false)
}

/// `predict`, checking the model's books at every proc switch (it panics
/// when they disagree): for tests.
pub fn predict_audited(scenario: &Scenario) -> Result<Prediction, Invalid> {
    run_model(scenario, true).map(|(prediction, _)| prediction)
}

fn run_model(scenario: &Scenario, audit: bool) -> Result<(Prediction, Probes), Invalid> {
    validate::check_scenario(scenario)?;
    let mut model = state::Model::new(scenario);
    model.audit = audit;
    let exit_status = model.run_process()?;
    Ok(model.finish(exit_status))
}
