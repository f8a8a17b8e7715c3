//! Hand-computed expectations for the model, rule by rule: small scenarios
//! whose events, standard error and exit status are written out here, derived
//! from SPEC.md by hand (the arithmetic is in the comments), and the numbers
//! of the existing goldens that ABI 3 did not change.

use scenario_format::{Desc, Event, Op, Program, Scenario, record};

use super::{LABELS, Prediction, predict_audited as predict};

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

// Section 10: segments and frames, written out in full.

#[test]
fn section_10_a_new_segment_the_cache_reused_exactly_and_a_cache_too_small() {
    // Proc 2, body 2048: F = 2048 + 288 = 2336 > 768 − 288, so segment 1 of
    // max(2 × 768, 2336) = 2336; curr_mem = 256 + 832 + 64 + 2336 = 3488.
    // Frame 1 (2048, F 2336): segment 1 is full, so segment 2 of
    // max(2 × 2336, 2336) = 4672 (§10.5): curr_mem 3488 + 64 + 4672 = 8224.
    // Leaving it steps back and keeps it (§10.6): held 3.
    // Frame 2 (4384, F 4672) reuses it exactly. Frame 3 (4400, F 4688) finds
    // it too small: freed (− 4736), and a new one of max(4672, 4688) = 4688
    // (+ 4752): 8240, allocated 4, freed 1.
    let body = program(vec![frame(1, 11, vec![]), frame(2, 12, vec![]), frame(3, 13, vec![])], 5);
    let s = scenario(
        vec![desc("body", 2048), desc("f2048", 2048), desc("f4384", 4384), desc("f4400", 4400)],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), body],
    );
    let root_state = "p1 state mem_budget=unlimited curr_mem=66976 queued=0 curr_ticks=1 tick_budget=0 vec_copies=0 \
                      segment_index=1 segments_held=2 segment_size=65824 segment_live=65824 segments_allocated=2 \
                      segments_freed=0 depth=1 flags=1111";
    let p2 = |curr_mem: u64, ticks: u64, index: u64, size: u64, live: u64, allocated: u64, freed: u64, depth: u64| {
        format!(
            "p2 state mem_budget=unlimited curr_mem={curr_mem} queued=0 curr_ticks={ticks} tick_budget=0 \
             vec_copies=0 segment_index={index} segments_held={} segment_size={size} segment_live={live} \
             segments_allocated={allocated} segments_freed={freed} depth={depth} flags=1111",
            if index == 1 && allocated == 2 { 2 } else { 3 }
        )
    };
    let expected = [
        "p1 start self_id=1 env_ok=1".to_owned(),
        root_state.to_owned(),
        "p1 spawn id=2".to_owned(),
        root_state.to_owned(),
        "p2 start self_id=2 env_ok=1".to_owned(),
        p2(3488, 1, 1, 2336, 2336, 2, 0, 1),
        "p2 enter desc=1".to_owned(),
        p2(8224, 2, 2, 4672, 2336, 3, 0, 2),
        "p2 leave desc=1 result=11".to_owned(),
        p2(8224, 2, 1, 2336, 2336, 3, 0, 1),
        "p2 enter desc=2".to_owned(),
        p2(8224, 3, 2, 4672, 4672, 3, 0, 2),
        "p2 leave desc=2 result=12".to_owned(),
        p2(8224, 3, 1, 2336, 2336, 3, 0, 1),
        "p2 enter desc=3".to_owned(),
        p2(8240, 4, 2, 4688, 4688, 4, 1, 2),
        "p2 leave desc=3 result=13".to_owned(),
        p2(8240, 4, 1, 2336, 2336, 4, 1, 1),
        "p2 end status=5".to_owned(),
        "p1 join result=5 discarded=0".to_owned(),
        root_state.to_owned(),
        "p1 end status=0".to_owned(),
        "--- stderr".to_owned(),
        "--- exit 0".to_owned(),
    ];
    check(&s, &expected.join("\n"));
}

#[test]
fn section_10_4_a_frame_that_fills_the_segment_exactly_then_one_that_misses_by_16() {
    // Body 4096: segment 1 of 4384, full. Frame A (2048, F 2336) goes to
    // segment 2 of 8768, live 2336, room 6432. Frame B declared 6130
    // (round_up 6144, F 6432) fills it exactly (§10.4 (b): live + F <= size);
    // frame C declared 6145 (round_up 6160, F 6448 = room + 16) does not
    // fit, so segment 3 of max(2 × 8768, 6448) = 17536.
    let inner = vec![frame(2, 0, vec![]), frame(3, 0, vec![])];
    let body = program(vec![frame(1, 0, inner)], 0);
    let s = scenario(
        vec![desc("body", 4096), desc("a", 2048), desc("b", 6130), desc("c", 6145)],
        vec![program(vec![spawn(1, 0, u64::MAX, 0), join(2)], 0), body],
    );
    let prediction = run(&s);
    let index = state_field(&prediction, 2, "segment_index");
    let size = state_field(&prediction, 2, "segment_size");
    let live = state_field(&prediction, 2, "segment_live");
    // STATEs: start, A's ENTER, B's ENTER, B's LEAVE, C's ENTER, C's LEAVE, A's LEAVE.
    assert_eq!(index, [1, 2, 2, 2, 3, 2, 1]);
    assert_eq!(size, [4384, 8768, 8768, 8768, 17536, 8768, 4384]);
    assert_eq!(live, [4384, 2336, 8768, 2336, 6448, 2336, 4384]);
    assert_eq!(prediction.coverage["§10.4 the frame fills the segment exactly"], 1);
    assert_eq!(prediction.coverage["§10.4 the frame misses the segment by 16 bytes"], 1);
    assert_eq!(prediction.coverage["§10.2 a declared size that is not a multiple of 16"], 2);
}

#[test]
fn section_10_7_the_root_fails_on_an_absurd_frame() {
    // §10.2: F = round_up(2⁶⁴ − 1, 16) + 288 saturates at 2⁶⁴ − 1; the new
    // segment is max(2 × 65824, F) = 2⁶⁴ − 1 and its cost saturates. The
    // model reads §10.2's "an absurd S … fails the proc" as failing even the
    // root's unlimited budget (see the report on SPEC.md). §14.4: exit 91.
    let s = scenario(vec![desc("absurd", u64::MAX)], vec![program(vec![frame(0, 0, vec![])], 0)]);
    let prediction = run(&s);
    let max = u64::MAX;
    assert_eq!(
        prediction.stderr,
        format!(
            "rustrt: proc 1 failed: stack limit: frame `absurd` needs {max} bytes, and a new {max}-byte segment \
             would bring the proc to {max} of its {max}-byte memory budget\n"
        )
    );
    assert_eq!(prediction.exit_status, 91);
    // Nothing after the START's STATE: the frame never existed.
    assert_eq!(prediction.events.len(), 2);
}

#[test]
fn section_10_10_backtraces_of_the_root() {
    // The root's frames: rust_entry (segment 1), a thin 128 (F 416) and a
    // full 2048 (F 2336), both in segment 2 of max(2 × 65824, 416) = 131648.
    let inner = frame(
        1,
        0,
        vec![
            Op::Backtrace { max: 0, null: true },
            Op::Backtrace { max: 2, null: false },
            Op::Backtrace { max: 3, null: false },
            Op::Backtrace { max: 4, null: false },
        ],
    );
    let s = scenario(vec![desc("thin", 128), desc("full", 2048)], vec![program(vec![frame(0, 0, vec![inner])], 0)]);
    let prediction = run(&s);
    let backtraces: Vec<Vec<u64>> =
        events_of(&prediction, 1, record::BACKTRACE).iter().map(|e| e.fields.clone()).collect();
    let root = scenario_format::DESC_ROOT;
    assert_eq!(
        backtraces,
        [vec![0, 1], vec![2, 1, 1, 2, 0, 2], vec![3, 1, 1, 2, 0, 2, root, 1], vec![3, 1, 1, 2, 0, 2, root, 1],]
    );
}

// Section 11: procs, scheduling, joins.

#[test]
fn section_11_6_join_results() {
    // Proc 2 ends with status 2³² − 1, read as −1 (§5.1); proc 3 joins it
    // while it runs, then again once it ended, itself, 0, an id never
    // created, and once without a discarded pointer.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(vec![spawn(1, 0, u64::MAX, 0), spawn(2, 0, u64::MAX, 0), join(3)], 0),
            program(vec![Op::Yield, Op::Yield], u32::MAX),
            program(vec![join(2), join(2), join(3), join(0), join(9), Op::Join { id: 2, discarded_null: true }], 0),
        ],
    );
    let prediction = run(&s);
    let joins: Vec<String> = events_of(&prediction, 3, record::JOIN).iter().map(|e| e.to_string()).collect();
    assert_eq!(
        joins,
        [
            "p3 join result=-1 discarded=0",
            "p3 join result=-1 discarded=0",
            "p3 join result=-2 discarded=24301",
            "p3 join result=-1 discarded=24301",
            "p3 join result=-1 discarded=24301",
            "p3 join result=-1 discarded=-",
        ]
    );
}

#[test]
fn section_11_6_several_joiners_are_woken_in_the_order_they_joined() {
    // Procs 3, 4, 5 join proc 2 in that order while it yields; when it ends
    // they run 3, 4, 5; the root (joining 5) last.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(
                vec![
                    spawn(1, 0, u64::MAX, 0),
                    spawn(2, 0, u64::MAX, 0),
                    spawn(2, 0, u64::MAX, 0),
                    spawn(2, 0, u64::MAX, 0),
                    join(5),
                ],
                0,
            ),
            program(vec![Op::Yield, Op::Yield], 9),
            program(vec![join(2)], 0),
        ],
    );
    let prediction = run(&s);
    let order: Vec<u32> = prediction.events.iter().filter(|e| e.kind == record::JOIN).map(|e| e.proc).collect();
    assert_eq!(order, [3, 4, 5, 1]);
    assert_eq!(prediction.coverage["§11.6 several joiners are woken in the order they joined"], 1);
}

#[test]
fn section_11_5_deadlock_of_a_cycle_of_joins() {
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(vec![spawn(1, 0, u64::MAX, 0), spawn(2, 0, u64::MAX, 0), join(2)], 0),
            program(vec![Op::Yield, join(3)], 0),
            program(vec![join(2)], 0),
        ],
    );
    let prediction = run(&s);
    assert_eq!(
        prediction.stderr,
        "rustrt: deadlock: no proc can run; proc 1 waits for proc 2 to end; proc 2 waits for proc 3 to end; \
         proc 3 waits for proc 2 to end;\n"
    );
    assert_eq!(prediction.exit_status, 93);
}

#[test]
fn section_11_2_the_root_ends_while_others_can_run() {
    // Proc 2 never runs: the root ends first; the exit status is the root's.
    let s = scenario(vec![desc("body", 4096)], vec![program(vec![spawn(1, 0, u64::MAX, 0)], 42), program(vec![], 1)]);
    let prediction = run(&s);
    assert!(prediction.events.iter().all(|e| e.proc == 1));
    assert_eq!((prediction.exit_status, prediction.stderr.as_str()), (42, ""));
}

#[test]
fn section_11_3_a_thin_body_returns_its_frame_result_plus_its_status() {
    // Thin body (160: F 448, 288 + 448 <= 768, segment 0) running one full
    // frame (ret 7): the status is 7 + 30 = 37; the frame's own records
    // show it in segment 1 of max(2 × 768, 2336) = 2336.
    let s = scenario(
        vec![desc("thin-body", 160), desc("full", 2048)],
        vec![program(vec![spawn(1, 0, 1088 + 64 + 2336, 0), join(2)], 0), program(vec![frame(1, 7, vec![])], 30)],
    );
    let prediction = run(&s);
    assert_eq!(events_of(&prediction, 1, record::JOIN)[0].fields, [37, 0]);
    let p2: Vec<String> = prediction.events.iter().filter(|e| e.proc == 2).map(|e| e.to_string()).collect();
    assert_eq!(
        p2,
        [
            "p2 enter desc=1".to_owned(),
            "p2 state mem_budget=3488 curr_mem=3488 queued=0 curr_ticks=2 tick_budget=0 vec_copies=0 segment_index=1 \
         segments_held=2 segment_size=2336 segment_live=2336 segments_allocated=2 segments_freed=0 depth=2 flags=1111"
                .to_owned(),
        ]
    );
}

// Section 12: messages.

#[test]
fn section_12_a_receiver_woken_by_a_send_and_what_receive_copies() {
    // Proc 2 waits in receive (cap 3); the root's 5-byte send wakes it. The
    // charge: 32 + 5 = 37 to the root until proc 2 takes the message.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(
                vec![spawn(1, 0, u64::MAX, 0), Op::Yield, Op::Send { to: 2, len: 5, fill: b'A', null: false }, join(2)],
                0,
            ),
            program(vec![receive(3)], 0),
        ],
    );
    let prediction = run(&s);
    let root_mem = state_field(&prediction, 1, "curr_mem");
    assert_eq!(root_mem[3] - root_mem[2], 37);
    assert_eq!(root_mem[4], root_mem[2], "back after the receive");
    let received = events_of(&prediction, 2, record::RECEIVE)[0];
    assert_eq!(received.fields, [5, 1, scenario_format::checksum(b"ABC"), 1]);
    // Order: the root's yield lets proc 2 block; the send wakes it, but the
    // root goes on (a send is no yield point) until its join.
    let kinds: Vec<(u32, u8)> =
        prediction.events.iter().filter(|e| e.kind != record::STATE).map(|e| (e.proc, e.kind)).collect();
    assert_eq!(
        kinds,
        [
            (1, record::START),
            (1, record::SPAWN),
            (2, record::START),
            (1, record::YIELD),
            (1, record::SEND),
            (2, record::RECEIVE),
            (2, record::END),
            (1, record::JOIN),
            (1, record::END),
        ]
    );
}

#[test]
fn section_12_1_sends_to_no_proc_and_over_budget() {
    // Proc 2's budget: 1088 + 64 + 4384 = 5536 plus 40, so a 9-byte message
    // (41) is one byte too many. Sends to 0, to an id never created and to
    // the ended proc 3 return −1 and charge nothing, whatever the budget;
    // the send to the live root fails proc 2 with 92.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(vec![spawn(2, 0, u64::MAX, 0), join(2), spawn(1, 0, 5536 + 40, 0), join(3)], 0),
            program(vec![send(0, 9), send(50, 9), send(2, 9), send(1, 8), send(1, 9)], 0),
            program(vec![], 0),
        ],
    );
    let prediction = run(&s);
    let sends: Vec<u64> = events_of(&prediction, 3, record::SEND).iter().map(|e| e.fields[0]).collect();
    assert_eq!(sends, [u64::MAX, u64::MAX, u64::MAX, 0]);
    assert_eq!(state_field(&prediction, 3, "curr_mem"), [5536, 5536, 5536, 5536, 5536 + 40]);
    assert_eq!(
        prediction.stderr,
        "rustrt: proc 3 failed: memory budget: a 9-byte message to proc 1 costs 41 bytes, which would bring the \
         proc to 5617 of its 5576-byte memory budget\n"
    );
    // The root's queue holds the 8-byte message: its sender failed, so the
    // charge went with it (§11.7 does not withdraw it).
    assert_eq!(state_field(&prediction, 1, "queued").last(), Some(&1));
}

#[test]
fn section_12_3_capacities_and_null_pointers() {
    // Five messages of 5 bytes 'a'..'e'; receives with cap 0 (null buffer),
    // 1, 4, 5, 6 and a null sender pointer on the last.
    let sends: Vec<Op> = (0..5).map(|_| Op::Send { to: 2, len: 5, fill: b'a', null: false }).collect();
    let receives = vec![
        Op::Receive { cap: 0, buf_null: true, sender_null: false },
        receive(1),
        receive(4),
        receive(5),
        Op::Receive { cap: 6, buf_null: false, sender_null: true },
    ];
    let mut root = vec![spawn(1, 0, u64::MAX, 0)];
    root.extend(sends);
    root.push(join(2));
    let s = scenario(vec![desc("body", 4096)], vec![program(root, 0), program(receives, 0)]);
    let prediction = run(&s);
    let got: Vec<Vec<u64>> = events_of(&prediction, 2, record::RECEIVE).iter().map(|e| e.fields.clone()).collect();
    let sum = |bytes: &[u8]| scenario_format::checksum(bytes);
    assert_eq!(
        got,
        [
            vec![5, 1, sum(b""), 1],
            vec![5, 1, sum(b"a"), 1],
            vec![5, 1, sum(b"abcd"), 1],
            vec![5, 1, sum(b"abcde"), 1],
            vec![5, u64::MAX, sum(b"abcde"), 1],
        ]
    );
}

// Section 13: vecs and memory accounting.

#[test]
fn section_13_4_share_copy_and_write_in_place() {
    // `vec-share-write` as a scenario: a 16-byte vec (48 charged), "abcde",
    // shared twice (refs 3), written through both shares (two copies, each a
    // new 16-byte vec, refs 1), then in place through the original.
    let fill = b'a';
    let ops = vec![
        Op::VecAlloc { slot: 0, capacity: 16 },
        Op::VecWrite { slot: 0, offset: 0, len: 5, fill, null: false },
        Op::VecShare { src: 0, dst: 1 },
        Op::VecShare { src: 0, dst: 2 },
        Op::VecWrite { slot: 1, offset: 5, len: 3, fill: b'f', null: false },
        Op::VecWrite { slot: 2, offset: 0, len: 1, fill: b'J', null: false },
        Op::VecWrite { slot: 0, offset: 5, len: 1, fill: b'!', null: false },
        Op::VecRelease { slot: 0 },
        Op::VecRelease { slot: 1 },
        Op::VecRelease { slot: 2 },
    ];
    let prediction = run(&scenario(vec![], vec![program(ops, 0)]));
    let sum = |bytes: &[u8]| scenario_format::checksum(bytes);
    let records: Vec<String> =
        prediction.events.iter().filter(|e| e.kind != record::STATE).map(|e| e.to_string()).collect();
    let expected = [
        "p1 start self_id=1 env_ok=1".to_owned(),
        format!("p1 vec_alloc vec=0 refs=1 size=16 live=0 init=0 checksum={:016x}", sum(b"")),
        format!("p1 vec_write result=0 changed=0 vec=0 refs=1 size=16 live=5 init=5 checksum={:016x}", sum(b"abcde")),
        "p1 vec_share same=1 vec=0 refs=2".to_owned(),
        "p1 vec_share same=1 vec=0 refs=3".to_owned(),
        format!(
            "p1 vec_write result=1 changed=1 vec=1 refs=1 size=16 live=8 init=8 checksum={:016x}",
            sum(b"abcdefgh")
        ),
        format!("p1 vec_write result=1 changed=1 vec=2 refs=1 size=16 live=5 init=5 checksum={:016x}", sum(b"Jbcde")),
        format!("p1 vec_write result=0 changed=0 vec=0 refs=1 size=16 live=6 init=6 checksum={:016x}", sum(b"abcde!")),
        "p1 vec_release vec=0".to_owned(),
        "p1 vec_release vec=1".to_owned(),
        "p1 vec_release vec=2".to_owned(),
        "p1 end status=0".to_owned(),
    ];
    assert_eq!(records, expected);
    let curr_mem = state_field(&prediction, 1, "curr_mem");
    let base = 66976;
    assert_eq!(
        curr_mem,
        [
            base,
            base + 48,
            base + 48,
            base + 48,
            base + 48,
            base + 96,
            base + 144,
            base + 144,
            base + 96,
            base + 48,
            base
        ]
    );
    assert_eq!(*state_field(&prediction, 1, "vec_copies").last().unwrap(), 2);
}

#[test]
fn section_13_4_bad_offsets_copy_and_grow_growth_and_zero_length_copies() {
    let ops = vec![
        Op::VecAlloc { slot: 0, capacity: 16 },
        Op::VecWrite { slot: 0, offset: 0, len: 10, fill: 0, null: false },
        // §13.4.1: offset 11 > live 10: −4, nothing changes.
        Op::VecWrite { slot: 0, offset: 11, len: 1, fill: 0, null: false },
        Op::VecShare { src: 0, dst: 1 },
        // §13.4.2: shared, even for 0 bytes: a copy of size 16 (live 10).
        Op::VecWrite { slot: 1, offset: 3, len: 0, fill: 0, null: true },
        Op::VecShare { src: 0, dst: 2 },
        // §13.4.2: shared, and 10 + 20 > 16: a copy of max(32, 30) = 32.
        Op::VecWrite { slot: 2, offset: 10, len: 20, fill: 0, null: false },
        // §13.4.3: unshared, 30 + 100 > 32: grown to max(64, 130) = 130.
        Op::VecWrite { slot: 2, offset: 30, len: 100, fill: 0, null: false },
        // §13.4.3: unshared, full-ish: 130 + 1 > 130: grown to 260.
        Op::VecWrite { slot: 2, offset: 130, len: 1, fill: 0, null: false },
    ];
    let prediction = run(&scenario(vec![], vec![program(ops, 0)]));
    let writes: Vec<Vec<u64>> =
        events_of(&prediction, 1, record::VEC_WRITE).iter().map(|e| e.fields[..7].to_vec()).collect();
    assert_eq!(
        writes,
        [
            vec![0, 0, 0, 1, 16, 10, 10],
            vec![-4i64 as u64, 0, 0, 1, 16, 10, 10],
            vec![1, 1, 1, 1, 16, 10, 10],
            vec![1, 1, 2, 1, 32, 30, 30],
            vec![2, 1, 3, 1, 130, 130, 130],
            vec![2, 1, 4, 1, 260, 131, 131],
        ]
    );
    // Charges: 48 (the vec), 48 (the zero-length copy), 64 (the 32-byte
    // copy), 162 − 64 (the growth to 130 frees the 32), 292 − 162.
    let curr_mem = state_field(&prediction, 1, "curr_mem");
    let base = 66976;
    assert_eq!(
        curr_mem[1..],
        [
            base + 48,
            base + 48,
            base + 48,
            base + 48,
            base + 96,
            base + 96,
            base + 160,
            base + 96 + 162,
            base + 96 + 292
        ]
    );
}

#[test]
fn section_13_6_vec_messages_received_as_vecs_and_as_bytes() {
    // The root sends proc 2 a vec message, then bytes, then a vec message.
    // Proc 2: receive_vec gets the vec (refs 2: the root's and now its own),
    // receive_vec of bytes returns null, receive of a vec message returns 0
    // and releases that reference.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(
                vec![
                    spawn(1, 0, u64::MAX, 0),
                    Op::VecAlloc { slot: 0, capacity: 8 },
                    Op::SendVec { to: 2, slot: 0 },
                    send(2, 3),
                    Op::SendVec { to: 2, slot: 0 },
                    join(2),
                    Op::RuntimeInfo,
                ],
                0,
            ),
            program(
                vec![
                    Op::ReceiveVec { slot: 0, sender_null: false },
                    Op::ReceiveVec { slot: 1, sender_null: true },
                    receive(8),
                ],
                0,
            ),
        ],
    );
    let prediction = run(&s);
    let got: Vec<String> =
        prediction.events.iter().filter(|e| e.proc == 2 && e.kind != record::STATE).map(|e| e.to_string()).collect();
    let empty = scenario_format::checksum(b"");
    assert_eq!(
        got,
        [
            "p2 start self_id=2 env_ok=1".to_owned(),
            format!("p2 receive_vec sender=1 vec=0 refs=3 size=8 live=0 init=0 checksum={empty:016x}"),
            "p2 receive_vec sender=- vec=null refs=0 size=0 live=0 init=0 checksum=0000000000000000".to_owned(),
            format!("p2 receive len=0 sender=1 checksum={empty:016x} guard_ok=1"),
            "p2 end status=0".to_owned(),
        ]
    );
    // After proc 2 ended (releasing its reference): the root holds the vec,
    // refs 1. runtime_info: 1 proc, 2 segments, 1 vec, no message;
    // 256 + 832 + 65888 + 40.
    let info = events_of(&prediction, 1, record::RUNTIME_INFO)[0];
    assert_eq!(info.fields, [1, 2, 1, 0, 256 + 832 + 65888 + 40]);
}

#[test]
fn section_11_7_and_13_9_a_proc_ends_with_messages_whose_sender_ended() {
    // Q (2) yields; P (3) makes a 100-byte vec, sends Q 10 bytes and the vec,
    // releases its own reference, reads runtime_info and ends. Q ends with
    // both messages unread: discarded (charges to no one, P ended), the vec
    // freed with its last reference (nothing back to P).
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(vec![spawn(1, 0, u64::MAX, 0), spawn(2, 0, u64::MAX, 0), join(2), Op::RuntimeInfo, join(3)], 0),
            program(vec![Op::Yield], 0),
            program(
                vec![
                    Op::VecAlloc { slot: 0, capacity: 100 },
                    send(2, 10),
                    Op::SendVec { to: 2, slot: 0 },
                    Op::VecRelease { slot: 0 },
                    Op::RuntimeInfo,
                ],
                0,
            ),
        ],
    );
    let prediction = run(&s);
    // 3 procs (768), 6 segments: 3 × 832, the root's 65888, Q's and P's
    // 64 + 4384 each; the vec 132; messages 42 and 32.
    let bytes = 768 + 3 * 832 + 65888 + 2 * 4448 + 132 + 42 + 32;
    assert_eq!(events_of(&prediction, 3, record::RUNTIME_INFO)[0].fields, [3, 6, 1, 2, bytes]);
    assert_eq!(state_field(&prediction, 3, "curr_mem").last(), Some(&(5536 + 132 + 42 + 32)));
    assert_eq!(events_of(&prediction, 1, record::JOIN)[0].fields, [0, 2]);
    assert_eq!(events_of(&prediction, 1, record::RUNTIME_INFO)[0].fields, [1, 2, 0, 0, 66976]);
    assert_eq!(events_of(&prediction, 1, record::JOIN)[1].fields, [0, 0]);
}

#[test]
fn section_13_7_a_vec_freed_by_another_proc_returns_its_charge_to_its_maker() {
    // The root makes a 1000-byte vec (1032), sends it to proc 2 and releases
    // its own reference; proc 2 takes it and releases it: freed, the 1032
    // back to the root, which is alive.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(
                vec![
                    spawn(1, 0, u64::MAX, 0),
                    Op::VecAlloc { slot: 0, capacity: 1000 },
                    Op::SendVec { to: 2, slot: 0 },
                    Op::VecRelease { slot: 0 },
                    join(2),
                ],
                0,
            ),
            program(vec![Op::ReceiveVec { slot: 3, sender_null: false }, Op::VecRelease { slot: 3 }], 0),
        ],
    );
    let prediction = run(&s);
    let base = 66976;
    assert_eq!(state_field(&prediction, 1, "curr_mem"), [base, base, base + 1032, base + 1064, base + 1064, base]);
    assert_eq!(state_field(&prediction, 2, "curr_mem"), [5536, 5536, 5536]);
}

// Section 14: ticks, slices, budgets.

#[test]
fn section_14_2_preempted_at_a_frame_entry_before_the_frame_exists() {
    // P (2): body 1 tick, tick(998): slice 999, goes on; the frame entry
    // makes it 1000: preempted before the frame exists. Q (3) runs a turn;
    // P resumes and the frame is placed: its ENTER shows 1000 ticks.
    let s = scenario(
        vec![desc("body", 4096), desc("leaf", 2048)],
        vec![
            program(vec![spawn(1, 0, u64::MAX, 0), spawn(2, 0, u64::MAX, 0), join(2), join(3)], 0),
            program(vec![tick(998), frame(1, 0, vec![])], 0),
            program(vec![tick(1)], 0),
        ],
    );
    let prediction = run(&s);
    let seen: Vec<String> =
        prediction.events.iter().filter(|e| e.kind != record::STATE).map(|e| e.to_string()).collect();
    assert_eq!(
        seen[3..],
        [
            "p2 start self_id=2 env_ok=1",
            "p2 tick",
            "p3 start self_id=3 env_ok=1",
            "p3 tick",
            "p3 end status=0",
            "p2 enter desc=1",
            "p2 leave desc=1 result=0",
            "p2 end status=0",
            "p1 join result=0 discarded=0",
            "p1 join result=0 discarded=0",
            "p1 end status=0",
        ]
    );
    assert_eq!(state_field(&prediction, 2, "curr_ticks"), [1, 999, 1000, 1000]);
}

#[test]
fn section_14_2_a_tick_past_the_slice_preempts_after_counting() {
    // tick(1500) from a slice of 1: 1501 ≥ 1000, preempted; its TICK record
    // comes when it runs again, after the other proc's turn.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(vec![spawn(1, 0, u64::MAX, 0), spawn(2, 0, u64::MAX, 0), join(2), join(3)], 0),
            program(vec![tick(1500), tick(0)], 0),
            program(vec![], 0),
        ],
    );
    let prediction = run(&s);
    let order: Vec<(u32, u8)> =
        prediction.events.iter().filter(|e| e.proc != 1 && e.kind != record::STATE).map(|e| (e.proc, e.kind)).collect();
    assert_eq!(
        order,
        [
            (2, record::START),
            (3, record::START),
            (3, record::END),
            (2, record::TICK),
            (2, record::TICK),
            (2, record::END)
        ]
    );
}

#[test]
fn section_14_3_the_tick_budget_reached_exactly_then_passed_at_a_frame_entry() {
    // Budget 10: body 1, tick(9) → 10 (exactly: goes on), tick(0) → 10,
    // the frame entry → 11 > 10: fails with 94 before the frame exists.
    let s = scenario(
        vec![desc("body", 4096), desc("leaf", 2048)],
        vec![
            program(vec![spawn(1, 0, u64::MAX, 10), join(2)], 0),
            program(vec![tick(9), tick(0), frame(1, 0, vec![])], 0),
        ],
    );
    let prediction = run(&s);
    assert_eq!(prediction.stderr, "rustrt: proc 2 failed: tick budget: 11 ticks used, the budget is 10\n");
    assert!(events_of(&prediction, 2, record::ENTER).is_empty());
    assert_eq!(events_of(&prediction, 1, record::JOIN)[0].fields, [94, 0]);
    assert_eq!(state_field(&prediction, 2, "curr_ticks"), [1, 10, 10]);
}

#[test]
fn a_quiet_repeat_silences_only_its_own_proc() {
    // The root's quiet repeat yields to proc 2, whose records still appear;
    // the root's own records inside it do not, the STATE after it does.
    let s = scenario(
        vec![desc("body", 4096)],
        vec![
            program(
                vec![
                    spawn(1, 0, u64::MAX, 0),
                    Op::Repeat { count: 2, quiet: true, body: vec![Op::Yield, tick(1)] },
                    join(2),
                ],
                0,
            ),
            program(vec![tick(3)], 0),
        ],
    );
    let prediction = run(&s);
    let seen: Vec<(u32, u8)> = prediction.events.iter().map(|e| (e.proc, e.kind)).collect();
    assert_eq!(
        seen,
        [
            (1, record::START),
            (1, record::STATE),
            (1, record::SPAWN),
            (1, record::STATE),
            (2, record::START),
            (2, record::STATE),
            (2, record::TICK),
            (2, record::STATE),
            (2, record::END),
            (1, record::STATE),
            (1, record::JOIN),
            (1, record::STATE),
            (1, record::END),
        ]
    );
}

// What the model refuses.

#[test]
fn invalid_scenarios_are_refused_with_a_reason() {
    let refused = |s: Scenario| predict(&s).expect_err("refused").0;
    let body = || vec![desc("body", 4096)];
    assert!(refused(scenario(vec![], vec![])).contains("no program"));
    assert!(refused(scenario(vec![], vec![program(vec![Op::VecRelease { slot: 0 }], 0)])).contains("empty"));
    assert!(
        refused(scenario(vec![desc("small", 127)], vec![program(vec![frame(0, 0, vec![])], 0)]))
            .contains("THIN_MIN_FRAME")
    );
    assert!(
        refused(scenario(vec![desc("thin", 128)], vec![program(vec![frame(0, 0, vec![Op::Yield])], 0)]))
            .contains("thin frame")
    );
    assert!(refused(scenario(body(), vec![program(vec![join(128)], 0)])).contains("MAX_PROCS"));
    assert!(refused(scenario(body(), vec![program(vec![spawn(3, 0, u64::MAX, 0)], 0)])).contains("does not exist"));
    assert!(
        refused(scenario(vec![], vec![program(vec![Op::VecReleaseAny { index: 0 }], 0)])).contains("does not exist")
    );
    let released_twice =
        vec![Op::VecAlloc { slot: 0, capacity: 1 }, Op::VecReleaseAny { index: 0 }, Op::VecReleaseAny { index: 0 }];
    assert!(refused(scenario(vec![], vec![program(released_twice, 0)])).contains("does not exist"));
    let registry = vec![Op::Repeat { count: 1025, quiet: true, body: vec![Op::VecAlloc { slot: 0, capacity: 0 }] }];
    assert!(refused(scenario(vec![], vec![program(registry, 0)])).contains("registry"));
    // Ids 2..=127 are fine; the 127th spawn would be proc 128.
    let many = |n| vec![Op::Repeat { count: n, quiet: true, body: vec![spawn(1, 0, u64::MAX, 0)] }];
    assert!(predict(&scenario(vec![desc("thin", 128)], vec![program(many(126), 0), program(vec![], 0)])).is_ok());
    let too_many = scenario(vec![desc("thin", 128)], vec![program(many(127), 0), program(vec![], 0)]);
    assert!(refused(too_many).contains("MAX_PROCS"));
}

/// `scheduler-trace`: three procs yield three times each; FIFO turns.
#[test]
fn golden_scheduler_trace() {
    let body = |status| program(vec![Op::Yield, Op::Yield, Op::Yield], status);
    let s = scenario(
        vec![desc("trace-body", 4096)],
        vec![
            program(
                vec![
                    Op::Spawn { program: 1, desc: 0, mem_budget: u64::MAX, tick_budget: 0, env: true },
                    Op::Spawn { program: 2, desc: 0, mem_budget: u64::MAX, tick_budget: 0, env: true },
                    Op::Spawn { program: 3, desc: 0, mem_budget: u64::MAX, tick_budget: 0, env: true },
                    join(2),
                    join(3),
                    join(4),
                ],
                0,
            ),
            body(10),
            body(11),
            body(12),
        ],
    );
    let prediction = run(&s);
    let turns: Vec<u32> =
        prediction.events.iter().filter(|e| matches!(e.kind, record::START | record::YIELD)).map(|e| e.proc).collect();
    // Rounds 0, 1, 2 (the START and each yield's return), A B C each time.
    assert_eq!(turns, [1, 2, 3, 4, 2, 3, 4, 2, 3, 4, 2, 3, 4]);
    let joined: Vec<u64> = events_of(&prediction, 1, record::JOIN).iter().map(|e| e.fields[0]).collect();
    assert_eq!(joined, [10, 11, 12]);
}

/// `message-order`: two senders, five messages each, yielding after each.
#[test]
fn golden_message_order() {
    let sender = |fill: u8| {
        let mut ops = Vec::new();
        for i in 0..5u8 {
            ops.push(Op::Send { to: 2, len: 4, fill: fill + i * 10, null: false });
            ops.push(Op::Yield);
        }
        program(ops, 0)
    };
    let receiver = program((0..10).map(|_| receive(16)).collect(), 0);
    let s = scenario(
        vec![desc("order-body", 4096)],
        vec![
            program(
                vec![
                    spawn(1, 0, u64::MAX, 0),
                    spawn(2, 0, u64::MAX, 0),
                    spawn(3, 0, u64::MAX, 0),
                    join(3),
                    join(4),
                    join(2),
                ],
                0,
            ),
            receiver,
            sender(100),
            sender(150),
        ],
    );
    let prediction = run(&s);
    let got: Vec<(u64, u64)> =
        events_of(&prediction, 2, record::RECEIVE).iter().map(|e| (e.fields[1], e.fields[2])).collect();
    let mut expected = Vec::new();
    for i in 0..5u8 {
        for (sender, fill) in [(3, 100), (4, 150)] {
            let bytes: Vec<u8> = (0..4).map(|j| scenario_format::fill_byte(fill + i * 10, j)).collect();
            expected.push((sender, scenario_format::checksum(&bytes)));
        }
    }
    assert_eq!(got, expected);
}

/// `vec-through-message`: a vec shared through a message, written on both sides.
#[test]
fn golden_vec_through_message() {
    let root = program(
        vec![
            spawn(1, 0, u64::MAX, 0),
            Op::VecAlloc { slot: 0, capacity: 32 },
            Op::VecWrite { slot: 0, offset: 0, len: 11, fill: b'a', null: false },
            Op::SendVec { to: 2, slot: 0 },
            Op::ReceiveVec { slot: 1, sender_null: false },
            Op::VecWrite { slot: 0, offset: 0, len: 6, fill: b'A', null: false },
            send(2, 5),
            join(2),
            Op::VecRelease { slot: 0 },
            Op::VecRelease { slot: 1 },
        ],
        0,
    );
    let peer = program(
        vec![
            Op::ReceiveVec { slot: 0, sender_null: false },
            Op::VecWrite { slot: 0, offset: 7, len: 4, fill: b'T', null: false },
            Op::SendVec { to: 1, slot: 0 },
            receive(8),
            Op::VecRelease { slot: 0 },
        ],
        0,
    );
    let prediction = run(&scenario(vec![desc("vec-msg-body", 4096)], vec![root, peer]));
    // "root: sent; refs now 2", "peer: got a vec from proc 1, refs 2".
    assert_eq!(events_of(&prediction, 1, record::SEND_VEC)[0].fields, [0]);
    assert_eq!(events_of(&prediction, 2, record::RECEIVE_VEC)[0].fields[..3], [1, 0, 2]);
    // "peer: wrote (result 1)": a copy, vec 1.
    assert_eq!(events_of(&prediction, 2, record::VEC_WRITE)[0].fields[..3], [1, 1, 1]);
    // The root takes the peer's copy (refs 2: the peer's and now its own);
    // "root: wrote its own (result 0)": the original is its alone now.
    assert_eq!(events_of(&prediction, 1, record::RECEIVE_VEC)[0].fields[..3], [2, 1, 2]);
    assert_eq!(events_of(&prediction, 1, record::VEC_WRITE)[1].fields[..3], [0, 0, 0]);
    // "copies by root 0".
    assert_eq!(*state_field(&prediction, 1, "vec_copies").last().unwrap(), 0);
}
