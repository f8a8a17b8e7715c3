//! `shrink`: hierarchical delta debugging over a scenario's op lists. Every
//! candidate is checked with the model first (only valid scenarios are
//! run) and tried at most once; `still_fails`, which runs a real process,
//! is called at most `max_tries` times. A candidate is kept when it still
//! fails and is smaller: fewer ops, or as many with smaller numbers.
//!
//! Passes, repeated while one of them makes progress: remove chunks of
//! each block (halves, quarters, … single ops; when a chunk holds `SPAWN`s,
//! the ids of the procs created after them are renumbered so the rest still
//! names the same procs); replace a `FRAME` or `REPEAT` by its body, a
//! `SPAWN` by the program it spawns; lower numbers (repeat counts, ticks, lengths,
//! capacities, offsets, declared sizes, statuses, results) and make budgets
//! unlimited; drop programs and descs nothing uses, renumbering indices.

use std::collections::HashSet;

use scenario_format::{FULL_MIN_FRAME, Op, Scenario, THIN_MIN_FRAME};

use super::build::block_at;
use crate::model;

/// The smallest scenario found that still fails.
pub fn shrink(scenario: Scenario, still_fails: &mut dyn FnMut(&Scenario) -> bool, max_tries: usize) -> Scenario {
    let mut shrinker =
        Shrinker { best: scenario, still_fails, tries: 0, max_tries, seen: HashSet::new(), spawns: None };
    shrinker.seen.insert(shrinker.best.clone());
    loop {
        let before = weight(&shrinker.best);
        shrinker.remove_chunks();
        shrinker.unwrap_blocks();
        shrinker.lower_numbers();
        shrinker.drop_unused();
        if weight(&shrinker.best) >= before || shrinker.tries >= shrinker.max_tries {
            return shrinker.best;
        }
    }
}

struct Shrinker<'f> {
    best: Scenario,
    still_fails: &'f mut dyn FnMut(&Scenario) -> bool,
    tries: usize,
    max_tries: usize,
    seen: HashSet<Scenario>,
    /// The `SPAWN`s the best scenario executes (computed when needed).
    spawns: Option<Vec<model::SpawnProbe>>,
}

/// Where a block is: a program and the indices of the ops whose bodies lead to it.
type BlockPath = (usize, Vec<usize>);

impl Shrinker<'_> {
    /// Keeps `candidate` if it is smaller, valid and still fails.
    fn attempt(&mut self, candidate: Scenario) -> bool {
        if self.tries >= self.max_tries || weight(&candidate) >= weight(&self.best) {
            return false;
        }
        if !self.seen.insert(candidate.clone()) || model::predict(&candidate).is_err() {
            return false;
        }
        self.tries += 1;
        if !(self.still_fails)(&candidate) {
            return false;
        }
        self.best = candidate;
        self.spawns = None;
        true
    }

    /// The ids created by the `SPAWN`s at `start..end` of a block (and
    /// inside them), in the best scenario's run.
    fn ids_spawned_in(&mut self, path: &BlockPath, start: usize, end: usize) -> Vec<u32> {
        if self.spawns.is_none() {
            let spawns = model::predict_with_probes(&self.best).map(|(_, probes)| probes.spawns).unwrap_or_default();
            self.spawns = Some(spawns);
        }
        let depth = path.1.len();
        let spawns = self.spawns.as_ref().expect("just computed");
        spawns
            .iter()
            .filter(|s| s.id != 0 && s.program == path.0 && s.path.len() > depth && s.path[..depth] == path.1[..])
            .filter(|s| (start..end).contains(&s.path[depth]))
            .map(|s| s.id)
            .collect()
    }

    fn blocks(&self) -> Vec<BlockPath> {
        let mut out = Vec::new();
        for (program, p) in self.best.programs.iter().enumerate() {
            collect_blocks(&p.ops, program, &mut Vec::new(), &mut out);
        }
        out
    }

    fn block(&self, path: &BlockPath) -> Option<&Vec<Op>> {
        let mut block = &self.best.programs.get(path.0)?.ops;
        for &index in &path.1 {
            block = block.get(index)?.body()?;
        }
        Some(block)
    }

    fn with_block(&self, path: &BlockPath, change: impl FnOnce(&mut Vec<Op>)) -> Scenario {
        let mut candidate = self.best.clone();
        change(block_at(&mut candidate.programs[path.0].ops, &path.1));
        candidate
    }

    /// Delta debugging: chunks of each block, from half the block down to one op.
    fn remove_chunks(&mut self) {
        for path in self.blocks() {
            let Some(len) = self.block(&path).map(Vec::len) else { continue };
            let mut chunk = len.div_ceil(2).max(1);
            loop {
                let mut start = 0;
                while let Some(len) = self.block(&path).map(Vec::len) {
                    if start >= len {
                        break;
                    }
                    let end = (start + chunk).min(len);
                    let removed_ids = self.ids_spawned_in(&path, start, end);
                    let mut candidate = self.with_block(&path, |block| {
                        block.drain(start..end);
                    });
                    renumber_procs(&mut candidate, &removed_ids);
                    if !self.attempt(candidate) {
                        start += chunk;
                    }
                }
                if chunk == 1 {
                    break;
                }
                chunk = chunk.div_ceil(2);
            }
        }
    }

    /// A `FRAME` or `REPEAT` replaced by its body; a `SPAWN` replaced by
    /// the program it spawns (run by the spawner instead).
    fn unwrap_blocks(&mut self) {
        for path in self.blocks() {
            let mut index = 0;
            while let Some(block) = self.block(&path) {
                let Some(op) = block.get(index) else { break };
                let body = match op {
                    Op::Spawn { program, .. } => self.best.programs[*program as usize].ops.clone(),
                    _ => match op.body() {
                        Some(body) => body.clone(),
                        None => {
                            index += 1;
                            continue;
                        }
                    },
                };
                let removed_ids = self.ids_spawned_in(&path, index, index + 1);
                let mut candidate = self.with_block(&path, |block| {
                    block.splice(index..=index, body);
                });
                renumber_procs(&mut candidate, &removed_ids);
                if !self.attempt(without_unused(&candidate)) {
                    index += 1;
                }
            }
        }
    }

    /// Smaller numbers, op by op, then descs and statuses.
    fn lower_numbers(&mut self) {
        for path in self.blocks() {
            let mut index = 0;
            while let Some(op) = self.block(&path).and_then(|b| b.get(index)).cloned() {
                for smaller in smaller_ops(&op) {
                    let candidate = self.with_block(&path, |block| block[index] = smaller);
                    if self.attempt(candidate) {
                        break;
                    }
                }
                index += 1;
            }
        }
        for program in 0..self.best.programs.len() {
            if self.best.programs[program].status != 0 {
                let mut candidate = self.best.clone();
                candidate.programs[program].status = 0;
                self.attempt(candidate);
            }
        }
        for desc in 0..self.best.descs.len() {
            let size = self.best.descs[desc].size;
            let floor = if size >= FULL_MIN_FRAME { FULL_MIN_FRAME } else { THIN_MIN_FRAME };
            for smaller in [floor, floor + (size - floor) / 2] {
                if smaller < size {
                    let mut candidate = self.best.clone();
                    candidate.descs[desc].size = smaller;
                    if self.attempt(candidate) {
                        break;
                    }
                }
            }
        }
    }

    /// Programs no `SPAWN` names and descs nothing names go, indices renumbered.
    fn drop_unused(&mut self) {
        let candidate = without_unused(&self.best);
        self.attempt(candidate);
    }
}

/// The scenario without the programs no `SPAWN` names and the descs
/// nothing names, indices renumbered.
fn without_unused(scenario: &Scenario) -> Scenario {
    let mut candidate = scenario.clone();
    let mut used_programs = vec![false; candidate.programs.len()];
    let mut used_descs = vec![false; candidate.descs.len()];
    used_programs[0] = true;
    for program in &candidate.programs {
        visit(&program.ops, &mut |op| match op {
            Op::Spawn { program, desc, .. } => {
                used_programs[*program as usize] = true;
                used_descs[*desc as usize] = true;
            }
            Op::Frame { desc, .. } => used_descs[*desc as usize] = true,
            _ => {}
        });
    }
    let renumber = |used: &[bool]| -> Vec<u16> {
        let mut next = 0;
        used.iter()
            .map(|&u| {
                let index = next;
                next += u16::from(u);
                index
            })
            .collect()
    };
    let (program_index, desc_index) = (renumber(&used_programs), renumber(&used_descs));
    for program in &mut candidate.programs {
        visit_mut(&mut program.ops, &mut |op| match op {
            Op::Spawn { program, desc, .. } => {
                *program = program_index[*program as usize];
                *desc = desc_index[*desc as usize];
            }
            Op::Frame { desc, .. } => *desc = desc_index[*desc as usize],
            _ => {}
        });
    }
    let mut keep = used_programs.iter();
    candidate.programs.retain(|_| *keep.next().unwrap());
    let mut keep = used_descs.iter();
    candidate.descs.retain(|_| *keep.next().unwrap());
    candidate
}

/// The procs of `removed` are no longer created: every id operand naming a
/// later proc moves down by the number of removed ids below it.
fn renumber_procs(scenario: &mut Scenario, removed: &[u32]) {
    if removed.is_empty() {
        return;
    }
    let renumber = |id: &mut u32| {
        if *id > 1 && !removed.contains(id) {
            *id -= removed.iter().filter(|&&r| r < *id).count() as u32;
        }
    };
    for program in &mut scenario.programs {
        visit_mut(&mut program.ops, &mut |op| match op {
            Op::Join { id, .. } => renumber(id),
            Op::Send { to, .. } | Op::SendVec { to, .. } => renumber(to),
            _ => {}
        });
    }
}

fn collect_blocks(ops: &[Op], program: usize, path: &mut Vec<usize>, out: &mut Vec<BlockPath>) {
    out.push((program, path.clone()));
    for (index, op) in ops.iter().enumerate() {
        if let Some(body) = op.body() {
            path.push(index);
            collect_blocks(body, program, path, out);
            path.pop();
        }
    }
}

fn visit(ops: &[Op], f: &mut dyn FnMut(&Op)) {
    for op in ops {
        f(op);
        if let Some(body) = op.body() {
            visit(body, f);
        }
    }
}

fn visit_mut(ops: &mut [Op], f: &mut dyn FnMut(&mut Op)) {
    for op in ops {
        f(op);
        if let Some(body) = op.body_mut() {
            visit_mut(body, f);
        }
    }
}

/// Candidates for one op with smaller numbers, most simplifying first.
fn smaller_ops(op: &Op) -> Vec<Op> {
    let halves = |value: u64| -> Vec<u64> {
        let mut out = Vec::new();
        for smaller in [0, 1, value / 2, value - value.min(1)] {
            if smaller < value && !out.contains(&smaller) {
                out.push(smaller);
            }
        }
        out
    };
    let mut out = Vec::new();
    match op.clone() {
        Op::Frame { desc, ret, body } if ret != 0 => out.push(Op::Frame { desc, ret: 0, body }),
        Op::Repeat { count, quiet, body } => {
            out.extend(halves(u64::from(count)).into_iter().map(|c| Op::Repeat {
                count: c as u32,
                quiet,
                body: body.clone(),
            }));
        }
        Op::Backtrace { max, null } => {
            out.extend(halves(u64::from(max)).into_iter().map(|m| Op::Backtrace { max: m as u8, null }))
        }
        Op::Spawn { program, desc, mem_budget, tick_budget, env } => {
            if mem_budget != u64::MAX {
                out.push(Op::Spawn { program, desc, mem_budget: u64::MAX, tick_budget, env });
            }
            if tick_budget != 0 {
                out.push(Op::Spawn { program, desc, mem_budget, tick_budget: 0, env });
            }
            if env {
                out.push(Op::Spawn { program, desc, mem_budget, tick_budget, env: false });
            }
        }
        Op::Join { id, discarded_null: true } => out.push(Op::Join { id, discarded_null: false }),
        Op::Send { to, len, fill, null } => {
            out.extend(halves(u64::from(len)).into_iter().map(|l| Op::Send { to, len: l as u32, fill, null }));
            if fill != 0 {
                out.push(Op::Send { to, len, fill: 0, null });
            }
        }
        Op::Receive { cap, buf_null, sender_null } => {
            out.extend(halves(u64::from(cap)).into_iter().map(|c| Op::Receive {
                cap: c as u32,
                buf_null,
                sender_null,
            }));
        }
        Op::VecAlloc { slot, capacity } => {
            out.extend(halves(capacity).into_iter().map(|c| Op::VecAlloc { slot, capacity: c }));
        }
        Op::VecWrite { slot, offset, len, fill, null } => {
            out.extend(halves(u64::from(len)).into_iter().map(|l| Op::VecWrite {
                slot,
                offset,
                len: l as u32,
                fill,
                null,
            }));
            out.extend(halves(offset).into_iter().map(|o| Op::VecWrite { slot, offset: o, len, fill, null }));
        }
        Op::Tick { n } => out.extend(halves(n).into_iter().map(|n| Op::Tick { n })),
        _ => {}
    }
    out
}

/// How big a scenario is: ops first, then the sum of its numbers (an
/// unlimited budget counts as nothing).
fn weight(scenario: &Scenario) -> (usize, u128) {
    let mut numbers = 0u128;
    for program in &scenario.programs {
        numbers += u128::from(program.status);
        visit(&program.ops, &mut |op| {
            numbers += match op {
                Op::Frame { ret, .. } => u128::from(*ret),
                Op::Repeat { count, .. } => u128::from(*count),
                Op::Backtrace { max, .. } => u128::from(*max),
                Op::Spawn { mem_budget, tick_budget, env, .. } => {
                    let mem = if *mem_budget == u64::MAX { 0 } else { u128::from(*mem_budget) + 1 };
                    mem + u128::from(*tick_budget) + u128::from(*env)
                }
                Op::Join { discarded_null, .. } => u128::from(*discarded_null),
                Op::Send { len, fill, .. } => u128::from(*len) + u128::from(*fill),
                Op::Receive { cap, .. } => u128::from(*cap),
                Op::VecAlloc { capacity, .. } => u128::from(*capacity),
                Op::VecWrite { offset, len, .. } => u128::from(*offset) + u128::from(*len),
                Op::Tick { n } => u128::from(*n),
                _ => 0,
            };
        });
    }
    for desc in &scenario.descs {
        numbers += u128::from(desc.size);
    }
    (scenario.n_ops() + scenario.programs.len() + scenario.descs.len(), numbers)
}
