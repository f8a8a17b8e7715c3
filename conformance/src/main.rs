//! The conformance runner: one libtest-mimic trial per (platform, case),
//! named `<platform>/<case>`, filterable like any libtest binary.
//!
//! It is started by `cargo xtask test`, which builds everything and hands
//! over a run plan (see `plan.rs`) through `CONFORMANCE_PLAN`. For each
//! platform it copies the runtime under test beside the built crates, runs
//! every case through the platform's runner, compares with the goldens and
//! writes `results/<runtime>/<platform>/report.json` and `junit.xml`.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use conformance::case::{Case, Start};
use conformance::expectations::Expectations;
use conformance::golden::{self, Verdict};
use conformance::outcome::{self, Outcome, Termination};
use conformance::plan::{PLAN_ENV, Plan, PlatformRun, REFERENCE_RUNTIME};
use conformance::report::{CaseResult, Report, RunnerInfo, RuntimeInfo};
use conformance::run::run_with_limit;
use conformance::{artifact, preflight};
use libtest_mimic::{Arguments, Failed, Trial};
use sha2::{Digest, Sha256};

fn main() {
    let args = Arguments::from_args();
    let code = match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("conformance: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

/// Everything one platform's trials share.
struct PlatformContext {
    run: PlatformRun,
    bless: bool,
    expectations: Arc<Expectations>,
    results: Mutex<Vec<CaseResult>>,
    /// Where repro scripts of failed cases go: `<report dir>/repro`.
    repro_dir: std::path::PathBuf,
}

fn run(args: Arguments) -> anyhow::Result<i32> {
    let plan_path = std::env::var_os(PLAN_ENV)
        .with_context(|| format!("{PLAN_ENV} is not set: run the suite with `cargo xtask test`"))?;
    let plan = Plan::read(Path::new(&plan_path))?;
    let cases = Case::load_all(&plan.cases_dir)?;
    let platforms: Vec<String> = plan.runs.iter().map(|r| r.platform.name.clone()).collect();
    let expectations = Arc::new(match &plan.expectations {
        Some(path) => Expectations::load(path, &cases, &platforms)?,
        None => Expectations::strict(),
    });
    if expectations.spec_version != rt_abi::RT_ABI_VERSION {
        anyhow::bail!(
            "the runtime's expectations declare ABI version {}; this suite checks ABI version {} (SPEC.md): \
             nothing was run",
            expectations.spec_version,
            rt_abi::RT_ABI_VERSION
        );
    }
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();

    let mut contexts = Vec::new();
    let mut trials = Vec::new();
    let mut refused = false;
    for platform_run in &plan.runs {
        prepare_work_dir(platform_run)?;
        let repro_dir =
            plan.results_dir.join(&platform_run.runtime_name).join(&platform_run.platform.name).join("repro");
        if repro_dir.exists() {
            std::fs::remove_dir_all(&repro_dir).with_context(|| format!("cannot clear {}", repro_dir.display()))?;
        }
        let context = Arc::new(PlatformContext {
            run: platform_run.clone(),
            bless: plan.bless,
            expectations: expectations.clone(),
            results: Mutex::new(Vec::new()),
            repro_dir,
        });
        let refusal = preflight(platform_run)?;
        if let Some(why) = &refusal {
            eprintln!(
                "conformance: {}: nothing runs against runtime `{}`: {why}",
                platform_run.platform.name, platform_run.runtime_name
            );
            refused = true;
        } else {
            for case in &cases {
                trials.extend(trials_for(&context, case)?);
            }
        }
        contexts.push((context, refusal));
    }

    let conclusion = libtest_mimic::run(&args, trials);

    for (context, refusal) in &contexts {
        let mut cases = std::mem::take(&mut *context.results.lock().unwrap());
        if cases.is_empty() && refusal.is_none() {
            continue; // every trial of this platform was filtered out
        }
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        let run = &context.run;
        let report = Report {
            spec_version: rt_abi::RT_ABI_VERSION,
            runtime: RuntimeInfo {
                name: run.runtime_name.clone(),
                path: run.runtime_path.display().to_string(),
                sha256: sha256_of(&run.runtime_path)?,
            },
            platform: run.platform.name.clone(),
            triple: run.platform.triple.clone(),
            runner: RunnerInfo { command: run.platform.runner.clone(), version: runner_version(run) },
            started_at: started_at.clone(),
            refused: refusal.clone(),
            cases,
        };
        let dir = plan.results_dir.join(&run.runtime_name).join(&run.platform.name);
        report.write(&dir)?;
        eprintln!("conformance: wrote {}", dir.join("report.json").display());
    }
    Ok(if conclusion.has_failed() || refused { 101 } else { 0 })
}

/// Why the runtime cannot be tested on this platform at all, or `None`.
fn preflight(run: &PlatformRun) -> anyhow::Result<Option<String>> {
    let data = std::fs::read(&run.runtime_path)
        .with_context(|| format!("cannot read the runtime under test {}", run.runtime_path.display()))?;
    if let Err(why) = preflight::check_library(&data, &run.platform) {
        return Ok(Some(format!("{} is not a runtime library for this platform: {why}", run.runtime_path.display())));
    }
    // The handshake crate reports the table's version, or refuses it and says which.
    let crate_file = run.work_dir.join(format!("handshake{}", run.platform.exe_suffix));
    let mut argv = run.platform.runner.clone();
    argv.push(crate_file.display().to_string());
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).current_dir(&run.work_dir);
    command.envs(run.env.iter().map(|(k, v)| (k, v))).envs(&run.platform.runner_env);
    let captured = run_with_limit(command, Duration::from_secs(30), &run.work_dir.join(".out/preflight"))?;
    let observed = outcome::observe(&captured, run.platform.wine);
    match preflight::claimed_version(&observed.stdout) {
        Some(version) if version != rt_abi::RT_ABI_VERSION => Ok(Some(format!(
            "it implements ABI version {version}; this suite checks ABI version {} (SPEC.md)",
            rt_abi::RT_ABI_VERSION
        ))),
        // Crashes, hangs and other misbehaviour are the cases' to report.
        _ => Ok(None),
    }
}

/// Copies the runtime under test (under the platform's runtime file name),
/// the crates and the host into the platform's work directory, where the
/// crates find the runtime beside them.
fn prepare_work_dir(run: &PlatformRun) -> anyhow::Result<()> {
    let work = &run.work_dir;
    if work.exists() {
        std::fs::remove_dir_all(work).with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let runtime_dest = work.join(&run.platform.runtime_file);
    std::fs::copy(&run.runtime_path, &runtime_dest)
        .with_context(|| format!("the runtime under test {} cannot be copied", run.runtime_path.display()))?;
    for entry in
        std::fs::read_dir(&run.crates_dir).with_context(|| format!("cannot list {}", run.crates_dir.display()))?
    {
        let path = entry?.path();
        std::fs::copy(&path, work.join(path.file_name().unwrap()))?;
    }
    let host_name = run.host_path.file_name().context("host has no file name")?;
    std::fs::copy(&run.host_path, work.join(host_name))
        .with_context(|| format!("the embedding host {} cannot be copied", run.host_path.display()))?;
    Ok(())
}

/// The crates a platform run built, by name.
fn built_crates(run: &PlatformRun) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&run.crates_dir)? {
        let file_name = entry?.file_name().to_string_lossy().into_owned();
        names.push(file_name.strip_suffix(&run.platform.exe_suffix).unwrap_or(&file_name).to_owned());
    }
    names.sort();
    Ok(names)
}

fn trials_for(context: &Arc<PlatformContext>, case: &Case) -> anyhow::Result<Vec<Trial>> {
    let platform = &context.run.platform.name;
    if case.start == Start::Artifacts {
        let mut trials = Vec::new();
        for crate_name in built_crates(&context.run)? {
            let name = format!("{platform}/{}/{crate_name}", case.name);
            let (context, case) = (context.clone(), case.clone());
            trials.push(Trial::test(name.clone(), move || {
                record(&context, &case, &name, || check_artifact(&context, &case, &crate_name))
            }));
        }
        return Ok(trials);
    }
    let name = format!("{platform}/{}", case.name);
    let (context, case) = (context.clone(), case.clone());
    Ok(vec![Trial::test(name.clone(), move || {
        let missing = context.expectations.missing_capabilities(&case);
        if !missing.is_empty() {
            let why =
                format!("needs {}, which runtime `{}` does not declare", missing.join(", "), context.run.runtime_name);
            return record(&context, &case, &name, || Ok((Outcome::Unsupported, why, Duration::ZERO)));
        }
        record(&context, &case, &name, || run_case(&context, &case, &name))
    })])
}

/// Runs one trial body and records its result for the report.
/// A failure listed in the runtime's expectations becomes `xfail`; a listed
/// case that passes becomes `xpass`.
fn record(
    context: &PlatformContext,
    case: &Case,
    name: &str,
    body: impl FnOnce() -> anyhow::Result<(Outcome, String, Duration)>,
) -> Result<(), Failed> {
    let (mut outcome, mut message, duration) =
        body().unwrap_or_else(|e| (Outcome::Fail, format!("{e:#}"), Duration::ZERO));
    if let Some(reason) = context.expectations.expected_failure(&case.name, &context.run.platform.name) {
        if outcome.is_runtime_failure() {
            message = format!("expected failure ({reason}), as {}: {message}", outcome.as_str());
            outcome = Outcome::Xfail;
        } else if outcome == Outcome::Pass {
            message =
                format!("listed as an expected failure ({reason}) but it passed: remove it from the expectations");
            outcome = Outcome::Xpass;
        }
    }
    context.results.lock().unwrap().push(CaseResult {
        name: name.to_owned(),
        outcome,
        duration_ms: duration.as_millis() as u64,
        message: message.clone(),
    });
    if outcome.is_success() {
        return Ok(());
    }
    Err(format!("{}: {message}", outcome.as_str()).into())
}

/// What a person can do about a mismatch: for the reference runtime, bless
/// the new output once it is read; for any other runtime the goldens are the
/// specification, and the runtime is what differs.
fn mismatch_hint(context: &PlatformContext, trial: &str) -> String {
    let run = &context.run;
    if run.runtime_name == REFERENCE_RUNTIME {
        format!(
            "if the new output is right, read it, then bless it with `cargo xtask bless --target {} -- --exact {trial}`",
            run.platform.name
        )
    } else {
        format!("the golden is the reference behaviour (SPEC.md): runtime `{}` does not conform here", run.runtime_name)
    }
}

fn run_case(context: &PlatformContext, case: &Case, trial: &str) -> anyhow::Result<(Outcome, String, Duration)> {
    let run = &context.run;
    let platform = &run.platform;
    let crate_name = case.crate_name.as_deref().expect("checked when the case was loaded");
    let crate_file = run.work_dir.join(format!("{crate_name}{}", platform.exe_suffix));
    if !crate_file.is_file() {
        let why =
            format!("case `{}` names crate `{crate_name}`, but {} does not exist", case.name, crate_file.display());
        return Ok((Outcome::Broken, why, Duration::ZERO));
    }
    let mut argv: Vec<String> = platform.runner.clone();
    if case.start == Start::Host {
        let host_name = run.host_path.file_name().unwrap().to_string_lossy();
        argv.push(run.work_dir.join(&*host_name).display().to_string());
        argv.push(crate_file.display().to_string());
        argv.extend(case.host_args.iter().cloned());
    } else {
        argv.push(crate_file.display().to_string());
    }
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).current_dir(&run.work_dir);
    command.envs(run.env.iter().map(|(k, v)| (k, v))).envs(&platform.runner_env);
    let scratch = run.work_dir.join(".out").join(&case.name);
    let limit = Duration::from_secs(case.timeout_seconds.min(timeout_cap()));
    let captured = match run_with_limit(command, limit, &scratch) {
        Ok(captured) => captured,
        // The runner or the binary cannot be started: the environment's fault.
        Err(e) => return Ok((Outcome::Broken, format!("{e:#} (ran: {})", argv.join(" ")), Duration::ZERO)),
    };
    let observed = outcome::observe(&captured, platform.wine);
    let context_line = format!("(ran: {})", argv.join(" "));
    let tail = |text: &str| last_lines(text, 20);
    let result = match &observed.termination {
        Termination::Timeout => (
            Outcome::Timeout,
            format!(
                "still running after {}s, killed {context_line}\nstdout:\n{}",
                case.timeout_seconds,
                tail(&observed.stdout)
            ),
        ),
        Termination::Crash(how) => (
            Outcome::Crash,
            format!(
                "crashed ({}): {how} {context_line}\nstdout:\n{}stderr:\n{}",
                outcome::crash_kind(how),
                tail(&observed.stdout),
                tail(&observed.stderr)
            ),
        ),
        Termination::Exit(_) => {
            let golden = case.golden_path(&platform.name);
            let actual = golden::render_observed(&observed).expect("the run exited");
            match golden::check(&golden, &actual, context.bless, &mismatch_hint(context, trial))? {
                Verdict::Match => (Outcome::Pass, String::new()),
                Verdict::Blessed => (Outcome::Pass, format!("blessed {}", golden.display())),
                Verdict::Mismatch(message) => (Outcome::Fail, format!("{message}\n{context_line}")),
            }
        }
    };
    if !result.0.is_success() {
        write_repro(context, case, trial)?;
    }
    Ok((result.0, result.1, captured.duration))
}

/// `CONFORMANCE_TIMEOUT_CAP` (seconds) caps every case's time limit: for
/// runs where many runtimes may hang, such as mutation testing.
fn timeout_cap() -> u64 {
    std::env::var("CONFORMANCE_TIMEOUT_CAP").ok().and_then(|v| v.parse().ok()).unwrap_or(u64::MAX)
}

/// Writes `<repro dir>/<case>.sh`, which reruns the case without the suite.
fn write_repro(context: &PlatformContext, case: &Case, trial: &str) -> anyhow::Result<()> {
    let run = &context.run;
    let platform = &run.platform;
    let crate_file = format!("{}{}", case.crate_name.as_deref().unwrap_or_default(), platform.exe_suffix);
    let crate_path = run.crates_dir.join(&crate_file);
    let host_file = run.host_path.file_name().unwrap().to_string_lossy().into_owned();
    let mut files =
        vec![(run.runtime_path.as_path(), platform.runtime_file.as_str()), (crate_path.as_path(), crate_file.as_str())];
    let mut argv = platform.runner.clone();
    if case.start == Start::Host {
        files.push((run.host_path.as_path(), host_file.as_str()));
        argv.push(format!("./{host_file}"));
        argv.push(format!("./{crate_file}"));
        argv.extend(case.host_args.iter().cloned());
    } else {
        argv.push(format!("./{crate_file}"));
    }
    let mut env = run.env.clone();
    env.extend(platform.runner_env.iter().map(|(k, v)| (k.clone(), v.clone())));
    let script = conformance::repro::script(trial, &run.runtime_name, &files, &env, &argv);
    std::fs::create_dir_all(&context.repro_dir)
        .with_context(|| format!("cannot create {}", context.repro_dir.display()))?;
    let path = context.repro_dir.join(format!("{}.sh", case.name));
    conformance::report::write_whole(&path, script.as_bytes())?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

fn check_artifact(
    context: &PlatformContext,
    case: &Case,
    crate_name: &str,
) -> anyhow::Result<(Outcome, String, Duration)> {
    let started = std::time::Instant::now();
    let platform = &context.run.platform;
    let file = context.run.crates_dir.join(format!("{crate_name}{}", platform.exe_suffix));
    let data = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let results = artifact::check(&data, platform);
    let text = artifact::render(&results);
    let golden = case.golden_path(&platform.name);
    let trial = format!("{}/{}/{crate_name}", platform.name, case.name);
    let verdict = golden::check(&golden, &text, context.bless, &mismatch_hint(context, &trial))?;
    let outcome = match verdict {
        Verdict::Match | Verdict::Blessed => (Outcome::Pass, String::new()),
        Verdict::Mismatch(message) => {
            let broken: Vec<String> = results
                .iter()
                .filter_map(|r| {
                    r.violation
                        .as_ref()
                        .map(|why| format!("rule \"{}\" is violated by {}: {why}", r.rule, file.display()))
                })
                .collect();
            (Outcome::Fail, format!("{}\n{message}", broken.join("\n")))
        }
    };
    Ok((outcome.0, outcome.1, started.elapsed()))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut out = lines[start..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

fn runner_version(run: &PlatformRun) -> String {
    let Some((program, args)) = run.platform.runner_version.split_first() else {
        return "native".to_owned();
    };
    match Command::new(program).args(args).envs(run.env.iter().map(|(k, v)| (k, v))).output() {
        Ok(output) => String::from_utf8_lossy(&output.stdout).lines().next().unwrap_or("").trim().to_owned(),
        Err(e) => format!("unknown ({program}: {e})"),
    }
}
