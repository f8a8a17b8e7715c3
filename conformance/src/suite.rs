//! One run of the suite, from checked inputs to reports.
//!
//! ```text
//! check_inputs   runtime, expectations, results directory, name, platforms: one line per problem, nothing built or run
//! prepare        per platform: a work directory of this run (the runtime beside copies of the crates),
//!                the environment check (is the runner installed?), preflight (library, ABI version), the probe (runtime_name)
//! trials         per platform, from every trial kind (kinds.rs); filters, --exact, --skip, --shard
//! run            libtest-mimic; each trial: unsupported without running, a `broken` run retried once,
//!                xfail / xpass from the expectations, a repro script for what did not pass
//! report         per platform: report.json and junit.xml where the selection says, the matrix after a full run,
//!                a summary line per platform
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use libtest_mimic::{Completion, Failed, Trial};

use crate::case::Case;
use crate::cli::RunArgs;
use crate::expectations::Expectations;
use crate::outcome::{self, Outcome};
use crate::platform::Platform;
use crate::report::{self, CaseResult, Report, RunnerInfo, RuntimeInfo, Scope, Selection, Summary};
use crate::repro::{self, Repro};
use crate::run::{Limits, Stream, run_with_limit};

/// Where the suite's parts are: a kit's layout by default, the repository's
/// when `cargo xtask` says so.
#[derive(Clone, Debug)]
pub struct Layout {
    pub platforms: PathBuf,
    pub cases: PathBuf,
    /// `<build>/<platform>/{crates/, host, probe}`.
    pub build: PathBuf,
    pub work: PathBuf,
}

impl Layout {
    /// The layout `args` names, each part defaulting to the directory of
    /// that name beside the running program (a kit).
    pub fn from_args(args: &RunArgs) -> anyhow::Result<Layout> {
        let exe = std::env::current_exe().context("cannot find this program's path")?;
        let home = exe.parent().context("this program has no directory")?.to_owned();
        let pick = |given: &Option<PathBuf>, default: &str| -> anyhow::Result<PathBuf> {
            Ok(std::path::absolute(given.clone().unwrap_or_else(|| home.join(default)))?)
        };
        Ok(Layout {
            platforms: pick(&args.platforms, "platforms")?,
            cases: pick(&args.cases, "cases")?,
            build: pick(&args.build, "build")?,
            work: pick(&args.work_dir, "work")?,
        })
    }
}

/// What a run needs, checked.
pub struct Inputs {
    pub layout: Layout,
    pub cases: Vec<Case>,
    /// The selected platforms, each with the runtime library to test there.
    pub platforms: Vec<(Platform, PathBuf)>,
    pub expectations: Expectations,
    pub results_dir: PathBuf,
    /// `--runtime` as given (absolute).
    pub runtime: PathBuf,
}

/// Checks everything that can be checked before building or running:
/// each problem is one line naming the thing and the rule. With
/// `need_build`, the built crates must exist too; without `check_runtime`,
/// the runtime is not looked at (the reference, before it is built).
pub fn check_inputs(args: &RunArgs, layout: &Layout, need_build: bool, check_runtime: bool) -> anyhow::Result<Inputs> {
    if args.bless && std::env::var_os("CI").is_some() {
        bail!("refusing to bless goldens while CI is set: bless locally, read the diff, commit it");
    }
    if let Some(name) = &args.name {
        check_name(name)?;
    }
    if !layout.platforms.is_dir() {
        bail!(
            "{} does not exist: run the runner from an unpacked kit, or name the suite's parts with \
             --platforms, --cases and --build (in the repository, `cargo xtask test` does)",
            layout.platforms.display()
        );
    }
    let all = Platform::load_all(&layout.platforms)?;
    let selected = Platform::select(all.clone(), &args.target)?;
    let cases = Case::load_all(&layout.cases)?;
    let runtime = args.runtime.clone().context(
        "--runtime is required: the runtime library, or a directory holding <platform>/<library> for each platform",
    )?;
    let runtime = std::path::absolute(&runtime)?;
    if check_runtime && runtime.is_file() && selected.len() > 1 {
        bail!(
            "`--runtime {}` is one platform's library: choose that platform with `--target`, \
             or pass a directory holding <platform>/<library> for each",
            runtime.display()
        );
    }
    let mut platforms = Vec::new();
    for platform in selected {
        let path = if check_runtime { runtime_path(&runtime, &platform)? } else { PathBuf::new() };
        if need_build {
            let dir = layout.build.join(&platform.name);
            for needed in [dir.join("crates"), dir.join(format!("host{}", platform.exe_suffix))] {
                if !needed.exists() {
                    bail!(
                        "{} does not exist: the suite is not built for {} (in the repository, `cargo xtask test` builds it)",
                        needed.display(),
                        platform.name
                    );
                }
            }
        }
        platforms.push((platform, path));
    }
    let expectations_path = args.expectations.clone().or_else(|| default_expectations(&runtime));
    let names: Vec<String> = all.iter().map(|p| p.name.clone()).collect();
    let expectations = match &expectations_path {
        Some(path) => Expectations::load(path, &cases, &names)?,
        None => Expectations::strict(),
    };
    if expectations.spec_version != rt_abi::RT_ABI_VERSION {
        bail!(
            "the runtime's expectations declare ABI version {}; this suite checks ABI version {} (SPEC.md): nothing was run",
            expectations.spec_version,
            rt_abi::RT_ABI_VERSION
        );
    }
    let results_dir = std::path::absolute(args.results_dir.clone().unwrap_or_else(|| PathBuf::from("results")))?;
    check_writable(&results_dir)?;
    Ok(Inputs { layout: layout.clone(), cases, platforms, expectations, results_dir, runtime })
}

/// A name reports can use as a directory: letters, digits, `.`, `_`, `+`, `-`.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if !ok {
        bail!(
            "--name `{name}` cannot name a results directory: use letters, digits, `.`, `_`, `+` and `-`, not starting with `.`"
        );
    }
    Ok(())
}

/// A name from a runtime's table, made fit for a directory.
fn sanitize_name(name: &str) -> Option<String> {
    let clean: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._+-".contains(c) { c } else { '-' }).collect();
    let clean = clean.trim_start_matches('.').to_owned();
    (!clean.is_empty()).then_some(clean)
}

/// The runtime library for `platform`: `runtime` itself when it is a file
/// (only with one platform selected), else `<dir>/<platform>/<file>` or,
/// when only that exists, `<dir>/<file>`.
pub fn runtime_path(runtime: &Path, platform: &Platform) -> anyhow::Result<PathBuf> {
    if runtime.is_file() {
        return Ok(runtime.to_owned());
    }
    if !runtime.is_dir() {
        bail!("the runtime under test {} does not exist", runtime.display());
    }
    let nested = runtime.join(&platform.name).join(&platform.runtime_file);
    let flat = runtime.join(&platform.runtime_file);
    if nested.is_file() {
        return Ok(nested);
    }
    if flat.is_file() {
        return Ok(flat);
    }
    bail!(
        "the runtime under test has no library for {}: neither {} nor {} exists",
        platform.name,
        nested.display(),
        flat.display()
    )
}

/// `expectations.toml` kept with the runtime: beside the library, or in the directory.
pub fn default_expectations(runtime: &Path) -> Option<PathBuf> {
    let path =
        if runtime.is_dir() { runtime.join("expectations.toml") } else { runtime.with_file_name("expectations.toml") };
    path.is_file().then_some(path)
}

/// Checks that reports can be written under `dir` (creating it).
pub fn check_writable(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("the results directory {} cannot be created", dir.display()))?;
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| format!("the results directory {} is not writable", dir.display()))?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}

/// Everything one platform's trials share.
pub struct PlatformContext {
    pub platform: Platform,
    /// The runtime under test, as given, and its sha256.
    pub runtime_path: PathBuf,
    pub runtime_sha256: String,
    /// The name reports use (set once every platform was probed).
    pub name: String,
    /// This run's directory: the runtime beside copies of the crates and the host.
    pub work_dir: PathBuf,
    /// The environment of every child.
    pub env: Vec<(OsString, OsString)>,
    pub limits: Limits,
    /// Seconds no case's time limit may exceed (`--timeout-cap`).
    pub timeout_cap: u64,
    pub bless: bool,
    pub verbose: bool,
    pub expectations: Arc<Expectations>,
    /// Where repro scripts go.
    pub repro_dir: PathBuf,
    pub results: Mutex<Vec<CaseResult>>,
    /// The run's options (the scenario kinds read theirs).
    pub args: RunArgs,
    /// Differing scenarios still to shrink, and repro scripts still to write
    /// for them (each carries a 2 MiB crate).
    pub shrinks_left: AtomicU32,
    pub repros_left: AtomicU32,
    /// The built crates read so far, by name.
    crates: Mutex<BTreeMap<String, Arc<Vec<u8>>>>,
}

impl PlatformContext {
    /// A command that runs `program` (a file of the work directory) and
    /// `args` through the platform's runner, in the work directory.
    pub fn command(&self, program: &str, args: &[String]) -> (Command, Vec<String>) {
        let mut argv = self.platform.runner.clone();
        argv.push(self.work_dir.join(program).display().to_string());
        argv.extend(args.iter().cloned());
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]).current_dir(&self.work_dir);
        (command, argv)
    }

    /// Runs a work-directory program with the case limits and the child environment.
    pub fn run(
        &self,
        program: &str,
        args: &[String],
        time: Duration,
    ) -> anyhow::Result<(crate::run::Captured, Vec<String>)> {
        self.run_with(program, args, Limits { time, ..self.limits })
    }

    /// `run` under other limits.
    pub fn run_with(
        &self,
        program: &str,
        args: &[String],
        limits: Limits,
    ) -> anyhow::Result<(crate::run::Captured, Vec<String>)> {
        let (command, argv) = self.command(program, args);
        if self.verbose {
            eprintln!("conformance: {}: running {}", self.platform.name, argv.join(" "));
        }
        Ok((run_with_limit(command, &self.env, &limits)?, argv))
    }

    /// The bytes of a built crate of the work directory, read once.
    pub fn crate_bytes(&self, name: &str) -> anyhow::Result<Arc<Vec<u8>>> {
        let mut crates = self.crates.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = crates.get(name) {
            return Ok(bytes.clone());
        }
        let path = self.work_dir.join(format!("{name}{}", self.platform.exe_suffix));
        let bytes =
            Arc::new(std::fs::read(&path).with_context(|| format!("cannot read the crate {}", path.display()))?);
        crates.insert(name.to_owned(), bytes.clone());
        Ok(bytes)
    }

    /// A repro of running `argv` (its programs named as in the work directory).
    pub fn repro(&self, trial: &str, files: &[&str], argv: &[String]) -> Repro {
        let work = self.work_dir.display().to_string();
        Repro {
            trial: trial.to_owned(),
            runtime_name: self.name.clone(),
            files: files.iter().map(|f| (self.work_dir.join(f), (*f).to_owned())).collect(),
            env: self.env.clone(),
            argv: argv.iter().map(|a| a.strip_prefix(&work).map_or(a.clone(), |rest| format!(".{rest}"))).collect(),
        }
    }
}

/// Repro scripts written for differing scenarios, per platform.
const REPROS_OF_SCENARIOS: u32 = 5;

/// What one attempt at a trial gave.
pub struct Verdict {
    pub outcome: Outcome,
    pub message: String,
    pub stdout: Stream,
    pub stderr: Stream,
    pub duration: Duration,
    /// How to rerun it without the suite, when it ran a program.
    pub repro: Option<Repro>,
}

impl Verdict {
    pub fn new(outcome: Outcome, message: impl Into<String>) -> Verdict {
        Verdict {
            outcome,
            message: message.into(),
            stdout: Stream::default(),
            stderr: Stream::default(),
            duration: Duration::ZERO,
            repro: None,
        }
    }
}

/// One trial, before it runs. Trial kinds (`kinds.rs`) make these.
pub struct Spec {
    /// `<platform>/<case>[/<detail>]`.
    pub name: String,
    /// The case name, as expectations list it.
    pub case: String,
    pub scope: Scope,
    /// The spec area, for the matrix.
    pub area: &'static str,
    /// Capabilities it needs.
    pub needs: Vec<String>,
    /// Runs it once; called again when it was `broken`.
    pub body: Arc<dyn Fn() -> Verdict + Send + Sync>,
}

/// Runs the suite. Returns the exit status.
pub fn run(args: &RunArgs) -> anyhow::Result<i32> {
    let layout = Layout::from_args(args)?;
    let inputs = check_inputs(args, &layout, true, true)?;

    if args.list {
        // Listing runs nothing: every case trial as it would be named.
        let mut trials = Vec::new();
        for (platform, _) in &inputs.platforms {
            for name in crate::kinds::names(platform, &inputs.cases, &inputs.layout.build.join(&platform.name), args)? {
                if args.selects(&name) {
                    trials.push(Trial::test(name, || Ok(())));
                }
            }
        }
        let _ = libtest_mimic::run(&args.libtest(), trials);
        return Ok(0);
    }

    // Before any thread starts: SIGINT and SIGTERM go to the stop handler.
    crate::procs::install_stop_handler(|| {
        let clean_up = CLEAN_UP.lock().unwrap_or_else(|e| e.into_inner()).take();
        clean_up.map(|f| f()).unwrap_or_default()
    });
    // Wine's server and services start before the runner becomes a subreaper
    // (they are daemons, not a case's leftovers).
    // Wine that cannot start makes its platform broken, not the run.
    let (wine, wine_error) = match start_wine(&inputs) {
        Ok(wine) => (wine, None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    crate::procs::become_subreaper();

    let expectations = Arc::new(inputs.expectations.clone());
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut contexts = Vec::new();
    for (platform, runtime_path) in &inputs.platforms {
        let wine_prefix = wine.as_ref().map(|w| w.1.as_path());
        let mut context = prepare(args, &inputs, platform, runtime_path, &expectations, wine_prefix)?;
        if let (true, Some(why), None) = (platform.wine, &wine_error, &context.1.refusal) {
            context.1.refusal = Some((Outcome::Broken, format!("Wine cannot start: {why}")));
        }
        contexts.push(context);
    }
    let probed = contexts.iter().find_map(|(_, p)| p.runtime_name.clone());
    let name = match (&args.name, &probed) {
        (Some(name), _) => name.clone(),
        (None, Some(probed)) => sanitize_name(probed).unwrap_or_else(|| "runtime".into()),
        (None, None) => sanitize_name(&inputs.runtime.file_stem().unwrap_or_default().to_string_lossy())
            .unwrap_or_else(|| "runtime".into()),
    };
    let selection = match (args.shard, args.is_filtered()) {
        (Some(shard), _) => Selection::Shard { index: shard.index, count: shard.count },
        (None, true) => Selection::Filtered(args.selection_text()),
        (None, false) => Selection::Full,
    };
    let mut platform_contexts = Vec::new();
    let mut trials = Vec::new();
    let mut n_selected = 0;
    for (mut context, preflight) in contexts {
        context.name = name.clone();
        let platform_dir = inputs.results_dir.join(&name).join(&context.platform.name);
        context.repro_dir = selection.dir(&platform_dir).join("repro");
        if context.repro_dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&context.repro_dir)
        {
            eprintln!("conformance: cannot clear {}: {e} (old repro scripts may stay)", context.repro_dir.display());
        }
        let context = Arc::new(context);
        let specs = match &preflight.refusal {
            // Kept whatever the filters: a refused runtime is never a green run.
            Some((outcome, why)) => vec![refusal_spec(&context, *outcome, why)],
            None => {
                let mut specs: Vec<Spec> = crate::kinds::trials(&context, &inputs.cases)?
                    .into_iter()
                    .filter(|spec| args.selects(&spec.name))
                    .collect();
                specs.sort_by(|a, b| a.name.cmp(&b.name));
                if let Some(shard) = args.shard {
                    specs = specs.into_iter().enumerate().filter(|(i, _)| shard.takes(*i)).map(|(_, s)| s).collect();
                }
                n_selected += specs.len();
                specs
            }
        };
        for spec in specs {
            trials.push(trial(&context, spec));
        }
        platform_contexts.push((context, preflight));
    }
    if n_selected == 0 && args.is_filtered() && platform_contexts.iter().all(|(_, p)| p.refusal.is_none()) {
        let message = format!("no trial matches `{}`", args.selection_text());
        if std::env::var_os("CI").is_some() {
            eprintln!("conformance: error: {message} (an error when CI is set: a typo would otherwise pass)");
            return Ok(2);
        }
        eprintln!("conformance: warning: {message}");
    }

    let conclusion = libtest_mimic::run(&args.libtest(), trials);
    crate::procs::park_if_stopping();

    let mut write_failed = false;
    let mut summary_lines = Vec::new();
    let mut retried = Vec::new();
    for (context, preflight) in &platform_contexts {
        let mut cases = std::mem::take(&mut *context.results.lock().unwrap_or_else(|e| e.into_inner()));
        if cases.is_empty() {
            continue; // every trial of this platform was filtered out
        }
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        retried.extend(
            cases.iter().filter(|c| c.retried.is_some()).map(|c| format!("{} ({})", c.name, c.outcome.as_str())),
        );
        let mut report = Report {
            spec_version: rt_abi::RT_ABI_VERSION,
            runtime: RuntimeInfo {
                name: name.clone(),
                runtime_name: preflight.runtime_name.clone(),
                path: context.runtime_path.display().to_string(),
                sha256: context.runtime_sha256.clone(),
            },
            platform: context.platform.name.clone(),
            triple: context.platform.triple.clone(),
            runner: RunnerInfo { command: context.platform.runner.clone(), version: preflight.runner_version.clone() },
            started_at: started_at.clone(),
            selection: selection.clone(),
            refused: preflight.refusal.as_ref().map(|(_, why)| why.clone()),
            summary: Summary::default(),
            cases,
        };
        let dir = selection.dir(&inputs.results_dir.join(&name).join(&context.platform.name));
        summary_lines.push(format!("  {:<16} {}", context.platform.name, Summary::of(&report.cases).line()));
        match report.write(&dir) {
            Ok(()) => eprintln!("conformance: wrote {}", dir.join("report.json").display()),
            Err(e) => {
                eprintln!("conformance: error: {e:#} (the outcomes above stand; this platform has no report)");
                write_failed = true;
            }
        }
    }
    if selection == Selection::Full
        && !summary_lines.is_empty()
        && let Err(e) = crate::summary::write_matrix(&inputs.results_dir)
    {
        eprintln!("conformance: error: cannot write the matrix: {e:#}");
        write_failed = true;
    }
    for (context, _) in &platform_contexts {
        std::fs::remove_dir_all(&context.work_dir).ok();
    }
    drop(wine);
    // Anything a case left that escaped its group and was not found yet.
    crate::procs::kill_orphans(true);
    if !summary_lines.is_empty() {
        let what = match &selection {
            Selection::Full => String::new(),
            Selection::Filtered(text) => format!(", only `{text}`"),
            Selection::Shard { index, count } => format!(", shard {index}/{count}"),
        };
        eprintln!("\nconformance: runtime `{name}`{what}:");
        for line in &summary_lines {
            eprintln!("{line}");
        }
        if !retried.is_empty() {
            eprintln!(
                "  run twice after an environmental failure (see `retried` in the reports): {}",
                retried.join(", ")
            );
        }
    }
    Ok(if conclusion.has_failed() || write_failed { 101 } else { 0 })
}

/// What the stop handler runs after killing every case: stopping Wine.
type CleanUp = Box<dyn FnOnce() -> String + Send>;
static CLEAN_UP: Mutex<Option<CleanUp>> = Mutex::new(None);

/// What preflight learnt about the runtime on one platform.
pub struct Preflight {
    /// Why no case runs here: the runtime was refused (`fail`) or the
    /// environment cannot run this platform (`broken`).
    pub refusal: Option<(Outcome, String)>,
    pub runtime_name: Option<String>,
    pub runner_version: String,
}

fn start_wine(inputs: &Inputs) -> anyhow::Result<Option<(crate::wine::Server, PathBuf)>> {
    let Some((platform, _)) = inputs.platforms.iter().find(|(p, _)| p.wine) else { return Ok(None) };
    if which(&platform.runner[0]).is_none() {
        return Ok(None); // preflight reports the missing runner
    }
    let prefix = inputs.layout.work.join("wine-prefix");
    let server = crate::wine::start(platform, &prefix)?;
    crate::procs::spare_orphans_with(format!("WINEPREFIX={}", prefix.display()));
    *CLEAN_UP.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(server.stopper()));
    Ok(Some((server, prefix)))
}

/// Makes the platform's work directory and runs the checks before any case.
fn prepare(
    args: &RunArgs,
    inputs: &Inputs,
    platform: &Platform,
    runtime_path: &Path,
    expectations: &Arc<Expectations>,
    wine_prefix: Option<&Path>,
) -> anyhow::Result<(PlatformContext, Preflight)> {
    let runtime_bytes = std::fs::read(runtime_path)
        .with_context(|| format!("cannot read the runtime under test {}", runtime_path.display()))?;
    let work_root = inputs.layout.work.join(&platform.name);
    clear_stale_work_dirs(&work_root);
    let work_dir = work_root.join(format!("run-{}", std::process::id()));
    let build = inputs.layout.build.join(&platform.name);
    copy_into(&build.join("crates"), &work_dir)?;
    for program in ["host", "probe"] {
        let file = format!("{program}{}", platform.exe_suffix);
        if build.join(&file).is_file() {
            std::fs::copy(build.join(&file), work_dir.join(&file))
                .with_context(|| format!("cannot copy {}", build.join(&file).display()))?;
        }
    }
    std::fs::write(work_dir.join(&platform.runtime_file), &runtime_bytes)
        .with_context(|| format!("cannot copy the runtime under test into {}", work_dir.display()))?;

    let mut extra: Vec<(String, String)> = platform.runner_env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(prefix) = wine_prefix.filter(|_| platform.wine) {
        extra.push(("WINEPREFIX".into(), prefix.display().to_string()));
    }
    let native = platform.runner.is_empty();
    let context = PlatformContext {
        platform: platform.clone(),
        runtime_path: runtime_path.to_owned(),
        runtime_sha256: repro::sha256_hex(&runtime_bytes),
        name: String::new(),
        work_dir,
        env: crate::run::child_env(std::env::vars_os(), &extra),
        limits: Limits {
            time: Duration::from_secs(30),
            output_cap: args.output_cap,
            address_space: args.memory_limit.filter(|_| native).map(|mib| mib << 20),
            fixed_address_layout: platform.fixed_address_layout,
            nonblocking_output: false,
        },
        timeout_cap: args
            .timeout_cap
            .or_else(|| std::env::var("CONFORMANCE_TIMEOUT_CAP").ok().and_then(|v| v.parse().ok()))
            .unwrap_or(u64::MAX),
        bless: args.bless,
        verbose: args.verbose,
        expectations: expectations.clone(),
        repro_dir: PathBuf::new(),
        results: Mutex::new(Vec::new()),
        args: args.clone(),
        shrinks_left: AtomicU32::new(args.shrink),
        repros_left: AtomicU32::new(REPROS_OF_SCENARIOS),
        crates: Mutex::new(BTreeMap::new()),
    };
    let mut preflight = Preflight { refusal: None, runtime_name: None, runner_version: "native".into() };
    if let Some(runner) = platform.runner.first() {
        if which(runner).is_none() {
            let why = format!(
                "the runner `{runner}` is not installed, so nothing can run for {} (Debian packages: {})",
                platform.name,
                platform.debian_packages.join(" ")
            );
            preflight.refusal = Some((Outcome::Broken, why));
            return Ok((context, preflight));
        }
        preflight.runner_version = runner_version(&context);
    }
    if let Err(why) = crate::preflight::check_library(&runtime_bytes, platform) {
        let why = format!("{} is not a runtime library for this platform: {why}", runtime_path.display());
        preflight.refusal = Some((Outcome::Fail, why));
        return Ok((context, preflight));
    }
    // The handshake crate reports the table's version, or refuses it and says which.
    let handshake = format!("handshake{}", platform.exe_suffix);
    if context.work_dir.join(&handshake).is_file() {
        let (captured, _) = context.run(&handshake, &[], Duration::from_secs(30))?;
        let observed = outcome::observe(&captured, platform.wine);
        if let Some(version) = crate::preflight::claimed_version(&observed.stdout)
            && version != rt_abi::RT_ABI_VERSION
        {
            let why = format!(
                "it implements ABI version {version}; this suite checks ABI version {} (SPEC.md)",
                rt_abi::RT_ABI_VERSION
            );
            preflight.refusal = Some((Outcome::Fail, why));
            return Ok((context, preflight));
        }
        // Crashes, hangs and other misbehaviour are the cases' to report.
    }
    let probe = format!("probe{}", platform.exe_suffix);
    if context.work_dir.join(&probe).is_file() {
        let (captured, _) =
            context.run(&probe, std::slice::from_ref(&platform.runtime_file), Duration::from_secs(10))?;
        let stdout = outcome::normalise(&captured.stdout.bytes);
        preflight.runtime_name =
            stdout.lines().find_map(|l| l.strip_prefix("runtime_name: ")).map(|n| n.trim().to_owned());
    }
    Ok((context, preflight))
}

/// The trial that stands for a platform where nothing runs.
fn refusal_spec(context: &Arc<PlatformContext>, outcome: Outcome, why: &str) -> Spec {
    let message = if outcome == Outcome::Broken {
        format!("the environment cannot run this platform: {why}")
    } else {
        format!("runtime refused before any case: {why}")
    };
    eprintln!("conformance: {}: {message}", context.platform.name);
    Spec {
        name: format!("{}/preflight", context.platform.name),
        case: "preflight".into(),
        scope: Scope::Runtime,
        area: "preflight",
        needs: Vec::new(),
        body: Arc::new(move || Verdict::new(outcome, message.clone())),
    }
}

/// The libtest-mimic trial of `spec`: unsupported without running, broken
/// retried once, expectations applied, a repro written, the result recorded.
fn trial(context: &Arc<PlatformContext>, spec: Spec) -> Trial {
    let context = context.clone();
    let name = spec.name.clone();
    Trial::ignorable_test(name, move || {
        let result = run_trial(&context, &spec);
        let outcome = result.outcome;
        let message = result.message.clone();
        context.results.lock().unwrap_or_else(|e| e.into_inner()).push(result);
        match outcome {
            Outcome::Pass => Ok(Completion::Completed),
            Outcome::Unsupported | Outcome::Xfail => {
                // The console's short form; the report keeps the whole message.
                let short = first_line(&message).split(", which runtime").next().unwrap_or_default();
                Ok(Completion::ignored_with(format!("{}: {short}", outcome.as_str())))
            }
            _ => Err(Failed::from(format!("{}: {message}", outcome.as_str()))),
        }
    })
}

fn run_trial(context: &PlatformContext, spec: &Spec) -> CaseResult {
    let missing: Vec<&String> = spec
        .needs
        .iter()
        .filter(|need| context.expectations.capabilities.as_ref().is_some_and(|c| !c.contains(need)))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        let why = format!("needs {}, which runtime `{}` does not declare", names.join(", "), context.name);
        return result(spec, Verdict::new(Outcome::Unsupported, why), None);
    }
    let mut verdict = (spec.body)();
    let mut retried = None;
    if verdict.outcome == Outcome::Broken && !crate::procs::stopping() {
        retried = Some(verdict.message.clone());
        verdict = (spec.body)();
    }
    if let Some(reason) = context.expectations.expected_failure(&spec.case, &context.platform.name) {
        if verdict.outcome.is_runtime_failure() {
            verdict.message =
                format!("expected failure ({reason}), as {}: {}", verdict.outcome.as_str(), verdict.message);
            verdict.outcome = Outcome::Xfail;
        } else if verdict.outcome == Outcome::Pass {
            verdict.message =
                format!("listed as an expected failure ({reason}) but it passed: remove it from the expectations");
            verdict.outcome = Outcome::Xpass;
        }
    }
    if verdict.outcome.deserves_repro()
        && let Some(repro) = &verdict.repro
    {
        let stem = spec.name.split_once('/').map_or(spec.name.as_str(), |(_, rest)| rest).replace('/', "-");
        match repro::write(&context.repro_dir, &stem, repro) {
            Ok(path) => verdict.message += &format!("\nrerun it without the suite: {}", path.display()),
            Err(e) => verdict.message += &format!("\n(no repro script: {e:#})"),
        }
    }
    result(spec, verdict, retried)
}

fn result(spec: &Spec, verdict: Verdict, retried: Option<String>) -> CaseResult {
    let keep = |stream: &Stream| {
        if verdict.outcome == Outcome::Pass {
            return String::new();
        }
        report::printable(&report::capped(&outcome::normalise(&stream.bytes), stream.total, report::REPORT_OUTPUT_CAP))
    };
    CaseResult {
        name: spec.name.clone(),
        scope: spec.scope,
        area: spec.area.to_owned(),
        outcome: verdict.outcome,
        duration_ms: verdict.duration.as_millis() as u64,
        message: verdict.message.clone(),
        stdout: keep(&verdict.stdout),
        stderr: keep(&verdict.stderr),
        retried,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The program's path: as given when it has a `/`, else found in PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

fn runner_version(context: &PlatformContext) -> String {
    let Some((program, args)) = context.platform.runner_version.split_first() else {
        return "native".to_owned();
    };
    let mut command = Command::new(program);
    command.args(args);
    let limits = Limits { time: Duration::from_secs(10), ..context.limits };
    match run_with_limit(command, &context.env, &limits) {
        Ok(captured) => outcome::normalise(&captured.stdout.bytes).lines().next().unwrap_or("").trim().to_owned(),
        Err(e) => format!("unknown ({program}: {e})"),
    }
}

fn copy_into(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let path = entry?.path();
        let name = path.file_name().context("no file name")?;
        std::fs::copy(&path, to.join(name)).with_context(|| format!("cannot copy {}", path.display()))?;
    }
    Ok(())
}

/// Removes `run-<pid>` directories of runs that are no longer running.
fn clear_stale_work_dirs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("run-").and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            std::fs::remove_dir_all(entry.path()).ok();
        }
    }
}
