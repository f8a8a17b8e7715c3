//! `cargo xtask fuzz`: differential scenarios at scale. For each seed, the
//! generator makes a scenario, the model predicts what a conforming runtime
//! shows, and the interpreter crate runs it against the runtime under test
//! on each selected platform; every difference is reported with its seed,
//! the first differing record and a shrunk scenario (the smallest the
//! shrinker finds that still differs), also saved under
//! `target/conformance/fuzz/<platform>/`.
//!
//! ```text
//! cargo xtask fuzz [--target T|all] [--runtime PATH] [--count N] [--seed S] [--jobs J]
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use conformance::differential::{self, Run, Verdict};
use conformance::outcome;
use conformance::platform::Platform;
use conformance::scenario::{generate, shrink};
use scenario_format::Scenario;
use xshell::Shell;

use crate::build::{self, Built};
use crate::wine;

pub struct Fuzz {
    pub target: String,
    pub runtime: Option<PathBuf>,
    pub count: u64,
    pub seed: u64,
    pub jobs: usize,
}

impl Fuzz {
    pub fn parse(args: &[String]) -> anyhow::Result<Fuzz> {
        let mut fuzz = Fuzz { target: "all".to_owned(), runtime: None, count: 300, seed: 0, jobs: 2 };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| args.next().cloned().with_context(|| format!("{flag} needs a value"));
            match arg.as_str() {
                "--target" => fuzz.target = value("--target")?,
                "--runtime" => fuzz.runtime = Some(std::path::absolute(value("--runtime")?)?),
                "--count" => fuzz.count = value("--count")?.parse().context("--count takes a number")?,
                "--seed" => fuzz.seed = value("--seed")?.parse().context("--seed takes a number")?,
                "--jobs" => fuzz.jobs = value("--jobs")?.parse().context("--jobs takes a number")?,
                other => bail!("unknown option `{other}` for fuzz (--target, --runtime, --count, --seed, --jobs)"),
            }
        }
        Ok(fuzz)
    }

    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let platforms = build::platforms(sh, &self.target)?;
        crate::deps::ensure(sh, &platforms)?;
        let builds = platforms
            .iter()
            .map(|p| build::build_platform(sh, p, build::Backend::Local))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let root = sh.current_dir();
        let _wine = if builds.iter().any(|b| b.platform.wine) { Some(wine::start(&root)?) } else { None };
        let mut failed = 0;
        for built in &builds {
            let runtime = self.runtime_for(built, builds.len())?;
            let bench = Bench::prepare(&root, built, &runtime)?;
            failed += self.fuzz_platform(&bench)?;
        }
        if failed > 0 {
            bail!("{failed} scenarios differ from the model");
        }
        Ok(())
    }

    fn runtime_for(&self, built: &Built, n_platforms: usize) -> anyhow::Result<PathBuf> {
        let platform = &built.platform;
        let path = match &self.runtime {
            None => built.reference_runtime.clone(),
            Some(path) if path.is_file() => {
                if n_platforms > 1 {
                    bail!("--runtime {} is one library: choose its platform with --target", path.display());
                }
                path.clone()
            }
            Some(dir) => dir.join(&platform.name).join(&platform.runtime_file),
        };
        if !path.is_file() {
            bail!("no runtime for {}: {} does not exist", platform.name, path.display());
        }
        Ok(path)
    }

    /// Runs the seeds on one platform; returns how many differ.
    fn fuzz_platform(&self, bench: &Bench) -> anyhow::Result<u64> {
        let started = Instant::now();
        let next = AtomicU64::new(self.seed);
        let end = self.seed + self.count;
        let failures: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
        let internals: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for worker in 0..self.jobs.max(1) {
                let (next, failures, internals) = (&next, &failures, &internals);
                scope.spawn(move || {
                    loop {
                        let seed = next.fetch_add(1, Ordering::Relaxed);
                        if seed >= end {
                            return;
                        }
                        let scenario = generate(seed);
                        match bench.check(&scenario, worker) {
                            Ok(Verdict::Match) => {}
                            Ok(Verdict::Mismatch(why)) => failures.lock().unwrap().push((seed, why)),
                            Ok(Verdict::Internal(why)) => internals.lock().unwrap().push((seed, why)),
                            Err(e) => internals.lock().unwrap().push((seed, format!("{e:#}"))),
                        }
                    }
                });
            }
        });
        let mut failures = failures.into_inner().unwrap();
        let internals = internals.into_inner().unwrap();
        failures.sort_by_key(|(seed, _)| *seed);
        let platform = &bench.platform.name;
        eprintln!(
            "fuzz: {platform}: {} scenarios (seeds {}..{end}) in {:.1}s: {} differ from the model, {} could not run",
            self.count,
            self.seed,
            started.elapsed().as_secs_f64(),
            failures.len(),
            internals.len()
        );
        for (seed, why) in internals.iter().take(5) {
            eprintln!("fuzz: {platform}: seed {seed}: the suite could not run it: {why}");
        }
        if let Some((seed, why)) = failures.first() {
            let seeds: Vec<String> = failures.iter().map(|(s, _)| s.to_string()).collect();
            eprintln!("fuzz: {platform}: seeds that differ: {}", seeds.join(" "));
            let report: String = failures.iter().map(|(seed, why)| format!("seed {seed}: {why}\n\n")).collect();
            std::fs::write(bench.dir.join("differences.txt"), report)?;
            eprintln!("fuzz: {platform}: seed {seed}: {why}");
            let shrunk = bench.shrink(generate(*seed))?;
            let path = bench.dir.join(format!("seed-{seed}.txt"));
            std::fs::write(&path, shrunk.to_string())?;
            let verdict = bench.check(&shrunk, 0)?;
            let why = match verdict {
                Verdict::Mismatch(why) | Verdict::Internal(why) => why,
                Verdict::Match => "(the shrunk scenario no longer differs: a flaky difference)".to_owned(),
            };
            eprintln!(
                "fuzz: {platform}: seed {seed} shrunk to {} ops ({}):\n{shrunk}{why}",
                shrunk.n_ops(),
                path.display()
            );
        }
        Ok(failures.len() as u64 + internals.len() as u64)
    }
}

/// One platform's runner and work directory, with the runtime beside the
/// interpreter crate.
struct Bench {
    platform: Platform,
    dir: PathBuf,
    crate_bytes: Vec<u8>,
    env: Vec<(String, String)>,
}

impl Bench {
    fn prepare(root: &Path, built: &Built, runtime: &Path) -> anyhow::Result<Bench> {
        let platform = built.platform.clone();
        let dir = root.join("target/conformance/fuzz").join(&platform.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(runtime, dir.join(&platform.runtime_file))
            .with_context(|| format!("cannot copy the runtime {}", runtime.display()))?;
        let crate_file = built.crates_dir.join(format!("scenario{}", platform.exe_suffix));
        let crate_bytes =
            std::fs::read(&crate_file).with_context(|| format!("cannot read {}", crate_file.display()))?;
        let mut env: Vec<(String, String)> = platform.runner_env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if platform.wine {
            env.push(("WINEPREFIX".to_owned(), wine::prefix(root).display().to_string()));
        }
        Ok(Bench { platform, dir, crate_bytes, env })
    }

    /// Runs `scenario` (in worker `worker`'s copy of the crate) and compares.
    fn check(&self, scenario: &Scenario, worker: usize) -> anyhow::Result<Verdict> {
        let prediction = conformance::model::predict(scenario).map_err(|e| anyhow::anyhow!("invalid scenario: {e}"))?;
        let image = scenario.encode().map_err(|e| anyhow::anyhow!("{e}"))?;
        let program = self.dir.join(format!("scenario-{worker}{}", self.platform.exe_suffix));
        std::fs::write(&program, conformance::image::with_image(&self.crate_bytes, &image)?)?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755))?;
        let mut argv = self.platform.runner.clone();
        argv.push(program.display().to_string());
        let scratch = self.dir.join(format!(".out-{worker}"));
        // Another worker's child may still hold this file open for writing
        // between its fork and its exec (ETXTBSY): try again.
        let mut attempts = 0;
        let captured = loop {
            let mut command = Command::new(&argv[0]);
            command.args(&argv[1..]).current_dir(&self.dir).envs(self.env.iter().map(|(k, v)| (k, v)));
            match conformance::run::run_with_limit(command, Duration::from_secs(30), &scratch) {
                Err(e) if attempts < 20 && format!("{e:#}").contains("Text file busy") => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => break other?,
            }
        };
        let observed = outcome::observe(&captured, self.platform.wine);
        let run = Run { stdout: &captured.stdout, stderr: &observed.stderr, termination: &observed.termination };
        Ok(differential::compare(&prediction, &run))
    }

    /// The smallest scenario the shrinker finds that still differs.
    fn shrink(&self, scenario: Scenario) -> anyhow::Result<Scenario> {
        let mut still_fails = |s: &Scenario| matches!(self.check(s, 0), Ok(Verdict::Mismatch(_)));
        Ok(shrink(scenario, &mut still_fails, 300))
    }
}
