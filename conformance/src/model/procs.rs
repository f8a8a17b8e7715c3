//! SPEC.md section 11: procs and the scheduler. Ids (§11.1), the root
//! (§11.2), `spawn` (§11.3), the FIFO run queue (§11.4), deadlock (§11.5),
//! `join` (§11.6) and what happens when a proc ends or fails (§11.7).

use scenario_format::{MAX_PROCS, record};

use super::spec::{EXIT_DEADLOCK, JOIN_SELF, NO_SUCH_PROC, SPAWN_COST};
use super::state::{Flow, FrameDesc, Life, Model, Payload, Pending};
use super::validate::is_full;
use super::{Invalid, SpawnProbe};

impl<'s> Model<'s> {
    /// The whole process: the root proc, then whoever is at the head of the
    /// run queue, until the root ends or no proc can run. Returns the exit
    /// status (§5.2).
    pub(super) fn run_process(&mut self) -> Result<i32, Invalid> {
        // §11.2: proc 1 runs program 0 in a `rust_entry` frame, with no
        // memory or tick budget and a null environment.
        let root = self.create_proc(FrameDesc::root(), true, 0, (u64::MAX, 0));
        self.proc_mut(root).life = Life::Running;
        let mut current = root;
        loop {
            let flow = self.run(current)?;
            self.audit();
            match flow {
                Flow::Exit(status) => return Ok(status),
                Flow::Switch => {}
                Flow::Continue => unreachable!("a proc's run ends with a switch or an exit"),
            }
            // §11.4: whenever a proc stops running, the head of the queue runs.
            let Some(next) = self.run_queue.pop_front() else {
                return Ok(self.deadlock());
            };
            current = next;
            // §14.2: the slice starts at 0 whenever the proc is switched in.
            let p = self.proc_mut(current);
            p.slice = 0;
            p.life = Life::Running;
        }
    }

    /// §11.5: the run queue is empty and the root has not ended.
    fn deadlock(&mut self) -> i32 {
        self.cover("§11.5 deadlock");
        let mut line = String::from("rustrt: deadlock: no proc can run;");
        let mut waits_for_proc = false;
        for p in &self.procs {
            match p.life {
                Life::WaitsForMessage => line.push_str(&format!(" proc {} waits for a message;", p.id)),
                Life::WaitsForProc(m) => {
                    line.push_str(&format!(" proc {} waits for proc {m} to end;", p.id));
                    waits_for_proc |= p.id != 1;
                }
                Life::Ended(_) => {}
                Life::Running | Life::Runnable => unreachable!("a deadlock with a proc that can run"),
            }
        }
        if waits_for_proc {
            self.cover("§11.5 deadlock with a spawned proc waiting for another's end");
        }
        line.push('\n');
        self.stderr.push_str(&line);
        EXIT_DEADLOCK
    }

    /// A blocked proc joins the tail of the run queue (§11.4).
    pub(super) fn wake(&mut self, id: u32) {
        self.proc_mut(id).life = Life::Runnable;
        self.run_queue.push_back(id);
    }

    /// `SPAWN`: §11.3.
    pub(super) fn spawn_op(
        &mut self,
        id: u32,
        program: u16,
        desc: u16,
        budgets: (u64, u64),
        env: bool,
    ) -> Result<Flow, Invalid> {
        let (mem_budget, tick_budget) = budgets;
        // §11.3: record + segment 0 (1088) past the budget: 0, no proc, no id.
        let (program_index, path) = self.op_path(id);
        if SPAWN_COST > mem_budget {
            self.probes.spawns.push(SpawnProbe { program: program_index, path, id: 0 });
            self.cover("§11.3 spawn refused: the budget cannot pay for record and segment 0");
            if mem_budget == SPAWN_COST - 1 {
                self.cover("§11.3 spawn refused with a budget one byte short");
            }
            self.emit_op(id, record::SPAWN, vec![0]);
            return Ok(Flow::Continue);
        }
        if mem_budget == SPAWN_COST {
            self.cover("§11.3 spawn with a budget of exactly 1088");
        }
        // §11.1: ids in creation order.
        let new_id = self.procs.len() as u32 + 1;
        if new_id > MAX_PROCS - 1 {
            return Err(Invalid::new(format!("proc {new_id} would be over MAX_PROCS − 1")));
        }
        let scenario_desc = &self.scenario.descs[desc as usize];
        let body = FrameDesc { record_name: u64::from(desc), size: scenario_desc.size, name: &scenario_desc.name };
        let full = is_full(scenario_desc.size);
        if full {
            self.cover("§11.3 spawn of a full body");
        } else {
            self.cover("§11.3 spawn of a thin body");
        }
        if env {
            self.cover("§11.9 spawn with an environment");
        }
        if tick_budget != 0 {
            self.cover("§11.3 spawn with a tick budget");
        }
        if id != 1 {
            self.cover("§11.3 a spawned proc spawns another");
        }
        let created = self.create_proc(body, full, program as usize, (mem_budget, tick_budget));
        self.probes.spawns.push(SpawnProbe { program: program_index, path, id: created });
        self.check_real_memory()?;
        // §11.4: a new proc joins the tail.
        self.run_queue.push_back(created);
        self.emit_op(id, record::SPAWN, vec![u64::from(created)]);
        Ok(Flow::Continue)
    }

    /// `YIELD`: §11.4 `yield_now`: to the tail; the head runs.
    pub(super) fn yield_op(&mut self, id: u32) -> Flow {
        if self.run_queue.is_empty() {
            self.cover("§11.4 yield_now while alone runs the proc again");
        } else {
            self.cover("§11.4 yield_now lets the head of the queue run");
        }
        let p = self.proc_mut(id);
        p.life = Life::Runnable;
        p.pending = Pending::Yielded;
        self.run_queue.push_back(id);
        Flow::Switch
    }

    /// `JOIN`: §11.6.
    pub(super) fn join_op(&mut self, id: u32, target: u32, discarded_null: bool) -> Flow {
        let not_written = if discarded_null { u64::MAX } else { 0x5eed };
        if discarded_null {
            self.cover("§11.6 join with a null discarded pointer");
        }
        if target == id {
            self.cover("§11.6 join of oneself");
            self.emit_op(id, record::JOIN, vec![JOIN_SELF as i64 as u64, not_written]);
            return Flow::Continue;
        }
        let Some(joined) = self.created(target) else {
            if target == 0 {
                self.cover("§11.6 join of proc 0");
            } else {
                self.cover("§11.6 join of an id never created");
            }
            self.emit_op(id, record::JOIN, vec![NO_SUCH_PROC as i64 as u64, not_written]);
            return Flow::Continue;
        };
        if !joined.is_alive() {
            self.cover("§11.6 join of an ended proc returns at once");
            return self.finish_join(id, target, discarded_null);
        }
        // §11.6: it waits until proc `target` has ended.
        self.cover("§11.6 join waits for the proc to end");
        if !self.proc(target).joiners.is_empty() {
            self.cover("§11.6 a proc already joined by another is joined");
        }
        self.proc_mut(target).joiners.push(id);
        let p = self.proc_mut(id);
        p.life = Life::WaitsForProc(target);
        p.pending = Pending::Join { id: target, discarded_null };
        Flow::Switch
    }

    /// A join of a proc that has ended: its status and discarded messages.
    pub(super) fn finish_join(&mut self, id: u32, target: u32, discarded_null: bool) -> Flow {
        let joined = self.proc(target);
        let Life::Ended(status) = joined.life else { unreachable!("a join returns once its proc ended") };
        let (unread, failed) = (joined.discarded, joined.failed);
        let discarded = if discarded_null { u64::MAX } else { unread };
        if unread > 0 && !discarded_null {
            self.cover("§11.6 join reports messages left unread");
        }
        if failed {
            self.cover("§11.6 join of a proc that failed");
        }
        self.emit_op(id, record::JOIN, vec![status as i64 as u64, discarded]);
        Flow::Continue
    }

    /// The body frame of a proc returned: its status (§5.1). The root's end
    /// ends the process (§11.2); another's goes as §11.7 says.
    pub(super) fn end_body(&mut self, id: u32, result: u64) -> Flow {
        // §5.1: the low 32 bits, read as a signed int32_t.
        let status = result as u32 as i32;
        if status < 0 {
            self.cover("§5.1 a status read as a negative int32_t");
        }
        if id != 1 {
            self.end_proc(id, status);
            return Flow::Switch;
        }
        if self.run_queue.is_empty() {
            if self.procs.iter().any(|p| p.id != 1 && p.is_alive()) {
                self.cover("§11.2 the root ends while other procs wait");
            } else {
                self.cover("§11.2 the root ends with no other proc alive");
            }
        } else {
            self.cover("§11.2 the root ends while other procs can run");
        }
        // §5.2: the process's status is the root's, modulo 256.
        let exit_status = (status as u32 & 0xff) as i32;
        if exit_status != status {
            self.cover("§5.2 the exit status is the root's status modulo 256");
        }
        Flow::Exit(exit_status)
    }

    /// §11.7: a proc ends or fails, in this order: its queue is discarded,
    /// its vec references released, its segments and record freed, its
    /// joiners woken in the order they called `join`.
    pub(super) fn end_proc(&mut self, id: u32, status: i32) {
        let queue = std::mem::take(&mut self.proc_mut(id).queue);
        let discarded = queue.len() as u64;
        if discarded > 0 {
            self.cover("§11.7 a proc ends with messages queued: they are discarded");
        }
        for message in &queue {
            if message.sender != id {
                if self.unqueue_message(message) {
                    self.cover("§11.7 a discarded message's charge goes back to its sender");
                } else {
                    self.cover("§11.7 a discarded message's sender has ended: its charge goes to no one");
                }
            } else {
                self.unqueue_message(message);
            }
            if let Payload::Vec(vec) = message.payload {
                self.cover("§11.7 a discarded vec message releases its reference");
                self.drop_reference(vec);
            }
        }
        let sent_elsewhere =
            self.procs.iter().any(|p| p.id != id && p.is_alive() && p.queue.iter().any(|m| m.sender == id));
        if sent_elsewhere {
            self.cover("§11.7 what a proc sent stays queued after it ends");
        }
        // The proc counts as ended from here on: what it made and is freed
        // now gives nothing back to it (§13.7).
        let p = self.proc_mut(id);
        p.life = Life::Ended(status);
        p.discarded = discarded;
        let held = std::mem::take(&mut p.held);
        if !held.is_empty() {
            self.cover("§11.7 a proc ends holding vecs: its references are released");
        }
        for (vec, count) in held {
            for _ in 0..count {
                self.drop_reference(vec);
            }
        }
        let p = self.proc_mut(id);
        if p.quiet_depth > 0 {
            p.quiet_depth = 0;
            self.quiet_procs -= 1;
        }
        let p = self.proc_mut(id);
        let segments = std::mem::take(&mut p.segments);
        p.segments = vec![segments[0]];
        p.current = 0;
        p.acts.clear();
        p.frames.clear();
        self.totals.procs -= 1;
        self.totals.segments -= segments.len() as u64;
        self.totals.bytes -= super::spec::PROC_CHARGE;
        for segment in &segments {
            self.totals.bytes -= super::spec::SEGMENT_HEADER + segment.size;
        }
        let joiners = std::mem::take(&mut self.proc_mut(id).joiners);
        if joiners.len() > 1 {
            self.cover("§11.6 several joiners are woken in the order they joined");
        }
        for joiner in joiners {
            self.cover("§11.4 the end of a joined proc wakes its joiner");
            self.wake(joiner);
        }
    }
}
