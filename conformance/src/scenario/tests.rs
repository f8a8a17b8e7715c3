//! The generator's promises (deterministic, valid, within the section, every
//! label of the model reached by the fixed set) and the shrinker on
//! synthetic failures.

use std::collections::BTreeMap;
use std::time::Instant;

use scenario_format::{Op, Scenario};

use super::{Rng, fixed_set, generate, shrink};
use crate::model::{self, LABELS};

#[test]
fn the_rng_is_splitmix64() {
    // The first outputs of SplitMix64 from seed 0 (the reference values).
    let rng = Rng::new(0);
    assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
}

#[test]
fn a_seed_always_gives_the_same_scenario() {
    for seed in [0, 1, 7, 12, 100, 299, 12345] {
        assert_eq!(generate(seed), generate(seed), "seed {seed}");
    }
}

#[test]
fn generated_scenarios_are_valid_and_fit_the_section() {
    for seed in 0..120 {
        let scenario = generate(seed);
        assert!(scenario.encode().is_ok(), "seed {seed}: image too big");
        if let Err(invalid) = model::predict(&scenario) {
            panic!("seed {seed}: the model refuses it: {invalid}");
        }
    }
}

/// The fixed set's figures: every label reached, and how fast.
#[test]
fn the_first_300_scenarios_reach_every_label() {
    let start = Instant::now();
    let scenarios = fixed_set(300);
    let generated = start.elapsed();
    let start = Instant::now();
    let mut coverage: BTreeMap<&str, u32> = BTreeMap::new();
    let mut seeds_per_label: BTreeMap<&str, u32> = BTreeMap::new();
    let mut events = 0;
    for scenario in &scenarios {
        let prediction = model::predict(scenario).expect("a valid scenario");
        events += prediction.events.len();
        for (label, count) in prediction.coverage {
            *coverage.entry(label).or_insert(0) += count;
            *seeds_per_label.entry(label).or_insert(0) += 1;
        }
    }
    let predicted = start.elapsed();
    for scenario in &scenarios {
        // The model's own books balance on every scenario of the set.
        model::predict_audited(scenario).expect("a valid scenario");
    }
    let missed: Vec<_> = LABELS.iter().filter(|l| !coverage.contains_key(*l)).collect();
    let mut rarest: Vec<(u32, &str)> = seeds_per_label.iter().map(|(label, seeds)| (*seeds, *label)).collect();
    rarest.sort();
    println!("the labels the fewest scenarios reach: {:?}", &rarest[..rarest.len().min(12)]);
    let n_ops: usize = scenarios.iter().map(Scenario::n_ops).sum();
    println!(
        "fixed set of 300: {} of {} labels reached; {n_ops} ops, {events} events; generated in {generated:?}, \
         predicted in {predicted:?}",
        LABELS.len() - missed.len(),
        LABELS.len()
    );
    assert!(missed.is_empty(), "labels the fixed set misses: {missed:#?}");
}

/// Whether a scenario has a `VEC_WRITE` that copies (by the model's coverage).
fn copies(scenario: &Scenario) -> bool {
    model::predict(scenario).is_ok_and(|p| p.coverage.contains_key("§13.4.2 a shared vec is copied"))
}

#[test]
fn shrinking_a_copying_write_leaves_a_handful_of_ops() {
    let seed = (0..200).map(generate).position(|s| copies(&s) && s.n_ops() > 40).expect("a big scenario that copies");
    let scenario = generate(seed as u64);
    let mut calls = 0;
    let shrunk = shrink(
        scenario.clone(),
        &mut |s| {
            calls += 1;
            // The shrinker runs only scenarios the model accepts.
            assert!(model::predict(s).is_ok());
            copies(s)
        },
        2000,
    );
    assert!(copies(&shrunk));
    assert!(model::predict(&shrunk).is_ok());
    println!("shrunk seed {seed} from {} ops to {} in {calls} runs: {:#?}", scenario.n_ops(), shrunk.n_ops(), shrunk);
    assert!(shrunk.n_ops() <= 4, "{} ops left: {shrunk:#?}", shrunk.n_ops());
    assert!(calls <= 2000);
}

#[test]
fn shrinking_keeps_what_the_predicate_needs() {
    // Fails when some proc fails over its memory budget with status 92.
    let fails = |s: &Scenario| model::predict(s).is_ok_and(|p| p.stderr.contains("memory budget"));
    let seed = (0..300).map(generate).position(|s| fails(&s) && s.n_ops() > 30).expect("a scenario with a 92");
    let shrunk = shrink(generate(seed as u64), &mut |s| fails(s), 3000);
    assert!(fails(&shrunk));
    assert!(shrunk.n_ops() <= 6, "{shrunk:#?}");
}

#[test]
fn shrinking_stops_after_max_tries() {
    let scenario = generate(3);
    let mut calls = 0;
    shrink(
        scenario,
        &mut |_| {
            calls += 1;
            true
        },
        5,
    );
    assert_eq!(calls, 5);
}

#[test]
fn shrinking_renumbers_programs_and_descs() {
    // Program 1 and desc 0 are unused; the spawn names program 2 and desc 1.
    let scenario = Scenario {
        seed: 0,
        descs: vec![
            scenario_format::Desc { name: "unused".into(), size: 4096 },
            scenario_format::Desc { name: "body".into(), size: 4096 },
        ],
        programs: vec![
            scenario_format::Program {
                ops: vec![Op::Spawn { program: 2, desc: 1, mem_budget: u64::MAX, tick_budget: 0, env: false }],
                status: 0,
            },
            scenario_format::Program { ops: vec![Op::Yield], status: 0 },
            scenario_format::Program { ops: vec![Op::Tick { n: 0 }], status: 0 },
        ],
    };
    let has_spawn = |s: &Scenario| s.programs[0].ops.iter().any(|op| matches!(op, Op::Spawn { .. }));
    let shrunk = shrink(scenario, &mut |s| has_spawn(s), 100);
    assert_eq!(shrunk.programs.len(), 2);
    assert_eq!(shrunk.descs.len(), 1);
    assert!(matches!(shrunk.programs[0].ops[0], Op::Spawn { program: 1, desc: 0, .. }));
}
