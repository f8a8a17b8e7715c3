//! The owned forms, for the runner: `Scenario` and `Op` (what the generator
//! builds and the model runs), their encoding into an image, and `Event`
//! (a decoded record) with its one-line text form.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::{DESC_LEN, HEADER_LEN, MAGIC, PROGRAM_LEN, SECTION_SIZE, op, record};

/// A frame descriptor: a declared size and a name (no NUL inside).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Desc {
    pub size: u64,
    pub name: String,
}

/// One op; see `crate::op` for what each does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Frame { desc: u16, ret: u32, body: Vec<Op> },
    Repeat { count: u32, quiet: bool, body: Vec<Op> },
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

/// A proc body: its ops, and the status its body returns when they end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Program {
    pub ops: Vec<Op>,
    pub status: u32,
}

/// A whole scenario. Program 0 is the root's body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub seed: u64,
    pub descs: Vec<Desc>,
    pub programs: Vec<Program>,
}

impl Op {
    /// The blocks nested in this op.
    pub fn body(&self) -> Option<&Vec<Op>> {
        match self {
            Op::Frame { body, .. } | Op::Repeat { body, .. } => Some(body),
            _ => None,
        }
    }

    pub fn body_mut(&mut self) -> Option<&mut Vec<Op>> {
        match self {
            Op::Frame { body, .. } | Op::Repeat { body, .. } => Some(body),
            _ => None,
        }
    }
}

fn encode_ops(ops: &[Op], out: &mut Vec<u8>) {
    for o in ops {
        match o {
            Op::Frame { desc, ret, body } => {
                out.push(op::FRAME);
                out.extend(desc.to_le_bytes());
                out.extend(ret.to_le_bytes());
                encode_block(body, out);
            }
            Op::Repeat { count, quiet, body } => {
                out.push(op::REPEAT);
                out.extend(count.to_le_bytes());
                out.push(u8::from(*quiet));
                encode_block(body, out);
            }
            Op::Backtrace { max, null } => out.extend([op::BACKTRACE, *max, u8::from(*null)]),
            Op::RuntimeInfo => out.push(op::RUNTIME_INFO),
            Op::Spawn { program, desc, mem_budget, tick_budget, env } => {
                out.push(op::SPAWN);
                out.extend(program.to_le_bytes());
                out.extend(desc.to_le_bytes());
                out.extend(mem_budget.to_le_bytes());
                out.extend(tick_budget.to_le_bytes());
                out.push(u8::from(*env));
            }
            Op::Yield => out.push(op::YIELD),
            Op::Join { id, discarded_null } => {
                out.push(op::JOIN);
                out.extend(id.to_le_bytes());
                out.push(u8::from(*discarded_null));
            }
            Op::Send { to, len, fill, null } => {
                out.push(op::SEND);
                out.extend(to.to_le_bytes());
                out.extend(len.to_le_bytes());
                out.extend([*fill, u8::from(*null)]);
            }
            Op::Receive { cap, buf_null, sender_null } => {
                out.push(op::RECEIVE);
                out.extend(cap.to_le_bytes());
                out.extend([u8::from(*buf_null), u8::from(*sender_null)]);
            }
            Op::VecAlloc { slot, capacity } => {
                out.extend([op::VEC_ALLOC, *slot]);
                out.extend(capacity.to_le_bytes());
            }
            Op::VecShare { src, dst } => out.extend([op::VEC_SHARE, *src, *dst]),
            Op::VecRelease { slot } => out.extend([op::VEC_RELEASE, *slot]),
            Op::VecWrite { slot, offset, len, fill, null } => {
                out.extend([op::VEC_WRITE, *slot]);
                out.extend(offset.to_le_bytes());
                out.extend(len.to_le_bytes());
                out.extend([*fill, u8::from(*null)]);
            }
            Op::SendVec { to, slot } => {
                out.push(op::SEND_VEC);
                out.extend(to.to_le_bytes());
                out.push(*slot);
            }
            Op::ReceiveVec { slot, sender_null } => out.extend([op::RECEIVE_VEC, *slot, u8::from(*sender_null)]),
            Op::Tick { n } => {
                out.push(op::TICK);
                out.extend(n.to_le_bytes());
            }
            Op::VecReleaseAny { index } => {
                out.push(op::VEC_RELEASE_ANY);
                out.extend(index.to_le_bytes());
            }
        }
    }
}

fn encode_block(body: &[Op], out: &mut Vec<u8>) {
    let mut bytes = Vec::new();
    encode_ops(body, &mut bytes);
    out.extend((bytes.len() as u32).to_le_bytes());
    out.extend(bytes);
}

/// A scenario that cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooBig(pub usize);

impl fmt::Display for TooBig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the scenario's image has {} bytes; the section holds {SECTION_SIZE}", self.0)
    }
}

impl Scenario {
    /// The image the interpreter reads (see the crate's documentation).
    pub fn encode(&self) -> Result<Vec<u8>, TooBig> {
        let tables = HEADER_LEN + DESC_LEN * self.descs.len() + PROGRAM_LEN * self.programs.len();
        let mut names = Vec::new();
        let mut name_offsets = Vec::new();
        for desc in &self.descs {
            name_offsets.push(tables + names.len());
            names.extend(desc.name.as_bytes());
            names.push(0);
        }
        let mut ops = Vec::new();
        let mut program_spans = Vec::new();
        for program in &self.programs {
            let start = ops.len();
            encode_ops(&program.ops, &mut ops);
            program_spans.push((tables + names.len() + start, ops.len() - start));
        }
        let total = tables + names.len() + ops.len();
        let mut out = Vec::with_capacity(total);
        out.extend(MAGIC);
        out.extend((total as u32).to_le_bytes());
        out.extend((self.descs.len() as u16).to_le_bytes());
        out.extend((self.programs.len() as u16).to_le_bytes());
        out.extend(self.seed.to_le_bytes());
        for (desc, offset) in self.descs.iter().zip(&name_offsets) {
            out.extend(desc.size.to_le_bytes());
            out.extend((*offset as u32).to_le_bytes());
            out.extend((desc.name.len() as u16).to_le_bytes());
            out.extend([0, 0]);
        }
        for (program, (offset, len)) in self.programs.iter().zip(&program_spans) {
            out.extend((*offset as u32).to_le_bytes());
            out.extend((*len as u32).to_le_bytes());
            out.extend(program.status.to_le_bytes());
            out.extend([0; 4]);
        }
        out.extend(names);
        out.extend(ops);
        debug_assert_eq!(out.len(), total);
        if total > SECTION_SIZE {
            return Err(TooBig(total));
        }
        Ok(out)
    }

    /// Ops in all programs, nested ones included.
    pub fn n_ops(&self) -> usize {
        fn count(ops: &[Op]) -> usize {
            ops.iter().map(|o| 1 + o.body().map_or(0, |b| count(b))).sum()
        }
        self.programs.iter().map(|p| count(&p.ops)).sum()
    }
}

/// One decoded record: what the interpreter observed, or what the model
/// predicts it observes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    pub proc: u32,
    pub kind: u8,
    pub fields: Vec<u64>,
}

impl Event {
    pub fn new(kind: u8, proc: u32, fields: Vec<u64>) -> Event {
        Event { proc, kind, fields }
    }
}

/// Why a trace cannot be decoded (the runtime wrote something else).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadTrace {
    /// Events decoded before the problem.
    pub events: Vec<Event>,
    pub why: String,
}

/// Decodes the records a run wrote to standard output.
pub fn decode_trace(bytes: &[u8]) -> Result<Vec<Event>, BadTrace> {
    let mut events = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes.len() - pos < record::HEADER {
            let why = format!("{} stray bytes at the end of the output", bytes.len() - pos);
            return Err(BadTrace { events, why });
        }
        let header = &bytes[pos..pos + record::HEADER];
        let (kind, n) = (header[0], header[1] as usize);
        let proc = u16::from_le_bytes([header[2], header[3]]) as u32;
        let seq = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if kind == 0 || kind > record::INTERNAL || n > record::MAX_FIELDS {
            return Err(BadTrace { events, why: format!("output byte {pos} does not start a record") });
        }
        if seq as usize != events.len() {
            let why = format!("record {} carries sequence number {seq}", events.len());
            return Err(BadTrace { events, why });
        }
        let end = pos + record::HEADER + 8 * n;
        if end > bytes.len() {
            return Err(BadTrace { events, why: format!("the output ends inside record {seq}") });
        }
        let fields =
            bytes[pos + record::HEADER..end].chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
        events.push(Event { proc, kind, fields });
        pos = end;
    }
    Ok(events)
}

/// The names of a kind's fields, in order.
pub fn field_names(kind: u8) -> &'static [&'static str] {
    match kind {
        record::START => &["self_id", "env_ok"],
        record::STATE => &[
            "mem_budget",
            "curr_mem",
            "queued",
            "curr_ticks",
            "tick_budget",
            "vec_copies",
            "segment_index",
            "segments_held",
            "segment_size",
            "segment_live",
            "segments_allocated",
            "segments_freed",
            "depth",
            "flags",
        ],
        record::ENTER => &["desc"],
        record::LEAVE => &["desc", "result"],
        record::BACKTRACE => &["n", "guard_ok"],
        record::RUNTIME_INFO => &["procs", "segments", "vecs", "messages", "bytes"],
        record::SPAWN => &["id"],
        record::JOIN => &["result", "discarded"],
        record::SEND | record::SEND_VEC => &["result"],
        record::RECEIVE => &["len", "sender", "checksum", "guard_ok"],
        record::VEC_ALLOC => &["vec", "refs", "size", "live", "init", "checksum"],
        record::VEC_SHARE => &["same", "vec", "refs"],
        record::VEC_RELEASE | record::VEC_RELEASE_ANY => &["vec"],
        record::VEC_WRITE => &["result", "changed", "vec", "refs", "size", "live", "init", "checksum"],
        record::RECEIVE_VEC => &["sender", "vec", "refs", "size", "live", "init", "checksum"],
        record::END => &["status"],
        record::INTERNAL => &["code"],
        _ => &[],
    }
}

pub fn kind_name(kind: u8) -> &'static str {
    match kind {
        record::START => "start",
        record::STATE => "state",
        record::ENTER => "enter",
        record::LEAVE => "leave",
        record::BACKTRACE => "backtrace",
        record::RUNTIME_INFO => "runtime_info",
        record::SPAWN => "spawn",
        record::YIELD => "yield",
        record::JOIN => "join",
        record::SEND => "send",
        record::RECEIVE => "receive",
        record::VEC_ALLOC => "vec_alloc",
        record::VEC_SHARE => "vec_share",
        record::VEC_RELEASE => "vec_release",
        record::VEC_WRITE => "vec_write",
        record::SEND_VEC => "send_vec",
        record::RECEIVE_VEC => "receive_vec",
        record::TICK => "tick",
        record::VEC_RELEASE_ANY => "vec_release_any",
        record::END => "end",
        record::INTERNAL => "internal",
        _ => "?",
    }
}

/// A field's value as text: results as signed numbers, "none" for the
/// markers of a value not asked for, hex for checksums.
fn render_field(name: &str, value: u64) -> String {
    match name {
        "result" => format!("{}", value as i64),
        "discarded" | "sender" if value == u64::MAX => "-".to_owned(),
        "checksum" => format!("{value:016x}"),
        "flags" => format!("{value:04b}"),
        "vec" if value == crate::VEC_NONE => "null".to_owned(),
        "vec" if value == crate::VEC_UNKNOWN => "unknown".to_owned(),
        "desc" if value == crate::DESC_ROOT => "rust_entry".to_owned(),
        "desc" if value == crate::DESC_UNKNOWN => "unknown".to_owned(),
        "mem_budget" if value == u64::MAX => "unlimited".to_owned(),
        _ => value.to_string(),
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{} {}", self.proc, kind_name(self.kind))?;
        let names = field_names(self.kind);
        for (i, value) in self.fields.iter().enumerate() {
            match names.get(i) {
                Some(name) => write!(f, " {name}={}", render_field(name, *value))?,
                // Backtrace entries: (desc, segment) pairs after n and guard_ok.
                None if self.kind == record::BACKTRACE => {
                    if (i - names.len()).is_multiple_of(2) {
                        write!(f, " [{}", render_field("desc", *value))?;
                    } else {
                        write!(f, " seg {}]", value)?;
                    }
                }
                None => write!(f, " {value}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// The text form of a scenario, for people: a shrunk failure is printed in
/// it and a regression case keeps one (`Scenario::parse` reads it back).
///
/// ```text
/// seed 42
/// desc 0 size=2048 name=body
/// program 0 status=0
///   spawn program=1 desc=0 mem_budget=unlimited tick_budget=0 env=0
///   frame desc=0 ret=3
///     tick n=5
///   end
/// ```
impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {}", self.seed)?;
        for (i, desc) in self.descs.iter().enumerate() {
            writeln!(f, "desc {i} size={} name={}", desc.size, desc.name)?;
        }
        for (i, program) in self.programs.iter().enumerate() {
            writeln!(f, "program {i} status={}", program.status)?;
            write_ops(f, &program.ops, 1)?;
        }
        Ok(())
    }
}

fn budget(value: u64) -> String {
    if value == u64::MAX { "unlimited".to_owned() } else { value.to_string() }
}

fn write_ops(f: &mut fmt::Formatter<'_>, ops: &[Op], depth: usize) -> fmt::Result {
    let pad = "  ".repeat(depth);
    for op in ops {
        let b = |flag: bool| u8::from(flag);
        match op {
            Op::Frame { desc, ret, body } => {
                writeln!(f, "{pad}frame desc={desc} ret={ret}")?;
                write_ops(f, body, depth + 1)?;
                writeln!(f, "{pad}end")?;
            }
            Op::Repeat { count, quiet, body } => {
                writeln!(f, "{pad}repeat count={count} quiet={}", b(*quiet))?;
                write_ops(f, body, depth + 1)?;
                writeln!(f, "{pad}end")?;
            }
            Op::Backtrace { max, null } => writeln!(f, "{pad}backtrace max={max} null={}", b(*null))?,
            Op::RuntimeInfo => writeln!(f, "{pad}runtime_info")?,
            Op::Spawn { program, desc, mem_budget, tick_budget, env } => writeln!(
                f,
                "{pad}spawn program={program} desc={desc} mem_budget={} tick_budget={tick_budget} env={}",
                budget(*mem_budget),
                b(*env)
            )?,
            Op::Yield => writeln!(f, "{pad}yield")?,
            Op::Join { id, discarded_null } => writeln!(f, "{pad}join id={id} discarded_null={}", b(*discarded_null))?,
            Op::Send { to, len, fill, null } => {
                writeln!(f, "{pad}send to={to} len={len} fill={fill} null={}", b(*null))?
            }
            Op::Receive { cap, buf_null, sender_null } => {
                writeln!(f, "{pad}receive cap={cap} buf_null={} sender_null={}", b(*buf_null), b(*sender_null))?
            }
            Op::VecAlloc { slot, capacity } => writeln!(f, "{pad}vec_alloc slot={slot} capacity={capacity}")?,
            Op::VecShare { src, dst } => writeln!(f, "{pad}vec_share src={src} dst={dst}")?,
            Op::VecRelease { slot } => writeln!(f, "{pad}vec_release slot={slot}")?,
            Op::VecWrite { slot, offset, len, fill, null } => {
                writeln!(f, "{pad}vec_write slot={slot} offset={offset} len={len} fill={fill} null={}", b(*null))?
            }
            Op::SendVec { to, slot } => writeln!(f, "{pad}send_vec to={to} slot={slot}")?,
            Op::ReceiveVec { slot, sender_null } => {
                writeln!(f, "{pad}receive_vec slot={slot} sender_null={}", b(*sender_null))?
            }
            Op::Tick { n } => writeln!(f, "{pad}tick n={n}")?,
            Op::VecReleaseAny { index } => writeln!(f, "{pad}vec_release_any index={index}")?,
        }
    }
    Ok(())
}

impl Scenario {
    /// Reads the text form (`Display`); the error names the line and what is wrong.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let mut scenario = Scenario::default();
        // The blocks being filled: the current program's ops, then nested bodies.
        let mut stack: Vec<(Op, Vec<Op>)> = Vec::new();
        let mut in_program = false;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |why: String| format!("line {}: {why}: `{line}`", n + 1);
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            let fields = || Fields::parse(rest).map_err(at);
            let op = match word {
                "seed" => {
                    scenario.seed = rest.trim().parse().map_err(|_| at("a seed is a number".into()))?;
                    continue;
                }
                "desc" => {
                    let (index, rest) = rest.split_once(' ').unwrap_or((rest, ""));
                    if index.parse::<usize>().ok() != Some(scenario.descs.len()) {
                        return Err(at(format!(
                            "descs are numbered in order from 0; expected {}",
                            scenario.descs.len()
                        )));
                    }
                    let (size, name) =
                        rest.split_once(" name=").ok_or_else(|| at("expected size=N name=NAME".into()))?;
                    let size = size
                        .strip_prefix("size=")
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| at("expected size=N".into()))?;
                    scenario.descs.push(Desc { size, name: name.to_owned() });
                    continue;
                }
                "program" => {
                    if !stack.is_empty() {
                        return Err(at("a block is not closed by `end`".into()));
                    }
                    let (index, rest) = rest.split_once(' ').unwrap_or((rest, ""));
                    if index.parse::<usize>().ok() != Some(scenario.programs.len()) {
                        return Err(at(format!(
                            "programs are numbered in order from 0; expected {}",
                            scenario.programs.len()
                        )));
                    }
                    let status = Fields::parse(rest).map_err(at)?.number("status").map_err(at)?;
                    scenario.programs.push(Program { ops: Vec::new(), status: status as u32 });
                    in_program = true;
                    continue;
                }
                "end" => {
                    let (mut op, body) = stack.pop().ok_or_else(|| at("`end` without a block".into()))?;
                    *op.body_mut().expect("blocks have bodies") = body;
                    op
                }
                "frame" => {
                    let fields = fields()?;
                    let op = Op::Frame {
                        desc: fields.number("desc").map_err(at)? as u16,
                        ret: fields.number("ret").map_err(at)? as u32,
                        body: Vec::new(),
                    };
                    stack.push((op, Vec::new()));
                    continue;
                }
                "repeat" => {
                    let fields = fields()?;
                    let op = Op::Repeat {
                        count: fields.number("count").map_err(at)? as u32,
                        quiet: fields.flag("quiet").map_err(at)?,
                        body: Vec::new(),
                    };
                    stack.push((op, Vec::new()));
                    continue;
                }
                _ => Op::parse_simple(word, &fields()?).map_err(at)?,
            };
            if !in_program {
                return Err(at("ops belong to a `program`".into()));
            }
            match stack.last_mut() {
                Some((_, body)) => body.push(op),
                None => scenario.programs.last_mut().expect("in a program").ops.push(op),
            }
        }
        if !stack.is_empty() {
            return Err("the text ends inside a block: a `frame` or `repeat` has no `end`".into());
        }
        Ok(scenario)
    }
}

/// `key=value` pairs of a line.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(text: &str) -> Result<Fields, String> {
        let mut pairs = Vec::new();
        for word in text.split_whitespace() {
            let (key, value) = word.split_once('=').ok_or_else(|| format!("`{word}` is not key=value"))?;
            pairs.push((key.to_owned(), value.to_owned()));
        }
        Ok(Fields(pairs))
    }

    fn value(&self, key: &str) -> Result<&str, String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).ok_or_else(|| format!("`{key}=` is missing"))
    }

    fn number(&self, key: &str) -> Result<u64, String> {
        let value = self.value(key)?;
        if value == "unlimited" {
            return Ok(u64::MAX);
        }
        value.parse().map_err(|_| format!("`{key}` must be a number, not `{value}`"))
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.number(key)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(format!("`{key}` is 0 or 1")),
        }
    }
}

impl Op {
    /// An op without a body, from its word and fields.
    fn parse_simple(word: &str, f: &Fields) -> Result<Op, String> {
        let n = |key: &str| f.number(key);
        Ok(match word {
            "backtrace" => Op::Backtrace { max: n("max")? as u8, null: f.flag("null")? },
            "runtime_info" => Op::RuntimeInfo,
            "spawn" => Op::Spawn {
                program: n("program")? as u16,
                desc: n("desc")? as u16,
                mem_budget: n("mem_budget")?,
                tick_budget: n("tick_budget")?,
                env: f.flag("env")?,
            },
            "yield" => Op::Yield,
            "join" => Op::Join { id: n("id")? as u32, discarded_null: f.flag("discarded_null")? },
            "send" => {
                Op::Send { to: n("to")? as u32, len: n("len")? as u32, fill: n("fill")? as u8, null: f.flag("null")? }
            }
            "receive" => Op::Receive {
                cap: n("cap")? as u32,
                buf_null: f.flag("buf_null")?,
                sender_null: f.flag("sender_null")?,
            },
            "vec_alloc" => Op::VecAlloc { slot: n("slot")? as u8, capacity: n("capacity")? },
            "vec_share" => Op::VecShare { src: n("src")? as u8, dst: n("dst")? as u8 },
            "vec_release" => Op::VecRelease { slot: n("slot")? as u8 },
            "vec_write" => Op::VecWrite {
                slot: n("slot")? as u8,
                offset: n("offset")?,
                len: n("len")? as u32,
                fill: n("fill")? as u8,
                null: f.flag("null")?,
            },
            "send_vec" => Op::SendVec { to: n("to")? as u32, slot: n("slot")? as u8 },
            "receive_vec" => Op::ReceiveVec { slot: n("slot")? as u8, sender_null: f.flag("sender_null")? },
            "tick" => Op::Tick { n: n("n")? },
            "vec_release_any" => Op::VecReleaseAny { index: n("index")? as u16 },
            other => return Err(format!("`{other}` is not an op")),
        })
    }
}
