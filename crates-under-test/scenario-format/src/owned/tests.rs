//! Round trips: a scenario through its image and the no_std reader, and
//! records through the writer and the trace decoder.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use crate::*;

fn decode_block(bytes: &[u8]) -> Vec<Op> {
    let mut reader = OpReader::new(bytes);
    let mut ops = Vec::new();
    while let Some(raw) = reader.next_op().unwrap() {
        ops.push(match raw {
            RawOp::Frame { desc, ret, body } => Op::Frame { desc, ret, body: decode_block(body) },
            RawOp::Repeat { count, quiet, body } => Op::Repeat { count, quiet, body: decode_block(body) },
            RawOp::Backtrace { max, null } => Op::Backtrace { max, null },
            RawOp::RuntimeInfo => Op::RuntimeInfo,
            RawOp::Spawn { program, desc, mem_budget, tick_budget, env } => {
                Op::Spawn { program, desc, mem_budget, tick_budget, env }
            }
            RawOp::Yield => Op::Yield,
            RawOp::Join { id, discarded_null } => Op::Join { id, discarded_null },
            RawOp::Send { to, len, fill, null } => Op::Send { to, len, fill, null },
            RawOp::Receive { cap, buf_null, sender_null } => Op::Receive { cap, buf_null, sender_null },
            RawOp::VecAlloc { slot, capacity } => Op::VecAlloc { slot, capacity },
            RawOp::VecShare { src, dst } => Op::VecShare { src, dst },
            RawOp::VecRelease { slot } => Op::VecRelease { slot },
            RawOp::VecWrite { slot, offset, len, fill, null } => Op::VecWrite { slot, offset, len, fill, null },
            RawOp::SendVec { to, slot } => Op::SendVec { to, slot },
            RawOp::ReceiveVec { slot, sender_null } => Op::ReceiveVec { slot, sender_null },
            RawOp::Tick { n } => Op::Tick { n },
            RawOp::VecReleaseAny { index } => Op::VecReleaseAny { index },
        });
    }
    ops
}

fn every_op() -> Vec<Op> {
    vec![
        Op::Frame {
            desc: 1,
            ret: 7,
            body: vec![Op::Repeat { count: 3, quiet: true, body: vec![Op::Tick { n: 5 }, Op::Yield] }],
        },
        Op::Backtrace { max: 4, null: false },
        Op::Backtrace { max: 0, null: true },
        Op::RuntimeInfo,
        Op::Spawn { program: 1, desc: 0, mem_budget: u64::MAX, tick_budget: 10, env: true },
        Op::Join { id: 2, discarded_null: true },
        Op::Send { to: 2, len: 10, fill: 0x41, null: false },
        Op::Receive { cap: 3, buf_null: false, sender_null: true },
        Op::VecAlloc { slot: 7, capacity: 1 << 40 },
        Op::VecShare { src: 7, dst: 0 },
        Op::VecRelease { slot: 0 },
        Op::VecWrite { slot: 7, offset: 3, len: 0, fill: 9, null: true },
        Op::SendVec { to: 2, slot: 7 },
        Op::ReceiveVec { slot: 1, sender_null: false },
        Op::Tick { n: u64::MAX },
        Op::VecReleaseAny { index: 1023 },
    ]
}

#[test]
fn a_scenario_survives_its_image() {
    let scenario = Scenario {
        seed: 42,
        descs: vec![Desc { size: 2048, name: "body".into() }, Desc { size: 17, name: "f17".into() }],
        programs: vec![Program { ops: every_op(), status: 3 }, Program { ops: vec![], status: 0 }],
    };
    let bytes = scenario.encode().unwrap();
    let image = Image::parse(&bytes).unwrap();
    assert_eq!(image.seed(), 42);
    assert_eq!((image.n_descs(), image.n_programs()), (2, 2));
    let desc = image.desc(1).unwrap();
    assert_eq!((desc.size, desc.name_with_nul), (17, &b"f17\0"[..]));
    assert!(image.desc(2).is_none());
    let program = image.program(0).unwrap();
    assert_eq!(program.status, 3);
    assert_eq!(decode_block(program.ops), every_op());
    assert!(decode_block(image.program(1).unwrap().ops).is_empty());
}

#[test]
fn malformed_images_are_refused() {
    let mut bytes = Scenario { programs: vec![Program::default()], ..Scenario::default() }.encode().unwrap();
    assert!(Image::parse(&bytes).is_ok());
    assert_eq!(Image::parse(&bytes[..10]).err(), Some(BadImage("truncated")));
    bytes[0] = b'X';
    assert_eq!(Image::parse(&bytes).err(), Some(BadImage("no scenario image (magic)")));
    assert_eq!(OpReader::new(&[99]).next_op(), Err(BadImage("opcode")));
    assert_eq!(OpReader::new(&[op::VEC_RELEASE, VEC_SLOTS]).next_op(), Err(BadImage("slot")));
    assert_eq!(OpReader::new(&[op::FRAME, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0]).next_op(), Err(BadImage("truncated")));
}

#[test]
fn records_decode_into_events() {
    let mut bytes = Vec::new();
    let mut buf = [0u8; record::HEADER + 8 * record::MAX_FIELDS];
    let mut w = RecordWriter::new(&mut buf, record::SPAWN, 1, 0);
    w.field(2);
    bytes.extend(w.bytes());
    let mut w = RecordWriter::new(&mut buf, record::JOIN, 1, 1);
    w.field((-2i64) as u64).field(u64::MAX);
    bytes.extend(w.bytes());
    let events = decode_trace(&bytes).unwrap();
    assert_eq!(
        events,
        vec![Event::new(record::SPAWN, 1, vec![2]), Event::new(record::JOIN, 1, vec![(-2i64) as u64, u64::MAX])]
    );
    assert_eq!(events[1].to_string(), "p1 join result=-2 discarded=-");
    let lost = decode_trace(&bytes[16..]).unwrap_err();
    assert_eq!(lost.why, "record 0 carries sequence number 1");
    let cut = decode_trace(&bytes[..bytes.len() - 1]).unwrap_err();
    assert_eq!((cut.events.len(), cut.why.as_str()), (1, "the output ends inside record 1"));
}

#[test]
fn the_text_form_reads_back() {
    let scenario = Scenario {
        seed: 9,
        descs: vec![Desc { size: 2048, name: "a body".into() }, Desc { size: 17, name: "f17".into() }],
        programs: vec![Program { ops: every_op(), status: 3 }, Program { ops: vec![], status: 0 }],
    };
    let text = scenario.to_string();
    assert_eq!(Scenario::parse(&text), Ok(scenario));
    assert_eq!(
        Scenario::parse("seed 1\nprogram 0 status=0\n  frame desc=0 ret=1\n    yield\n").unwrap_err(),
        "the text ends inside a block: a `frame` or `repeat` has no `end`"
    );
    assert_eq!(
        Scenario::parse("program 0 status=0\n  hop x=1\n").unwrap_err(),
        "line 2: `hop` is not an op: `hop x=1`"
    );
}
