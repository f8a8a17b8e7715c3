//! Trial kinds: what turns cases (and, later, generated programs) into
//! trials. Each kind is a function from a platform's context to `Spec`s;
//! the runner treats every `Spec` alike (unsupported, retry, expectations,
//! repro, report), so a new kind is a new function called from `trials`.
//!
//! - a case with `start = "exec"`: its crate runs as a program through the
//!   runtime's `rt_start` (a runtime case);
//! - `start = "host"`: the embedding host loads the crate and calls it with
//!   its own table (the suite's check);
//! - `start = "artifacts"`: the artifact rules, one trial per built crate
//!   (the suite's check);
//! - `start = "scenarios"` and `"scenario"`: the interpreter crate runs
//!   generated or saved scenarios against the model (`scenario_trials.rs`;
//!   runtime cases).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::REFERENCE_RUNTIME;
use crate::artifact;
use crate::case::{Case, Start};
use crate::cli::RunArgs;
use crate::golden::{self, Verdict as Golden};
use crate::outcome::{self, Outcome, Termination};
use crate::platform::Platform;
use crate::scenario_trials;
use crate::suite::{PlatformContext, Spec, Verdict};

/// Every trial of a platform.
pub fn trials(context: &Arc<PlatformContext>, cases: &[Case]) -> anyhow::Result<Vec<Spec>> {
    let mut specs = Vec::new();
    for case in cases {
        match case.start {
            Start::Exec | Start::Host => specs.push(crate_run(context, case)),
            Start::Artifacts => {
                for crate_name in built_crates(&context.work_dir, &context.platform)? {
                    specs.push(artifact_check(context, case, &crate_name));
                }
            }
            Start::Scenarios => specs.extend(scenario_trials::generated(context, case)),
            Start::Scenario => specs.push(scenario_trials::saved(context, case)),
        }
    }
    Ok(specs)
}

/// The names `trials` gives, from the build directory alone (for `--list`).
pub fn names(platform: &Platform, cases: &[Case], build_dir: &Path, args: &RunArgs) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for case in cases {
        match case.start {
            Start::Exec | Start::Host | Start::Scenario => names.push(format!("{}/{}", platform.name, case.name)),
            Start::Scenarios => names.extend(
                scenario_trials::seeds(args, case)
                    .map(|seed| scenario_trials::generated_name(&platform.name, case, seed)),
            ),
            Start::Artifacts => {
                for crate_name in built_crates(&build_dir.join("crates"), platform)? {
                    names.push(format!("{}/{}/{crate_name}", platform.name, case.name));
                }
            }
        }
    }
    names.sort();
    Ok(names)
}

/// The crates in `dir`, by name: the platform's executables, nothing else.
fn built_crates(dir: &Path, platform: &Platform) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let file_name = entry?.file_name().to_string_lossy().into_owned();
        let stem = match platform.exe_suffix.as_str() {
            "" => Some(file_name.as_str()),
            suffix => file_name.strip_suffix(suffix),
        };
        let Some(stem) = stem else { continue };
        if ["host", "probe"].contains(&stem) || file_name == platform.runtime_file {
            continue;
        }
        names.push(stem.to_owned());
    }
    names.sort();
    Ok(names)
}

fn crate_run(context: &Arc<PlatformContext>, case: &Case) -> Spec {
    let name = format!("{}/{}", context.platform.name, case.name);
    let (context, case_for_body, trial) = (context.clone(), case.clone(), name.clone());
    Spec {
        name,
        case: case.name.clone(),
        scope: case.scope(),
        area: case.area(),
        needs: case.needs.clone(),
        body: Arc::new(move || run_crate(&context, &case_for_body, &trial)),
    }
}

/// What a person can do about a mismatch: for the reference runtime, bless
/// the new output once it is read; for any other runtime the goldens are the
/// specification, and the runtime is what differs.
fn mismatch_hint(context: &PlatformContext, trial: &str) -> String {
    if context.name == REFERENCE_RUNTIME {
        format!(
            "if the new output is right, read it, then bless it with `cargo xtask bless --target {} -- --exact {trial}`",
            context.platform.name
        )
    } else {
        format!("the golden is the reference behaviour (SPEC.md): runtime `{}` does not conform here", context.name)
    }
}

fn run_crate(context: &PlatformContext, case: &Case, trial: &str) -> Verdict {
    let platform = &context.platform;
    let crate_name = case.crate_name.as_deref().expect("checked when the case was loaded");
    let crate_file = format!("{crate_name}{}", platform.exe_suffix);
    if !context.work_dir.join(&crate_file).is_file() {
        let why = format!("case `{}` names crate `{crate_name}`, but the build has no {crate_file}", case.name);
        return Verdict::new(Outcome::Broken, why);
    }
    let host_file = format!("host{}", platform.exe_suffix);
    let (program, args, files) = match case.start {
        Start::Host => {
            let mut args = vec![context.work_dir.join(&crate_file).display().to_string()];
            args.extend(case.host_args.iter().cloned());
            (host_file.as_str(), args, vec![platform.runtime_file.as_str(), &crate_file, &host_file])
        }
        _ => (crate_file.as_str(), Vec::new(), vec![platform.runtime_file.as_str(), &crate_file]),
    };
    let limit_seconds = case.timeout_seconds.min(context.timeout_cap);
    let (_, argv) = context.command(program, &args);
    let repro = context.repro(trial, &files, &argv);
    let ran = format!("(ran: {})", argv.join(" "));
    let limits = crate::run::Limits {
        time: Duration::from_secs(limit_seconds),
        nonblocking_output: case.nonblocking_output,
        ..context.limits
    };
    let captured = match context.run_with(program, &args, limits) {
        Ok((captured, _)) => captured,
        // The runner or the binary cannot be started: the environment's fault.
        Err(e) => {
            let mut verdict = Verdict::new(Outcome::Broken, format!("{e:#} {ran}"));
            verdict.repro = Some(repro);
            return verdict;
        }
    };
    let observed = outcome::observe(&captured, platform.wine);
    let raw_stderr = outcome::normalise(&captured.stderr.bytes);
    let tails = || {
        format!(
            "stdout (last lines):\n{}stderr (last lines, the runner's own included):\n{}",
            tail(&observed.stdout),
            tail(&raw_stderr)
        )
    };
    let (outcome, message) = if let Some(why) = outcome::environmental(&captured, &observed, platform.wine) {
        (Outcome::Broken, format!("{why} {ran}\n{}", tails()))
    } else {
        match &observed.termination {
            Termination::Timeout => {
                let capped = if limit_seconds < case.timeout_seconds {
                    format!(" (the case allows {}s; --timeout-cap lowered it)", case.timeout_seconds)
                } else {
                    String::new()
                };
                (Outcome::Timeout, format!("still running after {limit_seconds}s{capped}, killed {ran}\n{}", tails()))
            }
            Termination::OutputLimit(stream) => (
                Outcome::Fail,
                format!(
                    "wrote more than {} bytes to {stream} and was stopped there (--output-cap) {ran}\n{}",
                    context.limits.output_cap,
                    tails()
                ),
            ),
            Termination::Crash(how) if !golden::expects_crash(&case.golden_path(&platform.name)) => {
                (Outcome::Crash, format!("crashed ({}): {how} {ran}\n{}", outcome::crash_kind(how), tails()))
            }
            Termination::Crash(_) | Termination::Exit(_) => {
                let golden_path = case.golden_path(&platform.name);
                let actual = golden::render_observed(&observed).expect("the run exited or crashed");
                // A crash is never blessed: such goldens are written by hand.
                let bless = context.bless && matches!(observed.termination, Termination::Exit(_));
                match golden::check(&golden_path, &actual, bless, &mismatch_hint(context, trial)) {
                    Ok(Golden::Match) => (Outcome::Pass, String::new()),
                    Ok(Golden::Blessed) => (Outcome::Pass, format!("blessed {}", golden_path.display())),
                    Ok(Golden::Mismatch(message)) => (Outcome::Fail, format!("{message}\n{ran}")),
                    Err(e) => (Outcome::Broken, format!("{e:#}")),
                }
            }
        }
    };
    Verdict {
        outcome,
        message,
        stdout: captured.stdout,
        stderr: captured.stderr,
        duration: captured.duration,
        repro: Some(repro),
    }
}

fn artifact_check(context: &Arc<PlatformContext>, case: &Case, crate_name: &str) -> Spec {
    let name = format!("{}/{}/{crate_name}", context.platform.name, case.name);
    let (context, case_for_body, crate_name, trial) =
        (context.clone(), case.clone(), crate_name.to_owned(), name.clone());
    Spec {
        name,
        case: case.name.clone(),
        scope: case.scope(),
        area: case.area(),
        needs: case.needs.clone(),
        body: Arc::new(move || check_artifact(&context, &case_for_body, &crate_name, &trial)),
    }
}

fn check_artifact(context: &PlatformContext, case: &Case, crate_name: &str, trial: &str) -> Verdict {
    let started = Instant::now();
    let platform = &context.platform;
    let file = context.work_dir.join(format!("{crate_name}{}", platform.exe_suffix));
    let data = match std::fs::read(&file) {
        Ok(data) => data,
        Err(e) => return Verdict::new(Outcome::Broken, format!("cannot read {}: {e}", file.display())),
    };
    let results = artifact::check(&data, platform);
    let text = artifact::render(&results);
    let golden_path = case.golden_path(&platform.name);
    let (outcome, message) = match golden::check(&golden_path, &text, context.bless, &mismatch_hint(context, trial)) {
        Ok(Golden::Match | Golden::Blessed) => (Outcome::Pass, String::new()),
        Ok(Golden::Mismatch(message)) => {
            let broken: Vec<String> = results
                .iter()
                .filter_map(|r| {
                    r.violation.as_ref().map(|why| format!("rule \"{}\" is violated by {crate_name}: {why}", r.rule))
                })
                .collect();
            (Outcome::Fail, format!("{}\n{message}", broken.join("\n")))
        }
        Err(e) => (Outcome::Broken, format!("{e:#}")),
    };
    let mut verdict = Verdict::new(outcome, message);
    verdict.duration = started.elapsed();
    verdict
}

/// The last 10 lines of `text`, each cut at 240 bytes: what a console
/// message shows (the report keeps more, `REPORT_OUTPUT_CAP`).
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(10);
    let mut out = String::new();
    if start > 0 {
        out += &format!("[… {start} earlier lines]\n");
    }
    for line in &lines[start..] {
        let mut end = line.len().min(240);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        out += &crate::report::printable(&line[..end]);
        if end < line.len() {
            out += &format!(" [… {} more bytes]", line.len() - end);
        }
        out.push('\n');
    }
    out
}
