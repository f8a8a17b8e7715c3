//! The scenario trial kinds: the interpreter crate (`crates-under-test/scenario`)
//! runs a scenario through the runtime under test, and its trace, standard
//! error and exit status are compared with the model's prediction
//! (`differential::compare`).
//!
//! - `start = "scenarios"`: generated scenarios, one trial per seed
//!   (`<platform>/<case>/<seed>`); `--scenarios N` and `--first-seed S`
//!   choose other seeds than the case's `count` from 0.
//! - `start = "scenario"`: one saved scenario (`scenario.txt`), a shrunk
//!   difference kept as a regression case.
//!
//! Each trial writes its own copy of the crate, with the scenario in its
//! `.rtscn` section, beside the runtime in the work directory, and removes
//! it when the trial passes. The first `--shrink` differing scenarios of a
//! platform are shrunk to the smallest scenario that still differs, which
//! the message shows in the text form `cargo xtask fuzz` and `scenario.txt`
//! use.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use scenario_format::Scenario;

use crate::case::Case;
use crate::differential::{self, Run};
use crate::outcome::{self, Outcome, Termination};
use crate::report::Scope;
use crate::run::Captured;
use crate::suite::{PlatformContext, Spec, Verdict};

/// A scenario's time limit: the reference runs each in milliseconds, and a
/// shrinker may run hundreds of them.
const SCENARIO_TIME: Duration = Duration::from_secs(10);

/// Runs a shrinker may spend on one scenario, and the time it may take.
const SHRINK_RUNS: usize = 200;
const SHRINK_TIME: Duration = Duration::from_secs(60);

/// The seeds a `scenarios` case runs: `--scenarios` (else the case's
/// `count`) of them from `--first-seed`.
pub fn seeds(args: &crate::cli::RunArgs, case: &Case) -> std::ops::Range<u64> {
    let count = args.scenarios.unwrap_or(case.count);
    args.first_seed..args.first_seed.saturating_add(count)
}

/// The trial name of one generated scenario.
pub fn generated_name(platform: &str, case: &Case, seed: u64) -> String {
    format!("{platform}/{}/{seed:04}", case.name)
}

/// One trial per seed of a `scenarios` case.
pub fn generated(context: &Arc<PlatformContext>, case: &Case) -> Vec<Spec> {
    seeds(&context.args, case)
        .map(|seed| {
            let name = generated_name(&context.platform.name, case, seed);
            let (context, case, trial) = (context.clone(), case.clone(), name.clone());
            spec(name, &case.clone(), move || {
                let scenario = crate::scenario::generate(seed);
                run(&context, &case, &scenario, &format!("scenario-{seed}"), &trial)
            })
        })
        .collect()
}

/// The trial of a saved scenario.
pub fn saved(context: &Arc<PlatformContext>, case: &Case) -> Spec {
    let name = format!("{}/{}", context.platform.name, case.name);
    let (context, case_for_body, trial) = (context.clone(), case.clone(), name.clone());
    spec(name, case, move || {
        let scenario = case_for_body.scenario.clone().expect("checked when the case was loaded");
        run(&context, &case_for_body, &scenario, &format!("scenario-{}", case_for_body.name), &trial)
    })
}

fn spec(name: String, case: &Case, body: impl Fn() -> Verdict + Send + Sync + 'static) -> Spec {
    Spec {
        name,
        case: case.name.clone(),
        scope: Scope::Runtime,
        area: case.area(),
        needs: case.needs.clone(),
        body: Arc::new(body),
    }
}

/// What one run of a scenario showed, against the prediction.
enum Attempt {
    Match,
    /// The runtime did something else: outcome (fail, crash, timeout) and why.
    Differs(Outcome, String),
    /// The environment or the suite could not run it.
    Broken(String),
}

fn run(context: &PlatformContext, case: &Case, scenario: &Scenario, stem: &str, trial: &str) -> Verdict {
    let started = Instant::now();
    let program = format!("{stem}{}", context.platform.exe_suffix);
    let (attempt, captured) = attempt(context, case, scenario, &program);
    let mut verdict = match attempt {
        Attempt::Match => {
            std::fs::remove_file(context.work_dir.join(&program)).ok();
            Verdict::new(Outcome::Pass, String::new())
        }
        Attempt::Broken(why) => Verdict::new(Outcome::Broken, why),
        Attempt::Differs(outcome, why) => {
            let mut message = format!("{why}\n(scenario {})", describe(scenario));
            if context.shrinks_left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                message.push_str(&shrunk(context, case, scenario, stem));
            } else {
                message.push_str("\n(not shrunk: --shrink N shrinks the first N differing scenarios of a platform)");
            }
            let mut verdict = Verdict::new(outcome, message);
            // A repro carries the crate copy (2 MiB): only the first few.
            if context.repros_left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                let (_, argv) = context.command(&program, &[]);
                verdict.repro = Some(context.repro(trial, &[context.platform.runtime_file.as_str(), &program], &argv));
            }
            verdict
        }
    };
    if let Some(captured) = captured {
        verdict.stdout = captured.stdout;
        verdict.stderr = captured.stderr;
    }
    verdict.duration = started.elapsed();
    verdict
}

/// How a report names a scenario: its seed, or its size when it was saved.
fn describe(scenario: &Scenario) -> String {
    format!("seed {} ({} ops)", scenario.seed, scenario.n_ops())
}

/// Runs `scenario` as `program` (a file of the work directory) and compares.
fn attempt(context: &PlatformContext, case: &Case, scenario: &Scenario, program: &str) -> (Attempt, Option<Captured>) {
    let prediction = match crate::model::predict(scenario) {
        Ok(prediction) => prediction,
        Err(e) => return (Attempt::Broken(format!("the suite made an invalid scenario (a suite bug): {e}")), None),
    };
    if let Err(e) = write_program(context, case, scenario, program) {
        return (Attempt::Broken(format!("{e:#}")), None);
    }
    let captured = match run_program(context, program) {
        Ok(captured) => captured,
        Err(e) => return (Attempt::Broken(format!("{e:#}")), None),
    };
    let observed = outcome::observe(&captured, context.platform.wine);
    if let Some(why) = outcome::environmental(&captured, &observed, context.platform.wine) {
        return (Attempt::Broken(why), Some(captured));
    }
    let attempt = match &observed.termination {
        Termination::Crash(how) => Attempt::Differs(
            Outcome::Crash,
            format!(
                "crashed ({}): {how}; the model predicts exit {}",
                outcome::crash_kind(how),
                prediction.exit_status
            ),
        ),
        Termination::Timeout => {
            Attempt::Differs(Outcome::Timeout, format!("still running after {}s, killed", SCENARIO_TIME.as_secs()))
        }
        _ => {
            let run =
                Run { stdout: &captured.stdout.bytes, stderr: &observed.stderr, termination: &observed.termination };
            match differential::compare(&prediction, &run) {
                differential::Verdict::Match => Attempt::Match,
                differential::Verdict::Mismatch(why) => {
                    Attempt::Differs(Outcome::Fail, format!("differs from the model: {why}"))
                }
                // Only a runtime that corrupts the interpreter's memory gets
                // there: the reference runs every generated scenario clean.
                differential::Verdict::Internal(why) => {
                    Attempt::Differs(Outcome::Fail, format!("differs from the model: {why}"))
                }
            }
        }
    };
    (attempt, Some(captured))
}

/// The crate with the scenario's image, as `program` in the work directory.
fn write_program(context: &PlatformContext, case: &Case, scenario: &Scenario, program: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::os::unix::fs::PermissionsExt as _;
    let crate_name = case.crate_name.as_deref().expect("checked when the case was loaded");
    let crate_bytes = context.crate_bytes(crate_name)?;
    let image = scenario.encode().map_err(|e| anyhow::anyhow!("the scenario does not fit an image: {e}"))?;
    let bytes = crate::image::with_image(&crate_bytes, &image)?;
    let path = context.work_dir.join(program);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))?;
    Ok(())
}

/// Runs `program`. Another trial's child may still hold the file we just
/// wrote open for writing, between its fork and its exec (`ETXTBSY`): then
/// try again.
fn run_program(context: &PlatformContext, program: &str) -> anyhow::Result<Captured> {
    let mut attempts = 0;
    loop {
        match context.run(program, &[], SCENARIO_TIME) {
            Err(e) if attempts < 50 && is_text_busy(&e) => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other.map(|(captured, _)| captured),
        }
    }
}

fn is_text_busy(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.raw_os_error() == Some(libc::ETXTBSY)))
}

/// The smallest scenario the shrinker finds that still differs, as text
/// for the message; also saved beside the repro scripts.
fn shrunk(context: &PlatformContext, case: &Case, scenario: &Scenario, stem: &str) -> String {
    let program = format!("{stem}-shrinking{}", context.platform.exe_suffix);
    let started = Instant::now();
    let mut runs = 0;
    let mut still_differs = |candidate: &Scenario| {
        if started.elapsed() > SHRINK_TIME || crate::procs::stopping() {
            return false;
        }
        runs += 1;
        matches!(attempt(context, case, candidate, &program).0, Attempt::Differs(..))
    };
    let smallest = crate::scenario::shrink(scenario.clone(), &mut still_differs, SHRINK_RUNS);
    std::fs::remove_file(context.work_dir.join(&program)).ok();
    let text = smallest.to_string();
    let saved = save(&context.repro_dir, stem, &text);
    let why = match attempt(context, case, &smallest, &program).0 {
        Attempt::Differs(_, why) => why,
        Attempt::Match => "(it no longer differs when run again: the difference is not deterministic)".to_owned(),
        Attempt::Broken(why) => format!("(it could not be run again: {why})"),
    };
    std::fs::remove_file(context.work_dir.join(&program)).ok();
    format!(
        "\nshrunk in {runs} runs ({:.1}s) to {} ops{saved}:\n{text}{why}\n\
         keep it as a regression case: conformance/cases/<name>/scenario.txt with case.toml \
         `crate = \"scenario\"`, `start = \"scenario\"`",
        started.elapsed().as_secs_f64(),
        smallest.n_ops(),
    )
}

/// Writes the shrunk scenario beside the repro scripts; says where, or nothing.
fn save(dir: &Path, stem: &str, text: &str) -> String {
    let path = dir.join(format!("{stem}.shrunk.txt"));
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
        Ok(()) => format!(" (saved as {})", path.display()),
        Err(_) => String::new(),
    }
}
