//! SPEC.md section 13: vecs (§13.1–§13.5), vec messages (§13.6), charges and
//! the memory budget (§13.7, §13.8) and `runtime_info` (§13.9).

use scenario_format::{VEC_NONE, checksum, fill_byte, record};

use super::spec::{
    EXIT_MEMORY_BUDGET, EXIT_STACK_LIMIT, MESSAGE_OVERHEAD, SEGMENT_HEADER, VEC_BAD_OFFSET, VEC_COPIED, VEC_GROWN,
    VEC_HEADER, VEC_IN_PLACE,
};
use super::state::{Flow, Model, Payload};
use super::{ChargeKind, ChargeProbe, Invalid};

/// What a charge pays for (§13.7), with what its failure line names (§14.5).
#[derive(Clone, Copy, Debug)]
pub(super) enum Request<'a> {
    /// A stack segment of `size` bytes for a frame of `frame_bytes` (§10.7).
    Segment { name: &'a str, frame_bytes: u64, size: u64 },
    /// A vec of `size` bytes: `vec_alloc`, a copy or a growth.
    Vec { kind: ChargeKind, size: u64 },
    /// A `send` of `len` bytes to `to`.
    Message { len: u64, to: u32 },
    /// A `send_vec` to `to`.
    VecMessage { to: u32 },
}

impl Request<'_> {
    fn kind(&self) -> ChargeKind {
        match self {
            Request::Segment { .. } => ChargeKind::Segment,
            Request::Vec { kind, .. } => *kind,
            Request::Message { .. } => ChargeKind::Message,
            Request::VecMessage { .. } => ChargeKind::VecMessage,
        }
    }

    /// §13.7: its cost, saturating.
    fn cost(&self) -> u64 {
        match self {
            Request::Segment { size, .. } => SEGMENT_HEADER.saturating_add(*size),
            Request::Vec { size, .. } => VEC_HEADER.saturating_add(*size),
            Request::Message { len, .. } => MESSAGE_OVERHEAD + len,
            Request::VecMessage { .. } => MESSAGE_OVERHEAD,
        }
    }

    /// The labels of a charge exactly at the budget, of one past it, and of
    /// one exactly one byte past it.
    fn labels(&self) -> [&'static str; 3] {
        match self.kind() {
            ChargeKind::Segment => [
                "§10.7 a new segment brings curr_mem exactly to the budget",
                "§10.7 the stack limit",
                "§10.7 the stack limit by one byte",
            ],
            ChargeKind::VecAlloc => [
                "§13.3 vec_alloc brings curr_mem exactly to the budget",
                "§13.3 vec_alloc over budget",
                "§13.3 vec_alloc over budget by one byte",
            ],
            ChargeKind::VecCopy => [
                "§13.4 a copy brings curr_mem exactly to the budget",
                "§13.4 a copy over budget",
                "§13.4 a copy over budget by one byte",
            ],
            ChargeKind::VecGrowth => [
                "§13.4 a growth brings curr_mem exactly to the budget",
                "§13.4 a growth over budget",
                "§13.4 a growth over budget by one byte",
            ],
            ChargeKind::Message => [
                "§12.1 a message brings curr_mem exactly to the budget",
                "§12.1 send over budget",
                "§12.1 send over budget by one byte",
            ],
            ChargeKind::VecMessage => [
                "§13.6 a vec message brings curr_mem exactly to the budget",
                "§13.6 send_vec over budget",
                "§13.6 send_vec over budget by one byte",
            ],
        }
    }
}

impl Model<'_> {
    /// §13.8: a charge, checked before anything else the request does.
    /// `None` when it was charged; `Some` when the proc failed (nothing of
    /// the request happened).
    pub(super) fn charge(&mut self, id: u32, request: Request<'_>) -> Result<Option<Flow>, Invalid> {
        let cost = request.cost();
        let p = self.proc(id);
        let (curr_mem, mem_budget) = (p.curr_mem, p.mem_budget);
        let exact_total = curr_mem.checked_add(cost);
        let total = curr_mem.saturating_add(cost);
        // §13.8: the sum is exact; one past 2⁶⁴−1 is past every budget, the
        // unlimited one included (an absurd frame or vec fails its proc).
        let passed = exact_total.is_some_and(|exact| exact <= mem_budget);
        let kind = request.kind();
        self.probes.charges.push(ChargeProbe { proc: id, kind, curr_mem, cost, mem_budget, passed });
        let [exact_label, over_label, by_one_label] = request.labels();
        if passed {
            if exact_total == Some(mem_budget) && mem_budget != u64::MAX {
                self.cover(exact_label);
            }
            self.totals_check_after(cost)?;
            self.proc_mut(id).curr_mem = total;
            return Ok(None);
        }
        self.cover(over_label);
        if exact_total == mem_budget.checked_add(1) {
            self.cover(by_one_label);
        }
        if exact_total.is_none() && mem_budget == u64::MAX {
            match kind {
                ChargeKind::Segment => self.cover("§10.7 an absurd frame fails even an unlimited budget"),
                _ => self.cover("§13.8 an absurd request fails even an unlimited budget"),
            }
        }
        let line = match request {
            Request::Segment { name, frame_bytes, size } => format!(
                "rustrt: proc {id} failed: stack limit: frame `{name}` needs {frame_bytes} bytes, and a new \
                 {size}-byte segment would bring the proc to {total} of its {mem_budget}-byte memory budget\n"
            ),
            Request::Vec { size, .. } => format!(
                "rustrt: proc {id} failed: memory budget: a vec of {size} bytes costs {cost} bytes, which would \
                 bring the proc to {total} of its {mem_budget}-byte memory budget\n"
            ),
            Request::Message { len, to } => format!(
                "rustrt: proc {id} failed: memory budget: a {len}-byte message to proc {to} costs {cost} bytes, \
                 which would bring the proc to {total} of its {mem_budget}-byte memory budget\n"
            ),
            Request::VecMessage { to } => format!(
                "rustrt: proc {id} failed: memory budget: a vec message to proc {to} costs {cost} bytes, which \
                 would bring the proc to {total} of its {mem_budget}-byte memory budget\n"
            ),
        };
        let status = if kind == ChargeKind::Segment { EXIT_STACK_LIMIT } else { EXIT_MEMORY_BUDGET };
        Ok(Some(self.fail(id, status, line)))
    }

    /// A charge that passed must also be something a machine can allocate.
    fn totals_check_after(&mut self, cost: u64) -> Result<(), Invalid> {
        let after = self.totals.bytes.saturating_add(cost);
        if after > super::limits::MAX_RUNTIME_BYTES {
            return Err(Invalid::new(format!(
                "the runtime would hold {after} bytes at once, past the model's limit of {}",
                super::limits::MAX_RUNTIME_BYTES
            )));
        }
        Ok(())
    }

    /// The vec a slot names; it must be one the proc holds (INTERPRETING.md).
    pub(super) fn slot_vec(&self, id: u32, slot: u8) -> Result<usize, Invalid> {
        let Some(vec) = self.proc(id).slots[slot as usize] else {
            return Err(Invalid::new(format!("proc {id} uses vec slot {slot}, which is empty")));
        };
        if !self.vecs[vec].alive || self.proc(id).held_count(vec) == 0 {
            return Err(Invalid::new(format!("proc {id} uses vec slot {slot}, whose vec it does not hold")));
        }
        Ok(vec)
    }

    /// A vec's header and checksum as records show them.
    fn vec_fields(&self, vec: usize) -> [u64; 5] {
        let object = &self.vecs[vec];
        [object.refs, object.size, object.live(), object.init, checksum(&object.bytes)]
    }

    /// `VEC_ALLOC`: §13.3 `vec_alloc`.
    pub(super) fn vec_alloc_op(&mut self, id: u32, slot: u8, capacity: u64) -> Result<Flow, Invalid> {
        self.cover("§13.3 vec_alloc");
        if capacity == 0 {
            self.cover("§13.3 vec_alloc of capacity 0");
        }
        if let Some(flow) = self.charge(id, Request::Vec { kind: ChargeKind::VecAlloc, size: capacity })? {
            return Ok(flow);
        }
        let vec = self.create_vec(id, capacity, Vec::new())?;
        self.proc_mut(id).slots[slot as usize] = Some(vec);
        let [refs, size, live, init, sum] = self.vec_fields(vec);
        self.emit_op(id, record::VEC_ALLOC, vec![vec as u64, refs, size, live, init, sum]);
        Ok(Flow::Continue)
    }

    /// `VEC_SHARE`: §13.3 `vec_share`: one more reference, no copy, no charge.
    pub(super) fn vec_share_op(&mut self, id: u32, src: u8, dst: u8) -> Result<Flow, Invalid> {
        let vec = self.slot_vec(id, src)?;
        self.cover("§13.3 vec_share");
        self.vecs[vec].refs += 1;
        let p = self.proc_mut(id);
        *p.held.entry(vec).or_insert(0) += 1;
        p.slots[dst as usize] = Some(vec);
        let refs = self.vecs[vec].refs;
        self.emit_op(id, record::VEC_SHARE, vec![1, vec as u64, refs]);
        Ok(Flow::Continue)
    }

    /// `VEC_RELEASE`: §13.3 `vec_release` of a slot's vec; the slot empties.
    pub(super) fn vec_release_op(&mut self, id: u32, slot: u8) -> Result<Flow, Invalid> {
        let vec = self.slot_vec(id, slot)?;
        self.release_held(id, vec);
        self.proc_mut(id).slots[slot as usize] = None;
        self.emit_op(id, record::VEC_RELEASE, vec![vec as u64]);
        Ok(Flow::Continue)
    }

    /// `VEC_RELEASE_ANY`: §13.3 `vec_release` of a registry entry's vec,
    /// which must still exist; one the caller does not hold is left alone.
    pub(super) fn vec_release_any_op(&mut self, id: u32, index: u16) -> Result<Flow, Invalid> {
        let vec = index as usize;
        if vec >= self.vecs.len() || !self.vecs[vec].alive {
            return Err(Invalid::new(format!("proc {id} releases registry entry {index}, whose vec does not exist")));
        }
        if self.proc(id).held_count(vec) == 0 {
            self.cover("§13.3 releasing a vec the caller does not hold does nothing");
        } else {
            self.cover("§13.3 releasing a held vec through the registry");
            self.release_held(id, vec);
        }
        self.emit_op(id, record::VEC_RELEASE_ANY, vec![u64::from(index)]);
        Ok(Flow::Continue)
    }

    /// One of the proc's references goes (§13.3): the vec is freed at 0.
    fn release_held(&mut self, id: u32, vec: usize) {
        if self.vecs[vec].refs == 1 {
            self.cover("§13.3 the last reference's release frees the vec");
            if self.vecs[vec].maker != id {
                self.cover("§13.7 a vec freed by another proc returns its charge to its maker");
            }
        } else {
            self.cover("§13.3 a release leaves the other references");
        }
        self.drop_held_reference(id, vec);
    }

    /// `VEC_WRITE`: §13.4 `vec_write`, in its order.
    pub(super) fn vec_write_op(
        &mut self,
        id: u32,
        slot: u8,
        offset: u64,
        len: u32,
        fill: u8,
        null: bool,
    ) -> Result<Flow, Invalid> {
        let original = self.slot_vec(id, slot)?;
        if null {
            self.cover("§13.4 a write of no bytes through a null pointer");
        }
        let len = u64::from(len);
        let (refs, size, live) = {
            let object = &self.vecs[original];
            (object.refs, object.size, object.live())
        };
        // §13.4.1: an offset past `live` (or an overflowing end) changes nothing.
        let Some(end) = offset.checked_add(len).filter(|_| offset <= live) else {
            self.cover("§13.4.1 an offset past live is refused");
            let [refs, size, live, init, sum] = self.vec_fields(original);
            let fields = vec![VEC_BAD_OFFSET as i64 as u64, 0, original as u64, refs, size, live, init, sum];
            self.emit_op(id, record::VEC_WRITE, fields);
            return Ok(Flow::Continue);
        };
        if offset == live {
            self.cover("§13.4 a write at live");
        }
        let grown_size = size.saturating_mul(2).max(end);
        let (target, result) = if refs > 1 {
            // §13.4.2: a private copy first, even for no bytes.
            self.cover("§13.4.2 a shared vec is copied");
            if len == 0 {
                self.cover("§13.4.2 a zero-length write to a shared vec copies it");
            }
            let new_size = if end > size {
                self.cover("§13.4.2 a copy and a growth at once");
                grown_size
            } else {
                size
            };
            let request = Request::Vec { kind: ChargeKind::VecCopy, size: new_size };
            if let Some(flow) = self.charge(id, request)? {
                return Ok(flow);
            }
            let bytes = self.vecs[original].bytes.clone();
            let copy = self.create_vec(id, new_size, bytes)?;
            self.drop_held_reference(id, original);
            self.proc_mut(id).vec_copies += 1;
            (copy, VEC_COPIED)
        } else if end > size {
            // §13.4.3: a growth, not a copy.
            self.cover("§13.4.3 a vec grows");
            if live == size {
                self.cover("§13.4.3 a full vec grows");
            }
            if end > size.saturating_mul(2) {
                self.cover("§13.4.3 a growth sized to the write");
            }
            let request = Request::Vec { kind: ChargeKind::VecGrowth, size: grown_size };
            if let Some(flow) = self.charge(id, request)? {
                return Ok(flow);
            }
            if self.vecs[original].maker != id {
                self.cover("§13.4.3 a growth frees a vec another proc made");
            }
            let bytes = self.vecs[original].bytes.clone();
            let grown = self.create_vec(id, grown_size, bytes)?;
            self.drop_held_reference(id, original);
            (grown, VEC_GROWN)
        } else {
            // §13.4.4
            self.cover("§13.4.4 a write in place");
            (original, VEC_IN_PLACE)
        };
        // §13.4.5: the bytes, `live` and `init`.
        let object = &mut self.vecs[target];
        let new_live = object.live().max(end);
        object.bytes.resize(new_live as usize, 0);
        for i in 0..len as usize {
            object.bytes[offset as usize + i] = fill_byte(fill, i);
        }
        object.init = object.init.max(new_live);
        self.proc_mut(id).slots[slot as usize] = Some(target);
        let changed = u64::from(target != original);
        let [refs, size, live, init, sum] = self.vec_fields(target);
        let fields = vec![result as i64 as u64, changed, target as u64, refs, size, live, init, sum];
        self.emit_op(id, record::VEC_WRITE, fields);
        Ok(Flow::Continue)
    }

    /// `SEND_VEC`: §13.6 `send_vec`, as `send` (§12.1) with one more reference.
    pub(super) fn send_vec_op(&mut self, id: u32, to: u32, slot: u8) -> Result<Flow, Invalid> {
        let vec = self.slot_vec(id, slot)?;
        let result = match self.send_message(id, to, Payload::Vec(vec))? {
            Ok(result) => result,
            Err(flow) => return Ok(flow),
        };
        self.emit_op(id, record::SEND_VEC, vec![result as i64 as u64]);
        Ok(Flow::Continue)
    }

    /// `RECEIVE_VEC` once the proc's queue has a message: §13.6 `receive_vec`.
    pub(super) fn finish_receive_vec(&mut self, id: u32, slot: u8, sender_null: bool) {
        let message = self.take_message(id);
        let sender = if sender_null { u64::MAX } else { u64::from(message.sender) };
        match message.payload {
            Payload::Vec(vec) => {
                // The message's reference becomes the caller's.
                self.cover("§13.6 receive_vec takes a vec message");
                let p = self.proc_mut(id);
                *p.held.entry(vec).or_insert(0) += 1;
                p.slots[slot as usize] = Some(vec);
                let [refs, size, live, init, sum] = self.vec_fields(vec);
                self.emit_op(id, record::RECEIVE_VEC, vec![sender, vec as u64, refs, size, live, init, sum]);
            }
            Payload::Bytes(_) => {
                self.cover("§13.6 receive_vec consumes a message of bytes and returns null");
                self.proc_mut(id).slots[slot as usize] = None;
                self.emit_op(id, record::RECEIVE_VEC, vec![sender, VEC_NONE, 0, 0, 0, 0, 0]);
            }
        }
    }

    /// `RUNTIME_INFO`: §13.9.
    pub(super) fn runtime_info_op(&mut self, id: u32) {
        self.cover("§13.9 runtime_info");
        let t = self.totals;
        self.emit_op(id, record::RUNTIME_INFO, vec![t.procs, t.segments, t.vecs, t.messages, t.bytes]);
    }
}
