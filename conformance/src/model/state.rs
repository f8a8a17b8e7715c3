//! The model's data: the whole runtime (`Model`), its procs with their
//! segments, frames and position in their programs, vecs, messages, and the
//! runtime-wide totals of §13.9. The functions here only keep the books; the
//! rules that decide what happens live in the files named after SPEC.md's
//! sections.

use std::collections::{BTreeMap, VecDeque};

use scenario_format::{Event, Op, Scenario, VEC_SLOTS, record};

use super::spec::{
    ENTRY_FRAME_NAME, ENTRY_FRAME_SIZE, FIRST_SEGMENT_SIZE, MESSAGE_OVERHEAD, PROC_CHARGE, SEGMENT_HEADER,
    STARTUP_REGION, VEC_HEADER,
};
use super::{Invalid, Prediction, Probes, SegmentProbe, limits};

/// A stack segment (§10.1): `size` bytes of frame space, `live` of them used.
#[derive(Clone, Copy, Debug)]
pub(super) struct Segment {
    pub size: u64,
    pub live: u64,
}

/// A frame descriptor as the model needs it: its name in records (the
/// scenario's index or `DESC_ROOT`), declared size and name.
#[derive(Clone, Copy, Debug)]
pub(super) struct FrameDesc<'s> {
    pub record_name: u64,
    pub size: u64,
    pub name: &'s str,
}

impl FrameDesc<'static> {
    /// §11.2: the root's body frame, a descriptor of the runtime's own.
    pub fn root() -> FrameDesc<'static> {
        FrameDesc { record_name: scenario_format::DESC_ROOT, size: ENTRY_FRAME_SIZE, name: ENTRY_FRAME_NAME }
    }
}

/// A frame entered and not left (§10.4): what `backtrace` reports and what
/// leaving it gives back.
#[derive(Clone, Copy, Debug)]
pub(super) struct FrameRecord {
    pub desc: u64,
    pub segment: usize,
    pub bytes: u64,
}

/// One level of a proc's position in its program: a frame's function running
/// a block, or a `REPEAT` running its body.
#[derive(Clone, Copy, Debug)]
pub(super) enum Act<'s> {
    Frame {
        ops: &'s [Op],
        next: usize,
        /// The full function (records) or the thin one (none).
        full: bool,
        /// The descriptor's name in records, for the caller's `LEAVE`.
        desc: u64,
        /// The `ret` of a `FRAME` op, or the program's status for a body.
        ret: u64,
        /// A thin frame's child frame's result (0 when it has none).
        child_result: u64,
        /// The proc's body frame.
        body: bool,
    },
    Repeat {
        ops: &'s [Op],
        next: usize,
        left: u32,
        quiet: bool,
    },
}

/// Where a proc stopped in the middle of a table call, to go on from there
/// when it runs again.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pending<'s> {
    /// Nothing: the next op is next.
    Nothing,
    /// A new proc: its body frame is still to be entered (§11.3).
    Start,
    /// Preempted at its body frame's entry: the frame is still to be placed.
    PlaceBody,
    /// Preempted at a `FRAME` op's entry (§10.4 (a)): the frame is still to be placed.
    PlaceFrame {
        desc: u16,
        ret: u32,
        body: &'s [Op],
    },
    /// `yield_now` or a preemption inside `tick` returns: the op's record is next.
    Yielded,
    Ticked,
    /// Blocked in (or about to return from) `receive`, `receive_vec`, `join`.
    Receive {
        cap: u32,
        buf_null: bool,
        sender_null: bool,
    },
    ReceiveVec {
        slot: u8,
        sender_null: bool,
    },
    Join {
        id: u32,
        discarded_null: bool,
    },
}

/// A proc's place in the scheduler (§11.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Life {
    Running,
    Runnable,
    WaitsForMessage,
    WaitsForProc(u32),
    Ended(i32),
}

/// What a message carries (§12, §13.6).
#[derive(Clone, Debug)]
pub(super) enum Payload {
    Bytes(Vec<u8>),
    Vec(usize),
}

/// A queued message: its sender, its payload and the charge it holds.
#[derive(Clone, Debug)]
pub(super) struct Message {
    pub sender: u32,
    pub payload: Payload,
    pub cost: u64,
}

/// A proc: its budgets and counters, stack, program position, queue, vecs.
#[derive(Clone, Debug)]
pub(super) struct Proc<'s> {
    pub id: u32,
    pub body: FrameDesc<'s>,
    pub body_full: bool,
    pub program: usize,
    pub program_ops: &'s [Op],
    pub program_status: u32,
    pub mem_budget: u64,
    pub curr_mem: u64,
    pub tick_budget: u64,
    pub curr_ticks: u64,
    pub slice: u64,
    pub vec_copies: u64,
    pub segments: Vec<Segment>,
    pub current: usize,
    pub segments_allocated: u64,
    pub segments_freed: u64,
    pub frames: Vec<FrameRecord>,
    pub acts: Vec<Act<'s>>,
    pub pending: Pending<'s>,
    /// Quiet repeats the proc is inside (records are written at 0).
    pub quiet_depth: u32,
    pub queue: VecDeque<Message>,
    /// Vec references the proc owns, by vec.
    pub held: BTreeMap<usize, u32>,
    /// The interpreter's vec slots: the vec each one names.
    pub slots: [Option<usize>; VEC_SLOTS as usize],
    pub life: Life,
    /// Procs blocked in `join` of this one, in the order they called it.
    pub joiners: Vec<u32>,
    /// Messages left unread when it ended (§11.6).
    pub discarded: u64,
    /// It ended by failing (§10.7, §13.8, §14.3).
    pub failed: bool,
}

impl<'s> Proc<'s> {
    pub fn is_alive(&self) -> bool {
        !matches!(self.life, Life::Ended(_))
    }

    pub fn segment(&self) -> &Segment {
        &self.segments[self.current]
    }

    pub fn held_count(&self, vec: usize) -> u32 {
        self.held.get(&vec).copied().unwrap_or(0)
    }
}

/// A vec (§13.1). Its index in `Model::vecs` is its index in the
/// interpreter's registry: every vec is registered when made.
#[derive(Clone, Debug)]
pub(super) struct VecObject {
    pub refs: u64,
    pub size: u64,
    /// `slots[0..live]`; `live` is its length.
    pub bytes: Vec<u8>,
    pub init: u64,
    /// The proc charged for it (§13.7).
    pub maker: u32,
    pub alive: bool,
}

impl VecObject {
    pub fn live(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// §13.9: what exists runtime-wide, kept as things are made and freed.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Totals {
    pub procs: u64,
    pub segments: u64,
    pub vecs: u64,
    pub messages: u64,
    pub bytes: u64,
}

/// How a proc's run stops, for the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    /// The proc goes on with its next op.
    Continue,
    /// The proc stopped (yielded, was preempted, blocked, ended or failed):
    /// the head of the run queue runs next.
    Switch,
    /// The process exits with this status (0..=255).
    Exit(i32),
}

/// The whole runtime, plus what the model writes down.
pub(super) struct Model<'s> {
    pub scenario: &'s Scenario,
    /// `procs[id - 1]`.
    pub procs: Vec<Proc<'s>>,
    pub vecs: Vec<VecObject>,
    pub run_queue: VecDeque<u32>,
    pub totals: Totals,
    pub events: Vec<Event>,
    pub stderr: String,
    pub coverage: BTreeMap<&'static str, u32>,
    pub probes: Probes,
    pub steps: u64,
    /// Procs inside a quiet repeat.
    pub quiet_procs: u32,
    /// Check the books at every switch (tests).
    pub audit: bool,
}

impl<'s> Model<'s> {
    pub fn new(scenario: &'s Scenario) -> Model<'s> {
        Model {
            scenario,
            procs: Vec::new(),
            vecs: Vec::new(),
            run_queue: VecDeque::new(),
            totals: Totals::default(),
            events: Vec::new(),
            stderr: String::new(),
            coverage: BTreeMap::new(),
            probes: Probes::default(),
            steps: 0,
            quiet_procs: 0,
            audit: false,
        }
    }

    pub fn finish(mut self, exit_status: i32) -> (Prediction, Probes) {
        self.probes.procs_created = self.procs.len() as u32;
        let prediction = Prediction { events: self.events, stderr: self.stderr, exit_status, coverage: self.coverage };
        (prediction, self.probes)
    }

    /// Counts a labelled rule site (see `coverage::LABELS`).
    pub fn cover(&mut self, label: &'static str) {
        *self.coverage.entry(label).or_insert(0) += 1;
    }

    pub fn proc(&self, id: u32) -> &Proc<'s> {
        &self.procs[id as usize - 1]
    }

    pub fn proc_mut(&mut self, id: u32) -> &mut Proc<'s> {
        &mut self.procs[id as usize - 1]
    }

    /// The proc `id`, when it was ever created.
    pub fn created(&self, id: u32) -> Option<&Proc<'s>> {
        if id == 0 {
            return None;
        }
        self.procs.get(id as usize - 1)
    }

    /// Keeps one step of the run within `limits::MAX_STEPS`.
    pub fn count_step(&mut self) -> Result<(), Invalid> {
        self.steps += 1;
        if self.steps > limits::MAX_STEPS {
            return Err(Invalid::new(format!("the run takes more than {} steps", limits::MAX_STEPS)));
        }
        Ok(())
    }

    /// Checks that what the runtime holds stays within what a machine has.
    pub fn check_real_memory(&self) -> Result<(), Invalid> {
        if self.totals.bytes > limits::MAX_RUNTIME_BYTES {
            return Err(Invalid::new(format!(
                "the runtime would hold {} bytes at once, past the model's limit of {}",
                self.totals.bytes,
                limits::MAX_RUNTIME_BYTES
            )));
        }
        Ok(())
    }

    // Records (INTERPRETING.md): written by full frames, outside quiet repeats.

    /// Where the op the proc is executing is: its program and the index of
    /// the op at each level of nesting (each act was entered by the op just
    /// before its enclosing act's `next`).
    pub fn op_path(&self, id: u32) -> (usize, Vec<usize>) {
        let p = self.proc(id);
        let path = p
            .acts
            .iter()
            .map(|act| match act {
                Act::Frame { next, .. } | Act::Repeat { next, .. } => next - 1,
            })
            .collect();
        (p.program, path)
    }

    /// Whether the proc's records are written now.
    pub fn writes_records(&self, id: u32) -> bool {
        self.proc(id).quiet_depth == 0
    }

    pub fn emit(&mut self, id: u32, kind: u8, fields: Vec<u64>) {
        if !self.writes_records(id) {
            return;
        }
        if self.quiet_procs > 0 {
            // INTERPRETING.md: "quiet = 1 suppresses every record inside …
            // procs' own records included": read as each proc's own records
            // (another proc's quiet repeat silences nothing here).
            self.cover("INTERPRETING a proc writes records while another is in a quiet repeat");
        }
        self.events.push(Event::new(kind, id, fields));
    }

    /// `STATE`: `proc_info` then `stack_info` (§12.4, §10.9).
    pub fn emit_state(&mut self, id: u32) {
        if !self.writes_records(id) {
            return;
        }
        let p = self.proc(id);
        let segment = p.segment();
        let fields = vec![
            p.mem_budget,
            p.curr_mem,
            p.queue.len() as u64,
            p.curr_ticks,
            p.tick_budget,
            p.vec_copies,
            p.current as u64,
            p.segments.len() as u64,
            segment.size,
            segment.live,
            p.segments_allocated,
            p.segments_freed,
            p.frames.len() as u64,
            record::FLAGS_ALL,
        ];
        self.events.push(Event::new(record::STATE, id, fields));
    }

    /// An op's record followed by its `STATE`.
    pub fn emit_op(&mut self, id: u32, kind: u8, fields: Vec<u64>) {
        self.emit(id, kind, fields);
        self.emit_state(id);
    }

    // Book-keeping of what exists (§13.7 charges, §13.9 totals).

    /// Makes a proc: its record and segment 0, charged to it (§11.3, §10.1).
    pub fn create_proc(&mut self, body: FrameDesc<'s>, body_full: bool, program: usize, budgets: (u64, u64)) -> u32 {
        let id = self.procs.len() as u32 + 1;
        let program_index = program;
        let program = &self.scenario.programs[program];
        let (mem_budget, tick_budget) = budgets;
        self.procs.push(Proc {
            id,
            body,
            body_full,
            program: program_index,
            program_ops: &program.ops,
            program_status: program.status,
            mem_budget,
            curr_mem: PROC_CHARGE + SEGMENT_HEADER + FIRST_SEGMENT_SIZE,
            tick_budget,
            curr_ticks: 0,
            slice: 0,
            vec_copies: 0,
            segments: vec![Segment { size: FIRST_SEGMENT_SIZE, live: STARTUP_REGION }],
            current: 0,
            segments_allocated: 1,
            segments_freed: 0,
            frames: Vec::new(),
            acts: Vec::new(),
            pending: Pending::Start,
            quiet_depth: 0,
            queue: VecDeque::new(),
            held: BTreeMap::new(),
            slots: [None; VEC_SLOTS as usize],
            life: Life::Runnable,
            joiners: Vec::new(),
            discarded: 0,
            failed: false,
        });
        self.totals.procs += 1;
        self.totals.segments += 1;
        self.totals.bytes += PROC_CHARGE + SEGMENT_HEADER + FIRST_SEGMENT_SIZE;
        id
    }

    /// A new segment after the proc's last one (already charged).
    pub fn push_segment(&mut self, id: u32, size: u64) {
        let p = self.proc_mut(id);
        p.segments.push(Segment { size, live: 0 });
        p.segments_allocated += 1;
        let index = p.segments.len() - 1;
        self.probes.segments.push(SegmentProbe { proc: id, index, size });
        self.totals.segments += 1;
        self.totals.bytes += SEGMENT_HEADER + size;
    }

    /// Frees the proc's last segment (§10.5, §10.6): it counts in `segments_freed`.
    pub fn pop_segment(&mut self, id: u32) {
        let p = self.proc_mut(id);
        let segment = p.segments.pop().expect("a segment to free");
        p.segments_freed += 1;
        p.curr_mem -= SEGMENT_HEADER + segment.size;
        self.totals.segments -= 1;
        self.totals.bytes -= SEGMENT_HEADER + segment.size;
    }

    /// A new vec (already charged to `maker`), one reference held by it.
    pub fn create_vec(&mut self, maker: u32, size: u64, bytes: Vec<u8>) -> Result<usize, Invalid> {
        if self.vecs.len() >= scenario_format::MAX_REGISTRY {
            return Err(Invalid::new(format!(
                "the interpreter's vec registry would pass its {} entries",
                scenario_format::MAX_REGISTRY
            )));
        }
        let init = bytes.len() as u64;
        self.vecs.push(VecObject { refs: 1, size, bytes, init, maker, alive: true });
        let vec = self.vecs.len() - 1;
        *self.proc_mut(maker).held.entry(vec).or_insert(0) += 1;
        self.totals.vecs += 1;
        self.totals.bytes += VEC_HEADER + size;
        Ok(vec)
    }

    /// Frees a vec whose last reference went (§13.3, §13.7): its charge goes
    /// back to its maker, unless the maker has ended.
    pub fn free_vec(&mut self, vec: usize) {
        let object = &mut self.vecs[vec];
        object.alive = false;
        let (maker, cost) = (object.maker, VEC_HEADER + object.size);
        self.totals.vecs -= 1;
        self.totals.bytes -= cost;
        if !self.proc(maker).is_alive() {
            self.cover("§13.7 vec freed after its maker ended");
            return;
        }
        self.proc_mut(maker).curr_mem -= cost;
    }

    /// Drops one reference that is not a proc's (a message's): `refs − 1`,
    /// freeing the vec at 0.
    pub fn drop_reference(&mut self, vec: usize) {
        let object = &mut self.vecs[vec];
        object.refs -= 1;
        if object.refs == 0 {
            self.free_vec(vec);
        }
    }

    /// Drops one of the proc's own references to a vec it holds.
    pub fn drop_held_reference(&mut self, id: u32, vec: usize) {
        let p = self.proc_mut(id);
        let count = p.held.get_mut(&vec).expect("a held vec");
        *count -= 1;
        if *count == 0 {
            p.held.remove(&vec);
        }
        self.drop_reference(vec);
    }

    /// Queues a message (already charged to its sender).
    pub fn queue_message(&mut self, to: u32, message: Message) {
        self.totals.messages += 1;
        self.totals.bytes += message.cost;
        self.proc_mut(to).queue.push_back(message);
    }

    /// Takes a message off a queue: the runtime no longer counts it, and its
    /// charge goes back to its sender if the sender is alive (§12.3, §11.7).
    /// Returns whether it did.
    pub fn unqueue_message(&mut self, message: &Message) -> bool {
        self.totals.messages -= 1;
        self.totals.bytes -= message.cost;
        if !self.proc(message.sender).is_alive() {
            return false;
        }
        self.proc_mut(message.sender).curr_mem -= message.cost;
        true
    }
}

impl Model<'_> {
    /// When `audit` is on: recomputes every proc's `curr_mem`, every vec's
    /// `refs` and the runtime's totals from what exists, and checks that the
    /// books kept as things happened agree (§13.7, §13.9).
    pub fn audit(&self) {
        if !self.audit {
            return;
        }
        let mut totals = Totals::default();
        let mut refs = vec![0u64; self.vecs.len()];
        for p in self.procs.iter().filter(|p| p.is_alive()) {
            totals.procs += 1;
            totals.bytes += PROC_CHARGE;
            let mut expected = PROC_CHARGE;
            for segment in &p.segments {
                totals.segments += 1;
                totals.bytes += SEGMENT_HEADER + segment.size;
                expected += SEGMENT_HEADER + segment.size;
            }
            for (index, vec) in self.vecs.iter().enumerate() {
                if vec.alive && vec.maker == p.id {
                    expected += VEC_HEADER + vec.size;
                }
                refs[index] += u64::from(p.held_count(index));
            }
            for q in self.procs.iter().filter(|q| q.is_alive()) {
                expected += q.queue.iter().filter(|m| m.sender == p.id).map(|m| m.cost).sum::<u64>();
            }
            assert_eq!(p.curr_mem, expected, "proc {}'s curr_mem", p.id);
            for m in &p.queue {
                totals.messages += 1;
                totals.bytes += m.cost;
                if let Payload::Vec(vec) = m.payload {
                    refs[vec] += 1;
                }
            }
        }
        for (index, vec) in self.vecs.iter().enumerate() {
            if !vec.alive {
                continue;
            }
            totals.vecs += 1;
            totals.bytes += VEC_HEADER + vec.size;
            assert_eq!(vec.refs, refs[index], "vec {index}'s refs");
            assert!(vec.live() <= vec.size && vec.live() <= vec.init && vec.init <= vec.size, "vec {index}");
        }
        let kept = self.totals;
        let counts = (kept.procs, kept.segments, kept.vecs, kept.messages, kept.bytes);
        assert_eq!(counts, (totals.procs, totals.segments, totals.vecs, totals.messages, totals.bytes), "totals");
    }
}

/// What a message costs its sender (§13.7).
pub(super) fn message_cost(payload: &Payload) -> u64 {
    match payload {
        Payload::Bytes(bytes) => MESSAGE_OVERHEAD + bytes.len() as u64,
        Payload::Vec(_) => MESSAGE_OVERHEAD,
    }
}
