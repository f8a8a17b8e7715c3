//! SPEC.md section 14: ticks (§14.1), yield points and the time slice
//! (§14.2), the tick budget (§14.3), failures (§14.4) and the lines the
//! runtime writes (§14.5).

use super::spec::{EXIT_TICK_BUDGET, TIME_SLICE};
use super::state::{Flow, Life, Model};
use super::{Invalid, YieldProbe};

/// What a yield point did to the proc.
pub(super) enum Point {
    /// It goes on.
    GoOn,
    /// It was preempted (§14.2): it is at the tail of the run queue.
    Preempted,
    /// It failed (§14.3); the scheduler goes on as the flow says.
    Failed(Flow),
}

impl Model<'_> {
    /// A yield point counting `n` ticks (§14.1, §14.2): a frame entry
    /// (`at_frame`, n = 1) or `tick(n)`.
    pub(super) fn yield_point(&mut self, id: u32, n: u64, at_frame: bool) -> Result<Point, Invalid> {
        // §14.1: counting, saturating.
        let p = self.proc_mut(id);
        let (ticks, overflowed) = p.curr_ticks.overflowing_add(n);
        p.curr_ticks = if overflowed { u64::MAX } else { ticks };
        p.slice = p.slice.saturating_add(n);
        let (curr_ticks, slice, tick_budget) = (p.curr_ticks, p.slice, p.tick_budget);
        self.probes.yield_points.push(YieldProbe { proc: id, at_frame, curr_ticks, slice, tick_budget });
        if overflowed {
            self.cover("§14.1 curr_ticks saturates");
        }
        if n == 0 {
            self.cover("§14.2 tick(0) counts nothing and is a yield point");
        }
        // §14.3: first the tick budget.
        if tick_budget != 0 && curr_ticks > tick_budget {
            if at_frame {
                self.cover("§14.3 the tick budget is passed at a frame entry");
            } else {
                self.cover("§14.3 the tick budget is passed at a tick");
            }
            if curr_ticks == tick_budget + 1 {
                self.cover("§14.3 the tick budget is passed by one tick");
            }
            let line = format!(
                "rustrt: proc {id} failed: tick budget: {curr_ticks} ticks used, the budget is {tick_budget}\n"
            );
            return Ok(Point::Failed(self.fail(id, EXIT_TICK_BUDGET, line)));
        }
        if tick_budget != 0 && curr_ticks == tick_budget {
            self.cover("§14.3 curr_ticks reaches the tick budget exactly");
        }
        // §14.2: then the time slice.
        if slice < TIME_SLICE {
            if slice == TIME_SLICE - 1 {
                self.cover("§14.2 a slice of 999 ticks goes on");
            }
            return Ok(Point::GoOn);
        }
        if at_frame {
            self.cover("§14.2 preempted at a frame entry");
        } else {
            self.cover("§14.2 preempted at a tick");
        }
        if slice == TIME_SLICE {
            self.cover("§14.2 preempted with a slice of exactly 1000");
        } else {
            self.cover("§14.2 preempted with a slice past 1000");
        }
        if self.run_queue.is_empty() {
            self.cover("§14.2 preempted while alone");
        }
        // §11.4: preempted as `yield_now` would be: to the tail.
        self.proc_mut(id).life = Life::Runnable;
        self.run_queue.push_back(id);
        Ok(Point::Preempted)
    }

    /// The runtime fails a proc (§10.7, §13.8, §14.3): it writes the line,
    /// and the proc ends as §11.7 says; the root's failure ends the process
    /// with the failure's status (§14.4).
    pub(super) fn fail(&mut self, id: u32, status: i32, line: String) -> Flow {
        self.stderr.push_str(&line);
        if id == 1 {
            self.cover("§14.4 the root fails: the process exits with its status");
            return Flow::Exit(status);
        }
        self.cover("§11.7 a proc fails");
        self.proc_mut(id).failed = true;
        self.end_proc(id, status);
        Flow::Switch
    }
}
