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
