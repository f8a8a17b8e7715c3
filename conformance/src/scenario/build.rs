//! Building a scenario piece by piece, and asking the model where the
//! pieces land (`Gen::predict`, `Gen::state_here`), so the generator can aim
//! the next piece at a boundary.

use scenario_format::{Desc, Event, Op, Program, Scenario, record};

use super::rng::Rng;
use crate::model::{self, Invalid, Prediction, Probes};

/// A scenario under construction: program 0 is the root's body.
pub(super) struct Gen {
    pub rng: Rng,
    pub seed: u64,
    pub descs: Vec<Desc>,
    pub programs: Vec<Program>,
}

/// The fields of a `STATE` record the generator aims with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct StateView {
    pub mem_budget: u64,
    pub curr_mem: u64,
    pub queued: u64,
    pub curr_ticks: u64,
    pub segment_index: u64,
    pub segments_held: u64,
    pub segment_size: u64,
    pub segment_live: u64,
    pub depth: u64,
}

impl StateView {
    pub fn of(event: &Event) -> StateView {
        let f = &event.fields;
        StateView {
            mem_budget: f[0],
            curr_mem: f[1],
            queued: f[2],
            curr_ticks: f[3],
            segment_index: f[6],
            segments_held: f[7],
            segment_size: f[8],
            segment_live: f[9],
            depth: f[12],
        }
    }

    /// Bytes left in the current segment.
    pub fn room(&self) -> u64 {
        self.segment_size - self.segment_live
    }
}

/// The block at `path` (indices of `FRAME`/`REPEAT` ops, outermost first).
pub(super) fn block_at<'a>(ops: &'a mut Vec<Op>, path: &[usize]) -> &'a mut Vec<Op> {
    let mut block = ops;
    for &index in path {
        block = block[index].body_mut().expect("a path through blocks");
    }
    block
}

impl Gen {
    pub fn new(seed: u64, rng: Rng) -> Gen {
        Gen { rng, seed, descs: Vec::new(), programs: vec![Program::default()] }
    }

    /// A descriptor, shared with an identical one already made.
    pub fn desc(&mut self, name: &str, size: u64) -> u16 {
        if let Some(index) = self.descs.iter().position(|d| d.name == name && d.size == size) {
            return index as u16;
        }
        self.descs.push(Desc { name: name.to_owned(), size });
        (self.descs.len() - 1) as u16
    }

    /// A descriptor of `size` bytes named after its size.
    pub fn sized(&mut self, size: u64) -> u16 {
        let name = if size < scenario_format::FULL_MIN_FRAME { format!("thin-{size}") } else { format!("f{size}") };
        self.desc(&name, size)
    }

    pub fn program(&mut self, ops: Vec<Op>, status: u32) -> u16 {
        self.programs.push(Program { ops, status });
        (self.programs.len() - 1) as u16
    }

    /// Appends an op to the root's program; returns its index there.
    pub fn root(&mut self, op: Op) -> usize {
        self.programs[0].ops.push(op);
        self.programs[0].ops.len() - 1
    }

    /// Appends an op to the block at `path` of program `program`.
    pub fn push(&mut self, program: u16, path: &[usize], op: Op) {
        block_at(&mut self.programs[program as usize].ops, path).push(op);
    }

    /// Appends a `FRAME` or `REPEAT` and moves `path` into its body.
    pub fn open(&mut self, program: u16, path: &mut Vec<usize>, op: Op) {
        let block = block_at(&mut self.programs[program as usize].ops, path);
        block.push(op);
        path.push(block.len() - 1);
    }

    pub fn scenario(&self) -> Scenario {
        Scenario { seed: self.seed, descs: self.descs.clone(), programs: self.programs.clone() }
    }

    pub fn predict(&self) -> Result<(Prediction, Probes), Invalid> {
        model::predict_with_probes(&self.scenario())
    }

    /// The id the next proc created will have, as things stand.
    pub fn next_id(&self) -> Result<u32, Invalid> {
        Ok(self.predict()?.1.procs_created + 1)
    }

    /// Spawns `program` from the root with `desc` and budgets, then joins it
    /// (so episodes run one after another). Returns the `SPAWN`'s index in
    /// the root's program and the id it will get.
    pub fn spawn_and_join(&mut self, program: u16, desc: u16, mem_budget: u64, tick_budget: u64) -> (usize, u32) {
        let id = self.next_id().unwrap_or(0);
        let env = self.rng.one_in(3);
        let at = self.root(Op::Spawn { program, desc, mem_budget, tick_budget, env });
        self.root(Op::Join { id, discarded_null: self.rng.one_in(4) });
        (at, id)
    }

    /// Sets the budgets of the root's `SPAWN` at `at`.
    pub fn set_budgets(&mut self, at: usize, mem: Option<u64>, ticks: Option<u64>) {
        let Op::Spawn { mem_budget, tick_budget, .. } = &mut self.programs[0].ops[at] else {
            panic!("root op {at} is not a SPAWN");
        };
        if let Some(mem) = mem {
            *mem_budget = mem;
        }
        if let Some(ticks) = ticks {
            *tick_budget = ticks;
        }
    }

    /// The `STATE` of proc `id` at the end of the block at `path` of
    /// `program`: a `RUNTIME_INFO` marker is appended there (and kept), and
    /// the `STATE` after its last record is read.
    pub fn state_here(&mut self, program: u16, path: &[usize], id: u32) -> Option<StateView> {
        self.push(program, path, Op::RuntimeInfo);
        let (prediction, _) = self.predict().ok()?;
        let events = &prediction.events;
        let marker = events.iter().rposition(|e| e.proc == id && e.kind == record::RUNTIME_INFO)?;
        let state = events[marker + 1..].iter().find(|e| e.proc == id && e.kind == record::STATE)?;
        Some(StateView::of(state))
    }
}

/// `F` of a declared size (SPEC.md §10.2).
pub(super) fn frame_bytes(size: u64) -> u64 {
    model::spec::frame_bytes(size)
}

/// A declared size whose frame takes exactly `bytes` (a multiple of 16, at
/// least 416): `bytes − 288`, or, half the time, up to 15 bytes less (the
/// same `F`, a size that is not a multiple of 16), staying in the same class
/// (thin or full) as `bytes − 288`.
pub(super) fn declared_for(bytes: u64, rng: &Rng) -> u64 {
    debug_assert!(bytes.is_multiple_of(16) && bytes >= 416, "{bytes}");
    let exact = bytes - model::spec::STARTUP_REGION;
    let lowered = exact - rng.range(1, 15);
    let same_class = (exact >= scenario_format::FULL_MIN_FRAME) == (lowered >= scenario_format::FULL_MIN_FRAME);
    if rng.one_in(2) || lowered < scenario_format::THIN_MIN_FRAME || !same_class {
        return exact;
    }
    lowered
}

// Ops, shortly.

pub(super) fn frame(desc: u16, ret: u32, body: Vec<Op>) -> Op {
    Op::Frame { desc, ret, body }
}

pub(super) fn repeat(count: u32, quiet: bool, body: Vec<Op>) -> Op {
    Op::Repeat { count, quiet, body }
}

pub(super) fn tick(n: u64) -> Op {
    Op::Tick { n }
}

pub(super) fn join(id: u32) -> Op {
    Op::Join { id, discarded_null: false }
}

pub(super) fn send(to: u32, len: u32, fill: u8) -> Op {
    Op::Send { to, len, fill, null: false }
}

pub(super) fn receive(cap: u32) -> Op {
    Op::Receive { cap, buf_null: false, sender_null: false }
}

pub(super) fn vec_alloc(slot: u8, capacity: u64) -> Op {
    Op::VecAlloc { slot, capacity }
}

pub(super) fn vec_write(slot: u8, offset: u64, len: u32, fill: u8) -> Op {
    Op::VecWrite { slot, offset, len, fill, null: false }
}

pub(super) fn spawn(program: u16, desc: u16, mem_budget: u64, tick_budget: u64) -> Op {
    Op::Spawn { program, desc, mem_budget, tick_budget, env: false }
}
