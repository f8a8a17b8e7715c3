//! What makes a scenario one the interpreter cannot run, as far as it can be
//! seen before running it (INTERPRETING.md, the operand checks of
//! `scenario_format::OpReader`). What depends on the run (vec slots, the
//! registry, proc ids, vecs that still exist) is checked as the model runs.

use scenario_format::{
    FULL_MIN_FRAME, MAX_BACKTRACE, MAX_MESSAGE, MAX_PROCS, MAX_REGISTRY, MAX_REPEAT, Op, Scenario, THIN_MIN_FRAME,
    VEC_SLOTS,
};

use super::{Invalid, limits};

/// Checks everything that can be checked before running.
pub(super) fn check_scenario(scenario: &Scenario) -> Result<(), Invalid> {
    if scenario.programs.is_empty() {
        return Err(Invalid::new("the scenario has no program"));
    }
    if scenario.programs.len() > u16::MAX as usize || scenario.descs.len() > u16::MAX as usize {
        return Err(Invalid::new("the scenario has more programs or descs than an image can index"));
    }
    for (index, desc) in scenario.descs.iter().enumerate() {
        if desc.name.len() > u16::MAX as usize || desc.name.contains('\0') {
            return Err(Invalid::new(format!("desc {index}'s name is too long or contains a NUL")));
        }
    }
    if let Err(too_big) = scenario.encode() {
        return Err(Invalid::new(too_big.to_string()));
    }
    for (index, program) in scenario.programs.iter().enumerate() {
        let checker = Checker { scenario, program: index };
        checker.block(&program.ops, 1)?;
    }
    Ok(())
}

/// Whether a declared size runs the full function (records) or the thin one.
pub(super) fn is_full(size: u64) -> bool {
    size >= FULL_MIN_FRAME
}

/// A thin frame's block (or a thin body's program): empty or one `FRAME`.
pub(super) fn is_thin_block(ops: &[Op]) -> bool {
    matches!(ops, [] | [Op::Frame { .. }])
}

struct Checker<'s> {
    scenario: &'s Scenario,
    program: usize,
}

impl Checker<'_> {
    fn fail(&self, why: String) -> Result<(), Invalid> {
        Err(Invalid::new(format!("program {}: {why}", self.program)))
    }

    fn block(&self, ops: &[Op], depth: usize) -> Result<(), Invalid> {
        if depth > limits::MAX_BLOCK_DEPTH {
            return self.fail(format!("blocks nest deeper than {}", limits::MAX_BLOCK_DEPTH));
        }
        for op in ops {
            self.op(op, depth)?;
        }
        Ok(())
    }

    fn desc_size(&self, desc: u16) -> Result<u64, Invalid> {
        let Some(found) = self.scenario.descs.get(desc as usize) else {
            return Err(Invalid::new(format!("program {}: desc {desc} does not exist", self.program)));
        };
        if found.size < THIN_MIN_FRAME {
            return Err(Invalid::new(format!(
                "program {}: desc {desc} declares {} bytes, under THIN_MIN_FRAME ({THIN_MIN_FRAME})",
                self.program, found.size
            )));
        }
        Ok(found.size)
    }

    fn id(&self, id: u32) -> Result<(), Invalid> {
        if id > MAX_PROCS - 1 {
            return self.fail(format!("proc id {id} is over MAX_PROCS − 1"));
        }
        Ok(())
    }

    fn slot(&self, slot: u8) -> Result<(), Invalid> {
        if slot >= VEC_SLOTS {
            return self.fail(format!("vec slot {slot} does not exist"));
        }
        Ok(())
    }

    fn op(&self, op: &Op, depth: usize) -> Result<(), Invalid> {
        match op {
            Op::Frame { desc, body, .. } => {
                let size = self.desc_size(*desc)?;
                if !is_full(size) && !is_thin_block(body) {
                    return self.fail(format!("a thin frame (desc {desc}) has a block that is not empty or one FRAME"));
                }
                self.block(body, depth + 1)
            }
            Op::Repeat { count, body, .. } => {
                if *count > MAX_REPEAT {
                    return self.fail(format!("a REPEAT count of {count} is over MAX_REPEAT"));
                }
                self.block(body, depth + 1)
            }
            Op::Backtrace { max, null } => {
                if *max > MAX_BACKTRACE || (*null && *max != 0) {
                    return self.fail(format!("BACKTRACE max {max} null {null}"));
                }
                Ok(())
            }
            Op::Spawn { program, desc, .. } => {
                let size = self.desc_size(*desc)?;
                let Some(body) = self.scenario.programs.get(*program as usize) else {
                    return self.fail(format!("SPAWN of program {program}, which does not exist"));
                };
                if !is_full(size) && !is_thin_block(&body.ops) {
                    return self
                        .fail(format!("a thin body (desc {desc}) runs program {program}, not empty or one FRAME"));
                }
                Ok(())
            }
            Op::Join { id, .. } => self.id(*id),
            Op::Send { to, len, null, .. } => {
                if *len > MAX_MESSAGE || (*null && *len != 0) {
                    return self.fail(format!("SEND len {len} null {null}"));
                }
                self.id(*to)
            }
            Op::Receive { cap, buf_null, .. } => {
                if *cap > MAX_MESSAGE || (*buf_null && *cap != 0) {
                    return self.fail(format!("RECEIVE cap {cap} buf_null {buf_null}"));
                }
                Ok(())
            }
            Op::VecAlloc { slot, .. } | Op::VecRelease { slot } | Op::ReceiveVec { slot, .. } => self.slot(*slot),
            Op::VecShare { src, dst } => {
                self.slot(*src)?;
                self.slot(*dst)
            }
            Op::VecWrite { slot, len, null, .. } => {
                if *len > MAX_MESSAGE || (*null && *len != 0) {
                    return self.fail(format!("VEC_WRITE len {len} null {null}"));
                }
                self.slot(*slot)
            }
            Op::SendVec { to, slot } => {
                self.slot(*slot)?;
                self.id(*to)
            }
            Op::VecReleaseAny { index } => {
                if *index as usize >= MAX_REGISTRY {
                    return self.fail(format!("VEC_RELEASE_ANY index {index} is past the registry"));
                }
                Ok(())
            }
            Op::RuntimeInfo | Op::Yield | Op::Tick { .. } => Ok(()),
        }
    }
}
