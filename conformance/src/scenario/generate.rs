//! `generate(seed)`: a focus picked by `seed % FOCI.len()` (so that any run
//! of consecutive seeds covers every focus), a few of its episodes whose
//! variants advance with `seed / FOCI.len()` (so that the fixed set covers
//! every variant), an optional episode of another focus, and an ending of
//! the root (plain, a status past 255, others left runnable or waiting, a
//! deadlock, the root failing) picked by a hash of the seed.

use scenario_format::{FULL_MIN_FRAME, MAX_PROCS, Op, Program, Scenario};

use super::build::{Gen, frame, join, receive, repeat, send, spawn, tick, vec_alloc, vec_write};
use super::episodes::{self, Episode};
use super::rng::{Rng, mix};
use crate::model;

/// The foci: a name, its episode, and how many variants it has.
const FOCI: &[(&str, Episode, u64)] = &[
    ("stack", episodes::stack, 7),
    ("memory budget", episodes::budget, 21),
    ("spawn budget", episodes::spawn_budget, 6),
    ("joins", episodes::joins, 3),
    ("messages", episodes::messages, 12),
    ("vecs", episodes::vecs, 6),
    ("slices", episodes::slices, 9),
    ("tick budget", episodes::tick_budget, 6),
    ("backtraces", episodes::backtraces, 6),
    ("failures", episodes::failures, 4),
    ("mix", random_procs, 1),
];

/// Episodes of the focus in one scenario.
const EPISODES_PER_SCENARIO: u64 = 3;
/// Tries with other random numbers before falling back to the smallest scenario.
const ATTEMPTS: u64 = 8;

/// The scenario of a seed: the same forever, always one the model accepts.
pub fn generate(seed: u64) -> Scenario {
    let n_foci = FOCI.len() as u64;
    let (name, episode, n_variants) = FOCI[(seed % n_foci) as usize];
    let round = seed / n_foci;
    for attempt in 0..ATTEMPTS {
        let rng = Rng::new(mix(seed) ^ mix(attempt.wrapping_add(0x5eed_0000)));
        let mut builder = Gen::new(seed, rng);
        builder.programs[0].status = builder.rng.range(0, 89) as u32;
        builder.desc(&format!("focus: {name}"), FULL_MIN_FRAME);
        let count = if name == "mix" { 1 } else { EPISODES_PER_SCENARIO };
        for j in 0..count {
            let variant = (round * EPISODES_PER_SCENARIO + j) % n_variants.max(1);
            let _ = episode(&mut builder, variant + n_variants * (round / n_variants.max(1)));
        }
        if builder.rng.one_in(2) {
            let (_, other, other_variants) = FOCI[builder.rng.below(n_foci) as usize];
            let variant = builder.rng.below(other_variants);
            let _ = other(&mut builder, variant);
        }
        // Endings 0–6 twice as often as 7 (the root failing on an absurd
        // frame or vec, SPEC.md §13.8).
        ending(&mut builder, mix(seed ^ 0xe4d) % 15 / 2);
        let scenario = builder.scenario();
        if model::predict(&scenario).is_ok() {
            return scenario;
        }
    }
    smallest(seed)
}

/// The first `count` scenarios of the generator: seeds `0..count`.
pub fn fixed_set(count: usize) -> Vec<Scenario> {
    (0..count as u64).map(generate).collect()
}

/// The scenario every generator falls back to: the root reads `runtime_info`.
fn smallest(seed: u64) -> Scenario {
    Scenario { seed, descs: Vec::new(), programs: vec![Program { ops: vec![Op::RuntimeInfo], status: 0 }] }
}

/// How the root ends (§11.2, §11.5, §14.4, §5.2).
fn ending(builder: &mut Gen, which: u64) {
    let Ok(next) = builder.next_id() else { return };
    if next + 2 >= MAX_PROCS {
        return;
    }
    let body = builder.sized(4096);
    match which {
        2 => {
            // Past 255, but its low byte is a crate's own result (0–89, §5).
            let status = 256 * builder.rng.range(1, 1 << 23) + builder.rng.range(0, 89);
            builder.programs[0].status = status as u32;
        }
        3 => {
            // The root ends while another proc can run: it never runs again.
            let p = builder.program(vec![tick(5), Op::Yield], 0);
            builder.root(spawn(p, body, u64::MAX, 0));
        }
        4 => {
            // The root ends while another waits for a message.
            let p = builder.program(vec![receive(8)], 0);
            builder.root(spawn(p, body, u64::MAX, 0));
            builder.root(Op::Yield);
        }
        5 => {
            // Deadlock: the root joins a proc that waits for a message.
            let p = builder.program(vec![receive(8)], 0);
            builder.root(spawn(p, body, u64::MAX, 0));
            builder.root(join(next));
        }
        6 => {
            // Deadlock: two procs join each other; the root joins one.
            let a = builder.program(vec![Op::Yield, join(next + 1)], 0);
            let b = builder.program(vec![join(next)], 0);
            builder.root(spawn(a, body, u64::MAX, 0));
            builder.root(spawn(b, body, u64::MAX, 0));
            builder.root(join(next));
        }
        7 if builder.rng.one_in(2) => {
            // The root fails: an absurd frame (§10.2) even its unlimited budget cannot pay for.
            let absurd = builder.sized(u64::MAX - builder.rng.range(0, 100));
            builder.root(frame(absurd, 0, Vec::new()));
        }
        7 => {
            // The root fails: an absurd vec (§13.8), likewise.
            let capacity = u64::MAX - builder.rng.range(0, 100);
            builder.root(Op::VecAlloc { slot: 0, capacity });
        }
        _ => {}
    }
}

/// What a slot holds, as far as the program's own ops tell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Empty,
    Held,
    Unknown,
}

/// Random programs for a few procs that run side by side, with every kind
/// of op, kept valid by tracking each proc's slots (a proc's slots change
/// only through its own ops).
fn random_procs(builder: &mut Gen, _variant: u64) -> Option<()> {
    let base = builder.next_id().ok()?;
    let n = builder.rng.range(2, 4) as u32;
    if base + n + 12 >= MAX_PROCS {
        return None;
    }
    let mut programs = Vec::new();
    for own in base..base + n {
        let mut slots = [Slot::Empty; 8];
        let context = Context { own, base, n };
        let mut ops = Vec::new();
        let len = builder.rng.range(4, 20);
        random_block(builder, &context, &mut slots, &mut ops, len, 0, false);
        let status = builder.rng.range(0, 300) as u32;
        programs.push(builder.program(ops, status));
    }
    for p in &programs {
        let desc = builder.sized(*builder.rng.pick(&[2048, 3000, 4096, 8192]));
        let mem_budget = if builder.rng.one_in(4) { builder.rng.range(1088, 40_000) } else { u64::MAX };
        let tick_budget = if builder.rng.one_in(5) { builder.rng.range(1, 3000) } else { 0 };
        builder.root(Op::Spawn { program: *p, desc, mem_budget, tick_budget, env: builder.rng.one_in(2) });
    }
    let mut order: Vec<u32> = (base..base + n).collect();
    for i in (1..order.len()).rev() {
        let j = builder.rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    for id in order {
        builder.root(Op::Join { id, discarded_null: builder.rng.one_in(3) });
    }
    Some(())
}

struct Context {
    own: u32,
    base: u32,
    n: u32,
}

impl Context {
    /// A proc to name: mostly the episode's, sometimes the root, 0, oneself
    /// or an id not created yet.
    fn peer(&self, rng: &Rng) -> u32 {
        match rng.below(10) {
            0 => 0,
            1 => 1,
            2 => self.own,
            3 => self.base + self.n + rng.below(5) as u32,
            _ => self.base + rng.below(u64::from(self.n)) as u32,
        }
    }
}

/// Appends `len` random ops to `ops`. Inside a repeat (`in_repeat`) no op
/// may empty a slot, so every round finds the slots as the first did.
fn random_block(
    builder: &mut Gen,
    context: &Context,
    slots: &mut [Slot; 8],
    ops: &mut Vec<Op>,
    len: u64,
    depth: u32,
    in_repeat: bool,
) {
    for _ in 0..len {
        let held: Vec<u8> = (0..8).filter(|&s| slots[s as usize] == Slot::Held).collect();
        let any_slot = builder.rng.below(8) as u8;
        let choice = builder.rng.below(20);
        let op = match choice {
            0 | 1 if depth < 3 => {
                let size =
                    if builder.rng.one_in(2) { builder.rng.range(128, 2047) } else { builder.rng.range(2048, 12000) };
                let desc = builder.sized(size);
                let mut body = Vec::new();
                if size >= FULL_MIN_FRAME {
                    let len = builder.rng.range(0, 5);
                    random_block(builder, context, slots, &mut body, len, depth + 1, in_repeat);
                } else if builder.rng.one_in(2) {
                    let inner = builder.sized(builder.rng.range(2048, 6000));
                    let mut inner_body = Vec::new();
                    let len = builder.rng.range(0, 3);
                    random_block(builder, context, slots, &mut inner_body, len, depth + 1, in_repeat);
                    body.push(frame(inner, builder.rng.range(0, 9) as u32, inner_body));
                }
                frame(desc, builder.rng.range(0, 1000) as u32, body)
            }
            2 if depth < 3 => {
                let count = builder.rng.range(0, 4) as u32;
                let before = *slots;
                let mut body = Vec::new();
                let len = builder.rng.range(0, 4);
                random_block(builder, context, slots, &mut body, len, depth + 1, true);
                if count == 0 {
                    // The body never runs: the slots are as they were.
                    *slots = before;
                }
                repeat(count, builder.rng.one_in(2), body)
            }
            3 => Op::Backtrace { max: builder.rng.range(0, 12) as u8, null: false },
            4 => Op::RuntimeInfo,
            5 => Op::Yield,
            6 => tick(*builder.rng.pick(&[0, 1, 7, 100, 999, 1000])),
            7 => Op::Join { id: context.peer(&builder.rng), discarded_null: builder.rng.one_in(3) },
            8 | 9 => {
                let len = builder.rng.range(0, 200) as u32;
                send(context.peer(&builder.rng), len, builder.rng.next_u64() as u8)
            }
            10 => Op::Receive {
                cap: builder.rng.range(0, 64) as u32,
                buf_null: false,
                sender_null: builder.rng.one_in(3),
            },
            11 | 12 => {
                slots[any_slot as usize] = Slot::Held;
                vec_alloc(any_slot, builder.rng.range(0, 300))
            }
            13 if !held.is_empty() => {
                let src = *builder.rng.pick(&held);
                slots[any_slot as usize] = Slot::Held;
                Op::VecShare { src, dst: any_slot }
            }
            14 | 15 if !held.is_empty() => {
                let slot = *builder.rng.pick(&held);
                let offset = builder.rng.range(0, 40);
                vec_write(slot, offset, builder.rng.range(0, 300) as u32, builder.rng.next_u64() as u8)
            }
            16 if !held.is_empty() && !in_repeat => {
                let slot = *builder.rng.pick(&held);
                slots[slot as usize] = Slot::Empty;
                Op::VecRelease { slot }
            }
            17 if !held.is_empty() => Op::SendVec { to: context.peer(&builder.rng), slot: *builder.rng.pick(&held) },
            18 => {
                if slots[any_slot as usize] != Slot::Held || !in_repeat {
                    slots[any_slot as usize] = Slot::Unknown;
                }
                if in_repeat && slots[any_slot as usize] == Slot::Held {
                    Op::RuntimeInfo
                } else {
                    Op::ReceiveVec { slot: any_slot, sender_null: builder.rng.one_in(2) }
                }
            }
            19 if depth == 0 && !in_repeat => {
                // A proc spawned by a proc: it only ticks, yields and sends.
                let to = context.peer(&builder.rng);
                let thin = builder.rng.one_in(3);
                let ops = if thin { Vec::new() } else { vec![tick(3), Op::Yield, send(to, 5, 1)] };
                let program = builder.program(ops, 3);
                let desc = builder.sized(if thin { 160 } else { *builder.rng.pick(&[2048, 4096]) });
                Op::Spawn { program, desc, mem_budget: u64::MAX, tick_budget: 0, env: false }
            }
            _ => tick(builder.rng.range(0, 20)),
        };
        ops.push(op);
    }
}
