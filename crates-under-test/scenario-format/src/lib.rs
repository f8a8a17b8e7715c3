//! Scenario programs and their traces: the one format shared by the
//! interpreter crate (`crates-under-test/scenario`, `no_std`, running inside
//! the runtime under test) and the runner's model and generator (`alloc`).
//!
//! A **scenario** is a set of programs: program 0 is the root proc's body
//! (it runs inside `rust_entry`), the others are bodies of procs that
//! `SPAWN` ops start. A program is a list of ops over the whole ABI; `FRAME`
//! and `REPEAT` nest. The runner encodes a scenario into an **image** and
//! writes it into the `.rtscn` section of a copy of the interpreter crate.
//!
//! ```text
//! image:   header (24 B) | descs (16 B each) | programs (16 B each) | names | ops
//! header:  magic[8] total_len:u32 n_descs:u16 n_programs:u16 seed:u64
//! desc:    size:u64 name_offset:u32 name_len:u16 (without its NUL) pad:u16
//! program: ops_offset:u32 ops_len:u32 status:u32 pad:u32
//! op:      opcode:u8, then its operands, little-endian, fixed width (see `op`)
//! ```
//!
//! The interpreter reports every observable through `write_out` as binary
//! **records**, one per op and one `STATE` after it (see `record`), which the
//! runner decodes into events and compares with the model's prediction.
//! Everything here that is not under the `alloc` feature works without an
//! allocator.
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "alloc")]
mod owned;
#[cfg(feature = "alloc")]
pub use owned::*;

/// The first bytes of every image: "RTSCN", then the format's version.
pub const MAGIC: [u8; 8] = *b"RTSCN\0\0\x01";
/// The section of the interpreter crate the runner writes an image into
/// (at most 8 bytes: a PE section name).
pub const SECTION_NAME: &str = ".rtscn";
/// The section's size: the largest image.
pub const SECTION_SIZE: usize = 64 * 1024;

/// Procs the interpreter keeps state for: ids 1..MAX_PROCS.
pub const MAX_PROCS: u32 = 128;
/// Vec slots per proc (operands of the vec ops).
pub const VEC_SLOTS: u8 = 8;
/// The longest message a `SEND` sends and the largest `RECEIVE` capacity.
pub const MAX_MESSAGE: u32 = 1024;
/// Guard bytes after a receive buffer, checked after every `RECEIVE`.
pub const RECEIVE_GUARD: usize = 16;
/// The largest `max` of a `BACKTRACE`; two guard entries follow the buffer.
pub const MAX_BACKTRACE: u8 = 32;
pub const BACKTRACE_GUARD: usize = 2;
/// Vecs the interpreter can name (the registry of vecs ops created).
pub const MAX_REGISTRY: usize = 1024;
/// The largest `REPEAT` count and nesting depth of blocks.
pub const MAX_REPEAT: u32 = 100_000;
pub const MAX_NESTING: usize = 64;

/// Frames the interpreter runs in. A frame declared smaller than
/// `FULL_MIN_FRAME` runs the *thin* function (assembly, a few words of
/// stack): its body is empty or one `FRAME` op, and it emits nothing. From
/// `FULL_MIN_FRAME` up the frame runs the interpreter, which emits records.
/// Each bound is the function's measured stack use with a margin, on the
/// platform that needs most (see the interpreter crate's `arch/`).
pub const THIN_MIN_FRAME: u64 = 128;
pub const FULL_MIN_FRAME: u64 = 1280;

/// A registry index that names no vec: a null pointer.
pub const VEC_NONE: u64 = 0xffff;
/// A registry index for a pointer the interpreter never saw created.
pub const VEC_UNKNOWN: u64 = 0xfffe;
/// The descriptor "index" of the root's own body frame (`rust_entry`), and
/// of any descriptor that is neither the scenario's nor the root's.
pub const DESC_ROOT: u64 = 0xffff;
pub const DESC_UNKNOWN: u64 = 0xfffe;
/// The bytes of a receive buffer before the call, and after `cap`.
pub const GUARD_BYTE: u8 = 0xa5;

/// Opcodes, with their operands in order.
pub mod op {
    /// desc:u16 ret:u32 body_len:u32 body — `frame_call` of a frame
    /// described by desc; its function runs body and returns `ret` (a thin
    /// frame returns `ret` plus its child frame's result, wrapping).
    pub const FRAME: u8 = 1;
    /// count:u32 quiet:u8 body_len:u32 body — body `count` times; a quiet
    /// repeat emits no record inside (a `STATE` follows it as for any op).
    pub const REPEAT: u8 = 2;
    /// max:u8 null:u8 — `backtrace` into a buffer of `max` entries (null
    /// when `null` is 1, which needs max 0).
    pub const BACKTRACE: u8 = 3;
    /// `runtime_info`.
    pub const RUNTIME_INFO: u8 = 4;
    /// program:u16 desc:u16 mem_budget:u64 tick_budget:u64 env:u8 — `spawn`.
    pub const SPAWN: u8 = 5;
    /// `yield_now`.
    pub const YIELD: u8 = 6;
    /// id:u32 discarded_null:u8 — `join`.
    pub const JOIN: u8 = 7;
    /// to:u32 len:u32 fill:u8 null:u8 — `send` of `len` bytes `fill + i`.
    pub const SEND: u8 = 8;
    /// cap:u32 buf_null:u8 sender_null:u8 — `receive`.
    pub const RECEIVE: u8 = 9;
    /// slot:u8 capacity:u64 — `vec_alloc` into a slot.
    pub const VEC_ALLOC: u8 = 10;
    /// src:u8 dst:u8 — `vec_share` of slot src into slot dst.
    pub const VEC_SHARE: u8 = 11;
    /// slot:u8 — `vec_release` of a slot, which becomes empty.
    pub const VEC_RELEASE: u8 = 12;
    /// slot:u8 offset:u64 len:u32 fill:u8 null:u8 — `vec_write` of `len`
    /// bytes `fill + i` through a slot.
    pub const VEC_WRITE: u8 = 13;
    /// to:u32 slot:u8 — `send_vec` of a slot (the slot keeps its reference).
    pub const SEND_VEC: u8 = 14;
    /// slot:u8 sender_null:u8 — `receive_vec` into a slot.
    pub const RECEIVE_VEC: u8 = 15;
    /// n:u64 — `tick(n)`.
    pub const TICK: u8 = 16;
    /// index:u16 — `vec_release` of the registry's vec `index`, held or not
    /// (it must still exist).
    pub const VEC_RELEASE_ANY: u8 = 17;

    /// The operand bytes after each opcode (a block's body excluded).
    pub const fn operand_len(opcode: u8) -> Option<usize> {
        Some(match opcode {
            FRAME => 2 + 4 + 4,
            REPEAT => 4 + 1 + 4,
            BACKTRACE => 2,
            RUNTIME_INFO | YIELD => 0,
            SPAWN => 2 + 2 + 8 + 8 + 1,
            JOIN => 4 + 1,
            SEND => 4 + 4 + 1 + 1,
            RECEIVE => 4 + 1 + 1,
            VEC_ALLOC => 1 + 8,
            VEC_SHARE => 2,
            VEC_RELEASE => 1,
            VEC_WRITE => 1 + 8 + 4 + 1 + 1,
            SEND_VEC => 4 + 1,
            RECEIVE_VEC => 2,
            TICK => 8,
            VEC_RELEASE_ANY => 2,
            _ => return None,
        })
    }
}

/// Records: `kind:u8 n_fields:u8 proc:u16 seq:u32`, then `n_fields` u64.
/// `seq` counts records from 0 in the whole process, so a lost or repeated
/// record shows. The fields of each kind, in order:
pub mod record {
    /// The header's size.
    pub const HEADER: usize = 8;
    /// The most fields a record has (a backtrace of `MAX_BACKTRACE` + 2).
    pub const MAX_FIELDS: usize = 2 + 2 * super::MAX_BACKTRACE as usize + 1;

    /// self_id, env_ok — a full body began its program (a thin body's
    /// full frame writes `ENTER` instead: INTERPRETING.md).
    pub const START: u8 = 1;
    /// mem_budget curr_mem queued curr_ticks tick_budget vec_copies
    /// segment_index segments_held segment_size segment_live
    /// segments_allocated segments_freed depth flags — after every op.
    pub const STATE: u8 = 2;
    /// desc — a full frame's function began.
    pub const ENTER: u8 = 3;
    /// desc result — `frame_call` returned `result` to its caller.
    pub const LEAVE: u8 = 4;
    /// n guard_ok (desc segment_index)×n.
    pub const BACKTRACE: u8 = 5;
    /// procs segments vecs messages bytes.
    pub const RUNTIME_INFO: u8 = 6;
    /// id.
    pub const SPAWN: u8 = 7;
    /// (none).
    pub const YIELD: u8 = 8;
    /// result discarded (`u64::MAX` when not asked for).
    pub const JOIN: u8 = 9;
    /// result.
    pub const SEND: u8 = 10;
    /// len sender(`u64::MAX` when not asked for) checksum guard_ok.
    pub const RECEIVE: u8 = 11;
    /// index refs size live init checksum.
    pub const VEC_ALLOC: u8 = 12;
    /// same(1 when the returned pointer is the one shared) index refs.
    pub const VEC_SHARE: u8 = 13;
    /// index (the vec released).
    pub const VEC_RELEASE: u8 = 14;
    /// result changed index refs size live init checksum.
    pub const VEC_WRITE: u8 = 15;
    /// result.
    pub const SEND_VEC: u8 = 16;
    /// sender index refs size live init checksum (header fields 0 when null).
    pub const RECEIVE_VEC: u8 = 17;
    /// (none).
    pub const TICK: u8 = 18;
    /// index.
    pub const VEC_RELEASE_ANY: u8 = 19;
    /// status — the program ended; its body returns `status`.
    pub const END: u8 = 20;
    /// code — the interpreter itself cannot go on (a malformed image, a
    /// limit of the interpreter): never a runtime's fault.
    pub const INTERNAL: u8 = 21;

    /// `STATE` flags.
    pub const FLAG_LOCAL_IN_SEGMENT: u64 = 1;
    pub const FLAG_SEGMENT_BOUNDS: u64 = 2;
    pub const FLAG_OS_BOUNDS: u64 = 4;
    pub const FLAG_ID: u64 = 8;
    /// Every flag set: what a conforming runtime always shows.
    pub const FLAGS_ALL: u64 = 15;
}

/// `INTERNAL` codes.
pub mod internal {
    pub const BAD_IMAGE: u64 = 1;
    pub const TOO_MANY_PROCS: u64 = 2;
    pub const EMPTY_SLOT: u64 = 3;
    pub const REGISTRY_FULL: u64 = 4;
    pub const TOO_DEEP: u64 = 5;
    pub const FRAME_TOO_SMALL: u64 = 6;
}

/// FNV-1a, 64 bits: the checksum of bytes in records.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The `i`th byte a `SEND` or `VEC_WRITE` with `fill` writes.
pub const fn fill_byte(fill: u8, i: usize) -> u8 {
    fill.wrapping_add(i as u8)
}

/// Why an image cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadImage(pub &'static str);

/// A little-endian reader over a byte slice.
#[derive(Clone, Copy)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], BadImage> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(BadImage("truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, BadImage> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, BadImage> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Result<u32, BadImage> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Result<u64, BadImage> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// A scenario image, checked enough to be read without panics.
#[derive(Clone, Copy)]
pub struct Image<'a> {
    bytes: &'a [u8],
    n_descs: u16,
    n_programs: u16,
    seed: u64,
}

/// The header's size, and each table entry's.
pub const HEADER_LEN: usize = 24;
pub const DESC_LEN: usize = 16;
pub const PROGRAM_LEN: usize = 16;

/// A frame descriptor of the image: its declared size and its name, NUL included.
#[derive(Clone, Copy)]
pub struct DescEntry<'a> {
    pub size: u64,
    pub name_with_nul: &'a [u8],
}

/// A program of the image.
#[derive(Clone, Copy)]
pub struct ProgramEntry<'a> {
    pub ops: &'a [u8],
    pub status: u32,
}

impl<'a> Image<'a> {
    /// Reads the header and checks that every table entry points inside the
    /// image and every name ends with a NUL.
    pub fn parse(section: &'a [u8]) -> Result<Image<'a>, BadImage> {
        let mut c = Cursor::new(section);
        if c.take(8)? != MAGIC {
            return Err(BadImage("no scenario image (magic)"));
        }
        let total = c.u32()? as usize;
        if total > section.len() || total < HEADER_LEN {
            return Err(BadImage("length"));
        }
        let image = Image { bytes: &section[..total], n_descs: c.u16()?, n_programs: c.u16()?, seed: c.u64()? };
        if image.n_programs == 0 {
            return Err(BadImage("no program"));
        }
        for i in 0..image.n_descs {
            let name = image.try_desc(i)?.name_with_nul;
            if name.last() != Some(&0) || name[..name.len() - 1].contains(&0) {
                return Err(BadImage("name"));
            }
        }
        for i in 0..image.n_programs {
            image.try_program(i)?;
        }
        Ok(image)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn n_descs(&self) -> u16 {
        self.n_descs
    }

    pub fn n_programs(&self) -> u16 {
        self.n_programs
    }

    fn try_desc(&self, i: u16) -> Result<DescEntry<'a>, BadImage> {
        let mut c = Cursor::new(self.bytes);
        c.take(HEADER_LEN + DESC_LEN * i as usize)?;
        let size = c.u64()?;
        let offset = c.u32()? as usize;
        let len = c.u16()? as usize;
        let mut names = Cursor::new(self.bytes);
        names.take(offset)?;
        Ok(DescEntry { size, name_with_nul: names.take(len + 1)? })
    }

    fn try_program(&self, i: u16) -> Result<ProgramEntry<'a>, BadImage> {
        let mut c = Cursor::new(self.bytes);
        c.take(HEADER_LEN + DESC_LEN * self.n_descs as usize + PROGRAM_LEN * i as usize)?;
        let offset = c.u32()? as usize;
        let len = c.u32()? as usize;
        let status = c.u32()?;
        let mut ops = Cursor::new(self.bytes);
        ops.take(offset)?;
        Ok(ProgramEntry { ops: ops.take(len)?, status })
    }

    /// Descriptor `i`; `None` past the table.
    pub fn desc(&self, i: u16) -> Option<DescEntry<'a>> {
        if i >= self.n_descs {
            return None;
        }
        self.try_desc(i).ok()
    }

    /// Program `i`; `None` past the table.
    pub fn program(&self, i: u16) -> Option<ProgramEntry<'a>> {
        if i >= self.n_programs {
            return None;
        }
        self.try_program(i).ok()
    }
}

/// One decoded op; blocks keep their body as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawOp<'a> {
    Frame { desc: u16, ret: u32, body: &'a [u8] },
    Repeat { count: u32, quiet: bool, body: &'a [u8] },
    Backtrace { max: u8, null: bool },
    RuntimeInfo,
    Spawn { program: u16, desc: u16, mem_budget: u64, tick_budget: u64, env: bool },
    Yield,
    Join { id: u32, discarded_null: bool },
    Send { to: u32, len: u32, fill: u8, null: bool },
    Receive { cap: u32, buf_null: bool, sender_null: bool },
    VecAlloc { slot: u8, capacity: u64 },
    VecShare { src: u8, dst: u8 },
    VecRelease { slot: u8 },
    VecWrite { slot: u8, offset: u64, len: u32, fill: u8, null: bool },
    SendVec { to: u32, slot: u8 },
    ReceiveVec { slot: u8, sender_null: bool },
    Tick { n: u64 },
    VecReleaseAny { index: u16 },
}

/// Reads the ops of a block one at a time.
#[derive(Clone, Copy)]
pub struct OpReader<'a> {
    cursor: Cursor<'a>,
}

impl<'a> OpReader<'a> {
    pub fn new(block: &'a [u8]) -> OpReader<'a> {
        OpReader { cursor: Cursor::new(block) }
    }

    /// Bytes of the block read so far: the offset of the next op.
    pub fn offset(&self) -> usize {
        self.cursor.pos
    }

    /// The next op, `Ok(None)` at the end of the block.
    pub fn next_op(&mut self) -> Result<Option<RawOp<'a>>, BadImage> {
        if self.cursor.is_empty() {
            return Ok(None);
        }
        let c = &mut self.cursor;
        let opcode = c.u8()?;
        let flag = |b: u8| -> Result<bool, BadImage> {
            match b {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(BadImage("flag")),
            }
        };
        let slot = |s: u8| if s < VEC_SLOTS { Ok(s) } else { Err(BadImage("slot")) };
        Ok(Some(match opcode {
            op::FRAME => {
                let desc = c.u16()?;
                let ret = c.u32()?;
                let len = c.u32()? as usize;
                RawOp::Frame { desc, ret, body: c.take(len)? }
            }
            op::REPEAT => {
                let count = c.u32()?;
                let quiet = flag(c.u8()?)?;
                let len = c.u32()? as usize;
                if count > MAX_REPEAT {
                    return Err(BadImage("repeat count"));
                }
                RawOp::Repeat { count, quiet, body: c.take(len)? }
            }
            op::BACKTRACE => {
                let max = c.u8()?;
                let null = flag(c.u8()?)?;
                if max > MAX_BACKTRACE || (null && max != 0) {
                    return Err(BadImage("backtrace"));
                }
                RawOp::Backtrace { max, null }
            }
            op::RUNTIME_INFO => RawOp::RuntimeInfo,
            op::SPAWN => RawOp::Spawn {
                program: c.u16()?,
                desc: c.u16()?,
                mem_budget: c.u64()?,
                tick_budget: c.u64()?,
                env: flag(c.u8()?)?,
            },
            op::YIELD => RawOp::Yield,
            op::JOIN => RawOp::Join { id: c.u32()?, discarded_null: flag(c.u8()?)? },
            op::SEND => {
                let to = c.u32()?;
                let len = c.u32()?;
                let fill = c.u8()?;
                let null = flag(c.u8()?)?;
                if len > MAX_MESSAGE || (null && len != 0) {
                    return Err(BadImage("send"));
                }
                RawOp::Send { to, len, fill, null }
            }
            op::RECEIVE => {
                let cap = c.u32()?;
                let buf_null = flag(c.u8()?)?;
                let sender_null = flag(c.u8()?)?;
                if cap > MAX_MESSAGE || (buf_null && cap != 0) {
                    return Err(BadImage("receive"));
                }
                RawOp::Receive { cap, buf_null, sender_null }
            }
            op::VEC_ALLOC => RawOp::VecAlloc { slot: slot(c.u8()?)?, capacity: c.u64()? },
            op::VEC_SHARE => RawOp::VecShare { src: slot(c.u8()?)?, dst: slot(c.u8()?)? },
            op::VEC_RELEASE => RawOp::VecRelease { slot: slot(c.u8()?)? },
            op::VEC_WRITE => {
                let slot = slot(c.u8()?)?;
                let offset = c.u64()?;
                let len = c.u32()?;
                let fill = c.u8()?;
                let null = flag(c.u8()?)?;
                if len > MAX_MESSAGE || (null && len != 0) {
                    return Err(BadImage("vec write"));
                }
                RawOp::VecWrite { slot, offset, len, fill, null }
            }
            op::SEND_VEC => RawOp::SendVec { to: c.u32()?, slot: slot(c.u8()?)? },
            op::RECEIVE_VEC => RawOp::ReceiveVec { slot: slot(c.u8()?)?, sender_null: flag(c.u8()?)? },
            op::TICK => RawOp::Tick { n: c.u64()? },
            op::VEC_RELEASE_ANY => {
                let index = c.u16()?;
                if index as usize >= MAX_REGISTRY {
                    return Err(BadImage("registry index"));
                }
                RawOp::VecReleaseAny { index }
            }
            _ => return Err(BadImage("opcode")),
        }))
    }
}

/// Builds one record in a caller's buffer (no allocation).
pub struct RecordWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> RecordWriter<'b> {
    /// Starts a record of `kind` for `proc` with sequence number `seq` in
    /// `buf` (at least `record::HEADER + 8 * record::MAX_FIELDS` bytes).
    pub fn new(buf: &'b mut [u8], kind: u8, proc: u32, seq: u32) -> RecordWriter<'b> {
        buf[0] = kind;
        buf[1] = 0;
        buf[2..4].copy_from_slice(&(proc as u16).to_le_bytes());
        buf[4..8].copy_from_slice(&seq.to_le_bytes());
        RecordWriter { buf, len: record::HEADER }
    }

    pub fn field(&mut self, value: u64) -> &mut Self {
        if (self.buf[1] as usize) < record::MAX_FIELDS {
            self.buf[self.len..self.len + 8].copy_from_slice(&value.to_le_bytes());
            self.len += 8;
            self.buf[1] += 1;
        }
        self
    }

    /// The record's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
