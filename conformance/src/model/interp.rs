//! INTERPRETING.md: how the interpreter crate turns a proc's program into
//! table calls and records. `run` is one proc's turn: it goes on from where
//! the proc stopped (`Pending`) and executes ops until the proc yields, is
//! preempted, blocks, ends or fails.

use scenario_format::{Op, record};

use super::Invalid;
use super::state::{Act, Flow, Model, Pending};
use super::ticks::Point;

impl<'s> Model<'s> {
    /// Runs proc `id` until it stops.
    pub(super) fn run(&mut self, id: u32) -> Result<Flow, Invalid> {
        loop {
            self.count_step()?;
            let pending = std::mem::replace(&mut self.proc_mut(id).pending, Pending::Nothing);
            let flow = match pending {
                Pending::Nothing => self.next_op(id)?,
                Pending::Start => self.start_body(id)?,
                Pending::PlaceBody => self.place_body(id)?,
                Pending::PlaceFrame { desc, ret, body } => self.place_frame(id, desc, ret, body)?,
                Pending::Yielded => {
                    self.emit_op(id, record::YIELD, Vec::new());
                    Flow::Continue
                }
                Pending::Ticked => {
                    self.emit_op(id, record::TICK, Vec::new());
                    Flow::Continue
                }
                Pending::Receive { .. } | Pending::ReceiveVec { .. } => self.finish_pending_receive(id, pending)?,
                Pending::Join { id: target, discarded_null } => self.finish_join(id, target, discarded_null),
            };
            if flow != Flow::Continue {
                return Ok(flow);
            }
        }
    }

    /// The next op of the innermost block, or the end of that block.
    fn next_op(&mut self, id: u32) -> Result<Flow, Invalid> {
        let p = self.proc_mut(id);
        let top = p.acts.last_mut().expect("a running proc is inside its body frame");
        let (ops, next) = match top {
            Act::Frame { ops, next, .. } | Act::Repeat { ops, next, .. } => (*ops, next),
        };
        if *next < ops.len() {
            let op = &ops[*next];
            *next += 1;
            return self.exec(id, op);
        }
        match *top {
            Act::Frame { .. } => self.finish_frame(id),
            Act::Repeat { .. } => Ok(self.finish_repeat_round(id)),
        }
    }

    /// A repeat's body ended: again, or the repeat ends and writes its `STATE`.
    fn finish_repeat_round(&mut self, id: u32) -> Flow {
        let p = self.proc_mut(id);
        let Some(Act::Repeat { next, left, quiet, .. }) = p.acts.last_mut() else {
            unreachable!("a repeat round ends in a repeat")
        };
        *left -= 1;
        if *left > 0 {
            *next = 0;
            return Flow::Continue;
        }
        let quiet = *quiet;
        p.acts.pop();
        if quiet {
            p.quiet_depth -= 1;
            if p.quiet_depth == 0 {
                self.quiet_procs -= 1;
            }
        }
        self.emit_state(id);
        Flow::Continue
    }

    /// A frame's function returns: a full body writes `END`; the frame is
    /// left (§10.4 (e)); a full caller writes `LEAVE` and `STATE`, a thin one
    /// adds the result to its own.
    fn finish_frame(&mut self, id: u32) -> Result<Flow, Invalid> {
        let Some(Act::Frame { full, desc, ret, child_result, body, .. }) = self.proc_mut(id).acts.pop() else {
            unreachable!("a frame's block ends in a frame")
        };
        let result = if full { ret } else { ret.wrapping_add(child_result) };
        if !full && child_result != 0 {
            if body {
                self.cover("§5.1 a thin body returns its frame's result plus its status");
            } else {
                self.cover("INTERPRETING a thin frame returns its child's result plus its ret");
            }
        }
        if body && full {
            self.emit(id, record::END, vec![ret]);
        }
        self.leave_frame(id);
        if body {
            return Ok(self.end_body(id, result));
        }
        match self.proc_mut(id).acts.last_mut() {
            Some(Act::Frame { full: false, child_result, .. }) => *child_result = result,
            Some(_) => self.emit_op(id, record::LEAVE, vec![desc, result]),
            None => unreachable!("a frame that is not the body has a caller"),
        }
        Ok(Flow::Continue)
    }

    /// One op (the table of INTERPRETING.md).
    fn exec(&mut self, id: u32, op: &'s Op) -> Result<Flow, Invalid> {
        match op {
            Op::Frame { desc, ret, body } => self.enter_frame(id, *desc, *ret, body),
            Op::Repeat { count, quiet, body } => Ok(self.repeat_op(id, *count, *quiet, body)),
            Op::Backtrace { max, null } => {
                self.backtrace_op(id, *max, *null);
                Ok(Flow::Continue)
            }
            Op::RuntimeInfo => {
                self.runtime_info_op(id);
                Ok(Flow::Continue)
            }
            Op::Spawn { program, desc, mem_budget, tick_budget, env } => {
                self.spawn_op(id, *program, *desc, (*mem_budget, *tick_budget), *env)
            }
            Op::Yield => Ok(self.yield_op(id)),
            Op::Join { id: target, discarded_null } => Ok(self.join_op(id, *target, *discarded_null)),
            Op::Send { to, len, fill, null } => self.send_op(id, *to, *len, *fill, *null),
            Op::Receive { cap, buf_null, sender_null } => {
                self.receive_op(id, Pending::Receive { cap: *cap, buf_null: *buf_null, sender_null: *sender_null })
            }
            Op::VecAlloc { slot, capacity } => self.vec_alloc_op(id, *slot, *capacity),
            Op::VecShare { src, dst } => self.vec_share_op(id, *src, *dst),
            Op::VecRelease { slot } => self.vec_release_op(id, *slot),
            Op::VecWrite { slot, offset, len, fill, null } => self.vec_write_op(id, *slot, *offset, *len, *fill, *null),
            Op::SendVec { to, slot } => self.send_vec_op(id, *to, *slot),
            Op::ReceiveVec { slot, sender_null } => {
                self.receive_op(id, Pending::ReceiveVec { slot: *slot, sender_null: *sender_null })
            }
            Op::Tick { n } => self.tick_op(id, *n),
            Op::VecReleaseAny { index } => self.vec_release_any_op(id, *index),
        }
    }

    /// `REPEAT`: the body `count` times; a quiet one writes no record inside.
    fn repeat_op(&mut self, id: u32, count: u32, quiet: bool, body: &'s [Op]) -> Flow {
        if count == 0 || body.is_empty() {
            self.cover("INTERPRETING a REPEAT that runs nothing");
            self.emit_state(id);
            return Flow::Continue;
        }
        if quiet {
            self.cover("INTERPRETING a quiet REPEAT");
        }
        let p = self.proc_mut(id);
        p.acts.push(Act::Repeat { ops: body, next: 0, left: count, quiet });
        if quiet {
            p.quiet_depth += 1;
            if p.quiet_depth == 1 {
                self.quiet_procs += 1;
            }
        }
        Flow::Continue
    }

    /// `TICK`: §14.1 `tick(n)`, a yield point.
    fn tick_op(&mut self, id: u32, n: u64) -> Result<Flow, Invalid> {
        match self.yield_point(id, n, false)? {
            Point::GoOn => {
                self.emit_op(id, record::TICK, Vec::new());
                Ok(Flow::Continue)
            }
            Point::Preempted => {
                self.proc_mut(id).pending = Pending::Ticked;
                Ok(Flow::Switch)
            }
            Point::Failed(flow) => Ok(flow),
        }
    }
}
