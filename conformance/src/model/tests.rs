//! Hand-computed expectations for the model, rule by rule: small scenarios
//! whose events, standard error and exit status are written out here, derived
//! from SPEC.md by hand (the arithmetic is in the comments), and the numbers
//! of the existing goldens that ABI 3 did not change.

use scenario_format::{Desc, Event, Op, Program, Scenario, record};

use super::{LABELS, Prediction, predict};

// Helpers

fn desc(name: &str, size: u64) -> Desc {
    Desc { name: name.to_owned(), size }
}

fn program(ops: Vec<Op>, status: u32) -> Program {
    Program { ops, status }
}

fn scenario(descs: Vec<Desc>, programs: Vec<Program>) -> Scenario {
    Scenario { seed: 0, descs, programs }
}

fn frame(desc: u16, ret: u32, body: Vec<Op>) -> Op {
    Op::Frame { desc, ret, body }
}

fn spawn(program: u16, desc: u16, mem_budget: u64, tick_budget: u64) -> Op {
    Op::Spawn { program, desc, mem_budget, tick_budget, env: false }
}

fn join(id: u32) -> Op {
    Op::Join { id, discarded_null: false }
}

fn send(to: u32, len: u32) -> Op {
    Op::Send { to, len, fill: 0, null: false }
}

fn receive(cap: u32) -> Op {
    Op::Receive { cap, buf_null: false, sender_null: false }
}

fn tick(n: u64) -> Op {
    Op::Tick { n }
}

#[track_caller]
fn run(scenario: &Scenario) -> Prediction {
    match predict(scenario) {
        Ok(prediction) => prediction,
        Err(invalid) => panic!("the model refuses the scenario: {invalid}"),
    }
}

/// The whole prediction as text: one event a line, then stderr and status.
fn render(prediction: &Prediction) -> String {
    let mut out = String::new();
    for event in &prediction.events {
        out.push_str(&event.to_string());
        out.push('\n');
    }
    out.push_str("--- stderr\n");
    out.push_str(&prediction.stderr);
    out.push_str(&format!("--- exit {}\n", prediction.exit_status));
    out
}

/// Only the events of one kind of one proc.
fn events_of(prediction: &Prediction, proc: u32, kind: u8) -> Vec<&Event> {
    prediction.events.iter().filter(|e| e.proc == proc && e.kind == kind).collect()
}

/// One field of every `STATE` of a proc, by name.
fn state_field(prediction: &Prediction, proc: u32, name: &str) -> Vec<u64> {
    let names = scenario_format::field_names(record::STATE);
    let index = names.iter().position(|n| *n == name).expect("a STATE field");
    events_of(prediction, proc, record::STATE).iter().map(|e| e.fields[index]).collect()
}

#[track_caller]
fn check(scenario: &Scenario, expected: &str) {
    let actual = render(&run(scenario));
    let expected = expected.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n") + "\n";
    if actual != expected {
        panic!("the model's prediction differs\n--- expected\n{expected}--- actual\n{actual}");
    }
}

// The smallest scenario: the root's start, written out in full.

#[test]
fn root_alone_starts_in_its_entry_frame_and_exits_with_its_status() {
    // §11.2: proc 1, body rust_entry (65536 declared): F = 65536 + 32 + 256 = 65824.
    // §10.1: segment 0 (768) has 288 live; 288 + 65824 > 768, so (§10.5) a new
    // segment of max(2 × 768, 65824) = 65824 bytes, live 65824.
    // curr_mem = 256 (record) + 64 + 768 (segment 0) + 64 + 65824 = 66976.
    // §14.1: the body frame's entry is 1 tick. §5.2: status 300 mod 256 = 44.
    check(
        &scenario(vec![], vec![program(vec![], 300)]),
        "p1 start self_id=1 env_ok=1
         p1 state mem_budget=unlimited curr_mem=66976 queued=0 curr_ticks=1 tick_budget=0 vec_copies=0 segment_index=1 segments_held=2 segment_size=65824 segment_live=65824 segments_allocated=2 segments_freed=0 depth=1 flags=1111
         p1 end status=300
         --- stderr
         --- exit 44",
    );
}

#[test]
fn labels_used_in_the_code_are_the_labels_listed() {
    let sources = [
        include_str!("interp.rs"),
        include_str!("messages.rs"),
        include_str!("procs.rs"),
        include_str!("stack.rs"),
        include_str!("state.rs"),
        include_str!("ticks.rs"),
        include_str!("vecs.rs"),
    ];
    let mut used = Vec::new();
    for source in sources {
        for (i, _) in source.match_indices('"') {
            let rest = &source[i + 1..];
            let Some(end) = rest.find('"') else { continue };
            let text = &rest[..end];
            if (text.starts_with('§') || text.starts_with("INTERPRETING ")) && !used.contains(&text) {
                used.push(text);
            }
        }
    }
    let missing: Vec<_> = used.iter().filter(|l| !LABELS.contains(l)).collect();
    let unused: Vec<_> = LABELS.iter().filter(|l| !used.contains(l)).collect();
    assert!(missing.is_empty() && unused.is_empty(), "not listed: {missing:#?}\nlisted, not used: {unused:#?}");
}

// The goldens of ABI 2 that ABI 3 did not change, reproduced as scenarios.

/// `mem-accounting`: curr_mem after every step of the script.
#[test]
fn golden_mem_accounting() {
    let sink =
        program(vec![receive(128), Op::ReceiveVec { slot: 0, sender_null: false }, Op::VecRelease { slot: 0 }], 0);
    let script = program(
        vec![
            Op::VecAlloc { slot: 0, capacity: 1000 },
            Op::VecShare { src: 0, dst: 1 },
            Op::VecWrite { slot: 0, offset: 0, len: 1, fill: b'x', null: false },
            send(2, 100),
            Op::SendVec { to: 2, slot: 1 },
            frame(1, 0, vec![]),
            Op::VecRelease { slot: 0 },
            Op::VecRelease { slot: 1 },
            Op::Yield,
        ],
        0,
    );
    let root = program(vec![spawn(1, 0, u64::MAX, 0), spawn(2, 0, 64 * 1024, 0), join(3), join(2)], 0);
    let s = scenario(vec![desc("accounting-body", 4096), desc("accounting-deep", 2048)], vec![root, sink, script]);
    let prediction = run(&s);
    // Start: 256 + (64 + 768) + (64 + 4384, the 4096-byte body: F = 4096 + 288) = 5536.
    // vec of 1000: + 32 + 1000 = 6568; shared: no charge; the write copies: + 1032 = 7600;
    // a 100-byte message: + 132 = 7732; a vec message: + 32 = 7764;
    // the 2048-byte frame (F = 2336) needs segment 2 of max(2 × 4384, 2336) = 8768: + 8832 = 16596
    // (ENTER's STATE), and leaving keeps it (LEAVE's STATE: 16596); releasing the copy: − 1032 = 15564;
    // the original is still held by the message: 15564; after the sink read both messages
    // (− 132 − 32) and released the vec, whose maker is the script (− 1032): 14368.
    assert_eq!(
        state_field(&prediction, 3, "curr_mem"),
        [5536, 6568, 6568, 7600, 7732, 7764, 16596, 16596, 15564, 15564, 14368]
    );
    let sink_received = events_of(&prediction, 2, record::RECEIVE);
    assert_eq!(sink_received[0].fields[..2], [100, 3]);
    let sink_vec = events_of(&prediction, 2, record::RECEIVE_VEC);
    // The vec (registry 0) arrives with refs 1: the script released its own.
    assert_eq!(sink_vec[0].fields[..4], [3, 0, 1, 1000]);
    assert_eq!(
        events_of(&prediction, 1, record::JOIN).iter().map(|e| e.fields.clone()).collect::<Vec<_>>(),
        [vec![0, 0], vec![0, 0]]
    );
    assert_eq!((prediction.stderr.as_str(), prediction.exit_status), ("", 0));
}

/// `spawn-budget`: 1087 is refused, 1088 starts a proc whose 4096-byte body
/// then needs a segment it cannot pay for, 5536 is exactly enough.
#[test]
fn golden_spawn_budget() {
    let root = program(
        vec![
            spawn(1, 0, 1087, 0),
            spawn(1, 1, 1088, 0),
            join(2),
            spawn(1, 1, 5536, 0),
            join(3),
            spawn(1, 0, 1088, 0),
            join(4),
        ],
        0,
    );
    let s = scenario(vec![desc("small-body", 128), desc("large-body", 4096)], vec![root, program(vec![], 7)]);
    let prediction = run(&s);
    let spawned: Vec<u64> = events_of(&prediction, 1, record::SPAWN).iter().map(|e| e.fields[0]).collect();
    assert_eq!(spawned, [0, 2, 3, 4]);
    let joined: Vec<u64> = events_of(&prediction, 1, record::JOIN).iter().map(|e| e.fields[0]).collect();
    // 91; 7 (proc 3 ran its program); 7 (a 128-byte body: F = 416, 288 + 416 = 704 <= 768).
    assert_eq!(joined, [91, 7, 7]);
    // Proc 3's body is on segment 1 with 4384 live, its curr_mem exactly 5536.
    assert_eq!(state_field(&prediction, 3, "segment_live"), [4384]);
    assert_eq!(state_field(&prediction, 3, "curr_mem"), [5536]);
    assert_eq!(
        prediction.stderr,
        "rustrt: proc 2 failed: stack limit: frame `large-body` needs 4384 bytes, and a new 4384-byte segment \
         would bring the proc to 5536 of its 1088-byte memory budget\n"
    );
}

/// A chain of `n` nested thin frames of `desc` around `inner`.
fn thin_chain(desc: u16, n: usize, inner: Op) -> Op {
    let mut op = inner;
    for _ in 0..n {
        op = frame(desc, 0, vec![op]);
    }
    op
}

/// `stack-growth` and `backtrace`: each new segment doubles the last.
#[test]
fn golden_stack_growth_first_segments() {
    // Body 4096: segment 1 of 4384, full. Levels of 1024 (F = 1312): segment 2
    // (8768) holds 6 of them (depths 2–7), segment 3 (17536) 13 (depths 8–20),
    // depth 21 is in segment 4 (35072). A full leaf (2048, F = 2336) at depth
    // 22 still fits in segment 4 (35072 − 1312 = 33760).
    let leaf = frame(2, 0, vec![Op::Backtrace { max: 32, null: false }]);
    let body = program(vec![thin_chain(1, 20, leaf), Op::RuntimeInfo], 0);
    let root = program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0);
    let s = scenario(vec![desc("growth-body", 4096), desc("growth-step", 1024), desc("leaf", 2048)], vec![root, body]);
    let prediction = run(&s);
    let backtrace = events_of(&prediction, 2, record::BACKTRACE)[0];
    let mut expected = vec![22, 1, 2, 4];
    expected.extend([1, 4]);
    for _ in 8..=20 {
        expected.extend([1, 3]);
    }
    for _ in 2..=7 {
        expected.extend([1, 2]);
    }
    expected.extend([0, 1]);
    assert_eq!(backtrace.fields, expected);
    let sizes = state_field(&prediction, 2, "segment_size");
    assert_eq!(sizes[1], 35072, "the leaf's ENTER STATE");
    // After return (the LEAVE's STATE): on segment 1, holding 0, 1 and the cached
    // 2; allocated 0–4 (5), freed 4 (stepping back from 3) and 3 (from 2).
    let last = |name| *state_field(&prediction, 2, name).last().unwrap();
    assert_eq!(
        [last("segment_index"), last("segments_held"), last("segments_allocated"), last("segments_freed")],
        [1, 3, 5, 2]
    );
}

/// `backtrace`: twelve 8192-byte frames across segments 2 to 5.
#[test]
fn golden_backtrace_across_segments() {
    let descs: Vec<Desc> = std::iter::once(desc("backtrace-body", 4096))
        .chain(
            ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]
                .iter()
                .map(|name| desc(name, 8192)),
        )
        .collect();
    let mut op = Op::Backtrace { max: 32, null: false };
    for level in (1..=12).rev() {
        op = frame(level, 0, vec![op]);
    }
    let s = scenario(descs, vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), program(vec![op], 0)]);
    let prediction = run(&s);
    let backtrace = events_of(&prediction, 2, record::BACKTRACE)[0];
    // F = 8480: segment 2 = max(8768, 8480) holds alpha; segment 3 (17536) beta,
    // gamma; segment 4 (35072) delta–eta; segment 5 (70144) theta–mu.
    let segments = [5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 2, 1];
    let descs = [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
    let mut expected = vec![13, 1];
    for (d, s) in descs.iter().zip(segments) {
        expected.extend([*d, s]);
    }
    assert_eq!(backtrace.fields, expected);
}

/// `hot-split`: a call/return loop across a boundary allocates once.
#[test]
fn golden_hot_split() {
    let body = program(vec![Op::Repeat { count: 1000, quiet: true, body: vec![frame(1, 0, vec![])] }], 0);
    let s = scenario(
        vec![desc("hot-split-body", 4096), desc("across-the-boundary", 1024)],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), body],
    );
    let prediction = run(&s);
    // The repeat's STATE: back on segment 1 (4384 of 4384 live), segments 0, 1
    // and the cached 2 held, 3 allocated, none freed; 1 + 1000 ticks.
    let state = &events_of(&prediction, 2, record::STATE)[1].fields;
    assert_eq!(state[3], 1001);
    assert_eq!(state[6..12], [1, 3, 4384, 4384, 3, 0]);
    assert_eq!(prediction.coverage["§10.5 the cached next segment is reused"], 999);
}

/// `segment-release`: three descents of 40 frames, then a frame bigger than the spare.
#[test]
fn golden_segment_release() {
    let descent = thin_chain(1, 40, frame(3, 0, vec![]));
    let huge = frame(2, 0, vec![]);
    let body = program(vec![descent.clone(), descent.clone(), descent, huge], 0);
    let s = scenario(
        vec![
            desc("release-body", 4096),
            desc("release-level", 1024),
            desc("bigger-than-the-spare", 65536),
            desc("leaf", 2048),
        ],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), body],
    );
    let prediction = run(&s);
    let allocated = state_field(&prediction, 2, "segments_allocated");
    let freed = state_field(&prediction, 2, "segments_freed");
    let held = state_field(&prediction, 2, "segments_held");
    let index = state_field(&prediction, 2, "segment_index");
    let curr_mem = state_field(&prediction, 2, "curr_mem");
    // STATEs: START, then per descent the leaf's ENTER and the LEAVE, then the huge frame's ENTER and LEAVE.
    // Levels of 1312: segment 2 holds 6, segment 3 13, segment 4 the other 21 and the leaf (2336).
    assert_eq!(index[1], 4);
    // Descent 1: allocated 3 (2, 3, 4), freed 2; holding 3 on segment 1.
    assert_eq!((allocated[2] - allocated[0], freed[2] - freed[0], held[2], index[2]), (3, 2, 3, 1));
    // Descents 2 and 3 reuse the spare 2: allocated 2, freed 2.
    assert_eq!((allocated[4] - allocated[2], freed[4] - freed[2], held[4]), (2, 2, 3));
    assert_eq!((allocated[6] - allocated[4], freed[6] - freed[4], held[6]), (2, 2, 3));
    // The 64 KiB frame (F = 65824) frees the 8768-byte spare and gets a
    // 65824-byte segment 2: + 65888 − 8832 = + 57056.
    assert_eq!((index[7], allocated[8] - allocated[6], freed[8] - freed[6]), (2, 1, 1));
    assert_eq!(curr_mem[8] - curr_mem[6], 57056);
}

/// `stack-limit`: levels of 1024 under 64 KiB fail at segment 4.
#[test]
fn golden_stack_limit() {
    let body = program(vec![thin_chain(1, 20, frame(2, 0, vec![]))], 0);
    let s = scenario(
        vec![desc("limit-body", 4096), desc("limit-level", 1024), desc("leaf", 2048)],
        vec![program(vec![spawn(1, 0, 64 * 1024, 0), join(2)], 0), body],
    );
    let prediction = run(&s);
    // 5536 + (64 + 8768) + (64 + 17536) = 31968 at depth 21; + 64 + 35072 = 67104.
    assert_eq!(
        prediction.stderr,
        "rustrt: proc 2 failed: stack limit: frame `limit-level` needs 1312 bytes, and a new 35072-byte segment \
         would bring the proc to 67104 of its 65536-byte memory budget\n"
    );
    assert_eq!(events_of(&prediction, 1, record::JOIN)[0].fields, [91, 0]);
}

/// `stack-hits-budget`: a held vec, then 2048-byte levels under 48 KiB.
#[test]
fn golden_stack_hits_budget() {
    let mut levels = frame(1, 0, vec![]);
    for _ in 0..10 {
        levels = frame(1, 0, vec![levels]);
    }
    let body = program(vec![Op::VecAlloc { slot: 0, capacity: 10_000 }, levels], 0);
    let s = scenario(
        vec![desc("hits-body", 4096), desc("hits-level", 2048)],
        vec![program(vec![spawn(1, 0, 48 * 1024, 0), join(2)], 0), body],
    );
    let prediction = run(&s);
    let curr_mem = state_field(&prediction, 2, "curr_mem");
    // 5536 + 10032 = 15568; level 1 in segment 2 (8768): 24400; level 4 in segment 3 (17536): 42000.
    assert_eq!(curr_mem[..6], [5536, 15568, 24400, 24400, 24400, 42000]);
    assert_eq!(
        prediction.stderr,
        "rustrt: proc 2 failed: stack limit: frame `hits-level` needs 2336 bytes, and a new 35072-byte segment \
         would bring the proc to 77136 of its 49152-byte memory budget\n"
    );
}

/// `alloc-past-budget`: 4 KiB vecs under a 40 KiB budget; a sibling goes on.
#[test]
fn golden_alloc_past_budget() {
    let hungry = program(
        vec![Op::Repeat {
            count: 100,
            quiet: false,
            body: vec![
                Op::VecAlloc { slot: 0, capacity: 4096 },
                Op::VecWrite { slot: 0, offset: 0, len: 1024, fill: 1, null: false },
            ],
        }],
        0,
    );
    let s = scenario(
        vec![desc("alloc-body", 16384)],
        vec![program(vec![spawn(1, 0, 40 * 1024, 0), join(2), spawn(1, 0, 40 * 1024, 0), join(3)], 0), hungry],
    );
    let prediction = run(&s);
    // 1088 + 64 + 16672 = 17824; each vec + 4128: 21952 … 38464; the sixth: 42592 > 40960.
    let line = "memory budget: a vec of 4096 bytes costs 4128 bytes, which would bring the proc to 42592 of its \
                40960-byte memory budget\n";
    assert_eq!(prediction.stderr, format!("rustrt: proc 2 failed: {line}rustrt: proc 3 failed: {line}"));
    let after_alloc: Vec<u64> = state_field(&prediction, 2, "curr_mem").into_iter().step_by(2).collect();
    assert_eq!(after_alloc, [17824, 21952, 26080, 30208, 34336, 38464]);
}

/// `tick-accounting`: frames count one tick each, `tick(n)` n.
#[test]
fn golden_tick_accounting() {
    let leaf = || frame(1, 0, vec![]);
    let body = program(
        vec![
            leaf(),
            Op::Repeat { count: 10, quiet: true, body: vec![leaf()] },
            tick(5),
            Op::Repeat { count: 100, quiet: true, body: vec![tick(1)] },
            frame(2, 0, vec![leaf()]),
        ],
        0,
    );
    let s = scenario(
        vec![desc("ticks-body", 4096), desc("ticks-leaf", 128), desc("ticks-outer", 2048)],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), body],
    );
    let prediction = run(&s);
    // 1 (body), 2, 12, 17, 117, then the outer frame's ENTER 118, the leaf's
    // LEAVE inside it 119, and the outer frame's LEAVE 119.
    assert_eq!(state_field(&prediction, 2, "curr_ticks"), [1, 2, 12, 17, 117, 118, 119, 119]);
}

/// `preemption`: two spinning procs take turns every 1000 ticks.
#[test]
fn golden_preemption() {
    let spin = program(vec![Op::Repeat { count: 5000, quiet: false, body: vec![tick(1)] }], 0);
    let s = scenario(
        vec![desc("spin-body", 4096)],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), spawn(1, 0, u64::MAX, 0), join(2), join(3)], 0), spin],
    );
    let prediction = run(&s);
    // The curr_ticks of each proc's first STATE in every turn.
    let mut turns = Vec::new();
    let mut last_proc = 0;
    for event in &prediction.events {
        if event.kind == record::STATE && event.proc != last_proc {
            turns.push((event.proc, event.fields[3]));
            last_proc = event.proc;
        }
    }
    let mut expected = vec![(1, 1)];
    for ticks in [1, 1000, 2000, 3000, 4000, 5000] {
        expected.extend([(2, ticks), (3, ticks)]);
    }
    expected.push((1, 1));
    assert_eq!(turns, expected);
    assert_eq!(events_of(&prediction, 2, record::STATE).last().unwrap().fields[3], 5001);
}

/// `tick-budget`: a proc spinning forever is stopped at 50001 ticks.
#[test]
fn golden_tick_budget() {
    let spin = program(vec![Op::Repeat { count: 100_000, quiet: true, body: vec![tick(1)] }], 0);
    let s =
        scenario(vec![desc("spin-body", 4096)], vec![program(vec![spawn(1, 0, u64::MAX, 50_000), join(2)], 0), spin]);
    let prediction = run(&s);
    assert_eq!(prediction.stderr, "rustrt: proc 2 failed: tick budget: 50001 ticks used, the budget is 50000\n");
    assert_eq!(events_of(&prediction, 1, record::JOIN)[0].fields, [94, 0]);
    // Alone with the blocked root, it was preempted every 1000 ticks and ran on.
    assert_eq!(prediction.coverage["§14.2 preempted while alone"], 50);
}

/// `deadlock` with ABI 3's template: the line names the proc waited for.
#[test]
fn golden_deadlock() {
    let s = scenario(
        vec![desc("deadlock-body", 4096)],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), program(vec![receive(16)], 0)],
    );
    let prediction = run(&s);
    assert_eq!(
        prediction.stderr,
        "rustrt: deadlock: no proc can run; proc 1 waits for proc 2 to end; proc 2 waits for a message;\n"
    );
    assert_eq!(prediction.exit_status, 93);
}

/// `dies-with-messages`: 3 of 4 messages discarded, their charges back.
#[test]
fn golden_dies_with_messages() {
    let s = scenario(
        vec![desc("dies-body", 4096)],
        vec![
            program(
                vec![spawn(1, 0, u64::MAX, 0), send(2, 5), send(2, 6), send(2, 5), send(2, 6), join(2), send(2, 4)],
                0,
            ),
            program(vec![receive(16)], 5),
        ],
    );
    let prediction = run(&s);
    let curr_mem = state_field(&prediction, 1, "curr_mem");
    // 4 × 32 + 22 = 150 bytes charged, all back after the join.
    assert_eq!(curr_mem[5] - curr_mem[1], 150);
    assert_eq!(curr_mem[6], curr_mem[1]);
    assert_eq!(events_of(&prediction, 1, record::JOIN)[0].fields, [5, 3]);
    assert_eq!(events_of(&prediction, 1, record::SEND)[4].fields, [u64::MAX]);
    assert_eq!(events_of(&prediction, 2, record::STATE)[1].fields[2], 3, "3 more queued");
}

/// `message-flood`: 1 KiB messages under 16 KiB charged to the sender.
#[test]
fn golden_message_flood() {
    let flooder = program(vec![Op::Repeat { count: 100, quiet: false, body: vec![send(2, 1024)] }], 0);
    let receiver = program(vec![Op::Yield, Op::Repeat { count: 7, quiet: true, body: vec![receive(1024)] }], 0);
    let s = scenario(
        vec![desc("flood-body", 8192)],
        vec![
            program(vec![spawn(2, 0, 16 * 1024, 0), spawn(1, 0, 16 * 1024, 0), join(3), send(2, 2), join(2)], 0),
            flooder,
            receiver,
        ],
    );
    let prediction = run(&s);
    // 1088 + 64 + 8480 = 9632; each message + 1056: 10688 … 15968; the 7th: 17024 > 16384.
    assert_eq!(state_field(&prediction, 2, "curr_mem"), [9632, 9632, 9632]);
    assert_eq!(state_field(&prediction, 3, "curr_mem"), [9632, 10688, 11744, 12800, 13856, 14912, 15968]);
    assert_eq!(
        prediction.stderr,
        "rustrt: proc 3 failed: memory budget: a 1024-byte message to proc 2 costs 1056 bytes, which would bring \
         the proc to 17024 of its 16384-byte memory budget\n"
    );
}
