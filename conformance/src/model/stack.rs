//! SPEC.md section 10: segments and frames. A frame's entry (§10.4), where
//! its bytes go (§10.4 (b), §10.5), leaving it and stepping back (§10.4 (e),
//! §10.6), the stack limit (§10.7, the charge itself is §13.8 in `vecs.rs`),
//! and `backtrace` (§10.10). `stack_info` (§10.9) is the second half of
//! `STATE` (`state.rs`).

use scenario_format::{Op, record};

use super::Invalid;
use super::spec::frame_bytes;
use super::state::{Act, Flow, FrameDesc, FrameRecord, Model, Pending};
use super::ticks::Point;
use super::validate::is_full;
use super::vecs::Request;

impl<'s> Model<'s> {
    /// `frame_call` of a `FRAME` op, from its start (§10.4).
    pub(super) fn enter_frame(&mut self, id: u32, desc: u16, ret: u32, body: &'s [Op]) -> Result<Flow, Invalid> {
        // §10.4 (a): a yield point that counts one tick; the tick budget and
        // the slice are applied before the frame exists.
        self.cover("§14.1 a frame entry counts one tick");
        match self.yield_point(id, 1, true)? {
            Point::GoOn => {}
            Point::Preempted => {
                self.proc_mut(id).pending = Pending::PlaceFrame { desc, ret, body };
                return Ok(Flow::Switch);
            }
            Point::Failed(flow) => return Ok(flow),
        }
        self.place_frame(id, desc, ret, body)
    }

    /// §10.4 (b)–(d): the frame is placed and its function starts.
    pub(super) fn place_frame(&mut self, id: u32, desc: u16, ret: u32, body: &'s [Op]) -> Result<Flow, Invalid> {
        let scenario_desc = &self.scenario.descs[desc as usize];
        let frame_desc =
            FrameDesc { record_name: u64::from(desc), size: scenario_desc.size, name: &scenario_desc.name };
        if let Some(flow) = self.place(id, frame_desc)? {
            return Ok(flow);
        }
        let full = is_full(scenario_desc.size);
        if full {
            self.cover("INTERPRETING full frame");
        } else {
            self.cover("INTERPRETING thin frame");
        }
        let act = Act::Frame {
            ops: body,
            next: 0,
            full,
            desc: u64::from(desc),
            ret: u64::from(ret),
            child_result: 0,
            body: false,
        };
        let p = self.proc_mut(id);
        let thin_body_child = p.acts.len() == 1 && !p.body_full;
        p.acts.push(act);
        if full && thin_body_child {
            // INTERPRETING.md: a FRAME op's full function writes ENTER (the
            // scenario-format docs call START "a proc's first full frame").
            self.cover("INTERPRETING a thin body's full frame writes ENTER, not START");
        }
        if full {
            self.emit(id, record::ENTER, vec![u64::from(desc)]);
            self.emit_state(id);
        }
        Ok(Flow::Continue)
    }

    /// §10.4 (b), (c): the frame's `F` bytes go in the current segment when
    /// they fit, else in the next one (§10.5). `Some` when the proc failed.
    pub(super) fn place(&mut self, id: u32, desc: FrameDesc<'s>) -> Result<Option<Flow>, Invalid> {
        // §10.2: F = round_up(S, 16) + 32 + 256, saturating.
        let bytes = frame_bytes(desc.size);
        if !desc.size.is_multiple_of(16) {
            self.cover("§10.2 a declared size that is not a multiple of 16");
        }
        if bytes == u64::MAX {
            self.cover("§10.2 an absurd declared size saturates");
        }
        let segment = *self.proc(id).segment();
        let end = segment.live.saturating_add(bytes);
        if end <= segment.size {
            // §10.4 (b)
            self.cover("§10.4 the frame goes in the current segment");
            if end == segment.size {
                self.cover("§10.4 the frame fills the segment exactly");
            }
        } else {
            // §10.4 (c)
            if end == segment.size + 16 {
                self.cover("§10.4 the frame misses the segment by 16 bytes");
            }
            if let Some(flow) = self.move_to_next_segment(id, desc.name, bytes)? {
                return Ok(Some(flow));
            }
        }
        let p = self.proc_mut(id);
        let current = p.current;
        p.segments[current].live += bytes;
        p.frames.push(FrameRecord { desc: desc.record_name, segment: current, bytes });
        Ok(None)
    }

    /// §10.5: onto the cached next segment when it is big enough, else onto a
    /// new one (freeing a cached one that is too small first).
    fn move_to_next_segment(&mut self, id: u32, name: &'s str, bytes: u64) -> Result<Option<Flow>, Invalid> {
        let p = self.proc(id);
        let next = p.current + 1;
        let current_size = p.segment().size;
        let mut freed_cache = false;
        if let Some(cached) = p.segments.get(next).copied() {
            if cached.size >= bytes {
                self.cover("§10.5 the cached next segment is reused");
                if cached.size == bytes {
                    self.cover("§10.5 the cached next segment is exactly as big as the frame");
                }
                self.proc_mut(id).current = next;
                return Ok(None);
            }
            self.cover("§10.5 a cached next segment too small is freed");
            self.pop_segment(id);
            freed_cache = true;
        }
        let size = current_size.saturating_mul(2).max(bytes);
        if bytes > current_size.saturating_mul(2) {
            self.cover("§10.5 a new segment as big as the frame");
        } else {
            self.cover("§10.5 a new segment twice the current one");
        }
        // §10.7: the new segment is charged; over budget the proc fails (91).
        if let Some(flow) = self.charge(id, Request::Segment { name, frame_bytes: bytes, size })? {
            if freed_cache {
                // §10.5 frees the cache "first"; §13.8 checks a charge
                // "before anything else the request does": the model frees
                // first, so TOTAL leaves the freed cache out.
                self.cover("§10.5 a cache too small is freed before a segment charge that fails");
            }
            return Ok(Some(flow));
        }
        self.push_segment(id, size);
        self.proc_mut(id).current = next;
        Ok(None)
    }

    /// §10.4 (e): the frame's bytes come back; a segment left empty that has
    /// a previous one is stepped back from (§10.6).
    pub(super) fn leave_frame(&mut self, id: u32) {
        let p = self.proc_mut(id);
        let frame = p.frames.pop().expect("a frame to leave");
        debug_assert_eq!(frame.segment, p.current);
        let current = p.current;
        p.segments[current].live -= frame.bytes;
        if p.segments[current].live != 0 || current == 0 {
            return;
        }
        // §10.6: segment k stays as k−1's cached next segment; k+1 is freed.
        self.cover("§10.6 stepping back keeps the segment as the cache");
        if self.proc(id).segments.len() > current + 1 {
            self.cover("§10.6 stepping back frees the segment beyond");
            self.pop_segment(id);
        }
        self.proc_mut(id).current = current - 1;
    }

    /// The body frame of a proc that runs for the first time (§11.3, §11.2).
    pub(super) fn start_body(&mut self, id: u32) -> Result<Flow, Invalid> {
        self.cover("§14.1 a frame entry counts one tick");
        match self.yield_point(id, 1, true)? {
            Point::GoOn => self.place_body(id),
            Point::Preempted => {
                self.proc_mut(id).pending = Pending::PlaceBody;
                Ok(Flow::Switch)
            }
            Point::Failed(flow) => Ok(flow),
        }
    }

    /// The body frame is placed and the body starts: a full body writes
    /// `START` and `STATE` (INTERPRETING.md).
    pub(super) fn place_body(&mut self, id: u32) -> Result<Flow, Invalid> {
        let body = self.proc(id).body;
        if let Some(flow) = self.place(id, body)? {
            self.cover("§11.3 the body frame fails the proc when it starts");
            return Ok(flow);
        }
        let p = self.proc(id);
        let (full, ops, status, current) = (p.body_full, p.program_ops, p.program_status, p.current);
        if current == 0 {
            self.cover("§10.1 the body frame goes in segment 0 after the start-up region");
        }
        let act = Act::Frame {
            ops,
            next: 0,
            full,
            desc: body.record_name,
            ret: u64::from(status),
            child_result: 0,
            body: true,
        };
        self.proc_mut(id).acts.push(act);
        if full {
            self.emit(id, record::START, vec![u64::from(id), 1]);
            self.emit_state(id);
        }
        Ok(Flow::Continue)
    }

    /// `BACKTRACE`: §10.10.
    pub(super) fn backtrace_op(&mut self, id: u32, max: u8, null: bool) {
        let p = self.proc(id);
        let depth = p.frames.len();
        let max = max as usize;
        // §10.10: min(depth, max) entries, innermost first.
        let n = depth.min(max);
        let mut fields = vec![n as u64, 1];
        let mut segments_seen = Vec::new();
        let mut root_seen = false;
        for frame in p.frames.iter().rev().take(n) {
            fields.push(frame.desc);
            fields.push(frame.segment as u64);
            if !segments_seen.contains(&frame.segment) {
                segments_seen.push(frame.segment);
            }
            root_seen |= frame.desc == scenario_format::DESC_ROOT;
        }
        if null {
            self.cover("§10.10 backtrace into a null buffer with max 0");
        } else if max == 0 {
            self.cover("§10.10 backtrace with max 0");
        }
        if max == 1 {
            self.cover("§10.10 backtrace with max 1");
        }
        if max + 1 == depth {
            self.cover("§10.10 backtrace with max = depth − 1");
        }
        if max == depth {
            self.cover("§10.10 backtrace with max = depth");
        }
        if max == depth + 1 {
            self.cover("§10.10 backtrace with max = depth + 1");
        }
        if segments_seen.len() > 1 {
            self.cover("§10.10 a backtrace across segments");
        }
        if root_seen {
            self.cover("§10.10 a backtrace reaches the root's rust_entry frame");
        }
        if id != 1 && n == depth && n > 0 {
            self.cover("§10.10 a whole backtrace of a spawned proc");
        }
        self.emit_op(id, record::BACKTRACE, fields);
    }
}
