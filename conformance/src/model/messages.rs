//! SPEC.md section 12: `send` (§12.1, shared with `send_vec`, §13.6), the
//! order of a queue (§12.2) and `receive` (§12.3). `proc_info` (§12.4) is the
//! first half of `STATE` (`state.rs`).

use scenario_format::{checksum, fill_byte, record};

use super::state::{Flow, Life, Message, Model, Payload, Pending, message_cost};
use super::vecs::Request;
use super::{Invalid, spec::NO_SUCH_PROC};

impl Model<'_> {
    /// `SEND`: §12.1 `send`.
    pub(super) fn send_op(&mut self, id: u32, to: u32, len: u32, fill: u8, null: bool) -> Result<Flow, Invalid> {
        if null {
            self.cover("§12.1 a zero-length send with null bytes");
        } else if len == 0 {
            self.cover("§12.1 a zero-length send");
        }
        let bytes = (0..len as usize).map(|i| fill_byte(fill, i)).collect();
        let result = match self.send_message(id, to, Payload::Bytes(bytes))? {
            Ok(result) => result,
            Err(flow) => return Ok(flow),
        };
        self.emit_op(id, record::SEND, vec![result as i64 as u64]);
        Ok(Flow::Continue)
    }

    /// §12.1 (and §13.6 for a vec): `Ok(result)` when the sender goes on,
    /// `Err(flow)` when it failed over its budget.
    pub(super) fn send_message(&mut self, id: u32, to: u32, payload: Payload) -> Result<Result<i32, Flow>, Invalid> {
        let is_vec = matches!(payload, Payload::Vec(_));
        let cost = message_cost(&payload);
        // §12.1: to a proc that has ended or never existed (0 included): -1,
        // nothing queued or charged, whatever the sender's budget.
        let target = self.created(to).map(|p| p.is_alive());
        if target != Some(true) {
            match (target, to, is_vec) {
                (_, 0, false) => self.cover("§12.1 send to proc 0"),
                (None, _, false) => self.cover("§12.1 send to an id never created"),
                (_, _, false) => self.cover("§12.1 send to an ended proc"),
                (_, _, true) => self.cover("§13.6 send_vec to a proc that ended or never existed"),
            }
            let p = self.proc(id);
            if p.curr_mem.checked_add(cost).is_none_or(|total| total > p.mem_budget) {
                if is_vec {
                    self.cover("§13.6 send_vec to an ended proc over budget returns -1");
                } else {
                    self.cover("§12.1 send to an ended proc over budget returns -1");
                }
            }
            return Ok(Ok(NO_SUCH_PROC));
        }
        let request = match &payload {
            Payload::Bytes(bytes) => Request::Message { len: bytes.len() as u64, to },
            Payload::Vec(_) => Request::VecMessage { to },
        };
        if let Some(flow) = self.charge(id, request)? {
            return Ok(Err(flow));
        }
        if let Payload::Vec(vec) = payload {
            // §13.6: the queued message holds one more reference.
            self.cover("§13.6 send_vec");
            self.vecs[vec].refs += 1;
        } else {
            self.cover("§12.1 send");
        }
        if to == id {
            self.cover("§12.1 a proc sends to itself");
        }
        self.queue_message(to, Message { sender: id, payload, cost });
        // §11.4: a proc waiting for a message is woken at the moment of the send.
        if self.proc(to).life == Life::WaitsForMessage {
            self.cover("§11.4 a message wakes the proc waiting for it");
            self.wake(to);
        }
        Ok(Ok(0))
    }

    /// `RECEIVE` and `RECEIVE_VEC`: they take a message at once, or wait (§12.3).
    pub(super) fn receive_op(&mut self, id: u32, pending: Pending<'_>) -> Result<Flow, Invalid> {
        if !self.proc(id).queue.is_empty() {
            return self.finish_pending_receive(id, pending);
        }
        if matches!(pending, Pending::ReceiveVec { .. }) {
            self.cover("§13.6 receive_vec waits for a message");
        } else {
            self.cover("§12.3 receive waits for a message");
        }
        let p = self.proc_mut(id);
        p.life = Life::WaitsForMessage;
        p.pending = match pending {
            Pending::Receive { cap, buf_null, sender_null } => Pending::Receive { cap, buf_null, sender_null },
            Pending::ReceiveVec { slot, sender_null } => Pending::ReceiveVec { slot, sender_null },
            _ => unreachable!("only receives wait for messages"),
        };
        Ok(Flow::Switch)
    }

    /// A receive whose queue has a message.
    pub(super) fn finish_pending_receive(&mut self, id: u32, pending: Pending<'_>) -> Result<Flow, Invalid> {
        match pending {
            Pending::Receive { cap, buf_null, sender_null } => self.finish_receive(id, cap, buf_null, sender_null),
            Pending::ReceiveVec { slot, sender_null } => self.finish_receive_vec(id, slot, sender_null),
            _ => unreachable!("only receives take messages"),
        }
        Ok(Flow::Continue)
    }

    /// §12.3: the oldest message; the sender's charge back (if it is alive).
    pub(super) fn take_message(&mut self, id: u32) -> Message {
        let p = self.proc(id);
        let first_sender = p.queue[0].sender;
        if p.queue.iter().any(|m| m.sender != first_sender) {
            self.cover("§12.2 a queue holds messages from several senders");
        }
        let message = self.proc_mut(id).queue.pop_front().expect("a message to take");
        if self.unqueue_message(&message) {
            self.cover("§12.3 the sender's charge comes back");
        } else {
            self.cover("§12.3 the charge of a sender that ended comes back to no one");
        }
        message
    }

    /// `RECEIVE` with a message: §12.3.
    fn finish_receive(&mut self, id: u32, cap: u32, buf_null: bool, sender_null: bool) {
        let message = self.take_message(id);
        let sender = if sender_null { u64::MAX } else { u64::from(message.sender) };
        if sender_null {
            self.cover("§12.3 receive with a null sender pointer");
        }
        let cap = cap as usize;
        if buf_null {
            self.cover("§12.3 receive with cap 0 and a null buffer");
        }
        let (len, sum) = match message.payload {
            Payload::Bytes(bytes) => {
                let len = bytes.len();
                if cap == 1 {
                    self.cover("§12.3 receive with cap 1");
                }
                if cap < len {
                    self.cover("§12.3 a message longer than cap is cut to cap bytes");
                }
                if len > 0 && cap + 1 == len {
                    self.cover("§12.3 receive with cap = len − 1");
                }
                if cap == len {
                    self.cover("§12.3 receive with cap = len");
                }
                if cap == len + 1 {
                    self.cover("§12.3 receive with cap = len + 1");
                }
                (len as u64, checksum(&bytes[..len.min(cap)]))
            }
            Payload::Vec(vec) => {
                // §12.3: a vec message copies nothing, returns 0 and releases
                // the message's reference.
                self.cover("§12.3 receive of a vec message releases its reference");
                self.drop_reference(vec);
                (0, checksum(&[]))
            }
        };
        self.emit_op(id, record::RECEIVE, vec![len, sender, sum, 1]);
    }
}
