//! `cargo xtask example`: the acceptance test of a new runtime author's path.
//! Builds `examples/c-runtime` (a handshake-only runtime in C, with its own
//! `build.sh` and `expectations.toml`, as its repository would keep them)
//! and runs the suite on it as that author would, with a hostile
//! environment that must change nothing: `LD_PRELOAD` names a library that
//! writes to stderr, `LD_LIBRARY_PATH` a directory whose librustrt.so crashes.
//! Then checks what the reports say: named after the runtime's
//! `runtime_name`; passed = applicable = the cases that need no capability;
//! every other runtime case `unsupported`, never passed; the suite's own
//! checks counted apart; the JUnit file naming the runtime and marking
//! unsupported cases skipped.

use anyhow::{Context, bail, ensure};
use clap::Args;
use conformance::cli::RunArgs;
use conformance::outcome::Outcome;
use conformance::report::{Report, Scope, Summary};
use xshell::{Shell, cmd};

use crate::build;
use crate::test::{layout, run_runner};

#[derive(Args, Debug)]
pub struct Example {
    /// `all`, a platform name or a Rust target triple
    #[arg(long, value_name = "PLATFORM", default_value = "all")]
    pub target: String,
}

impl Example {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let root = sh.current_dir();
        let out = root.join("target/conformance/example");
        let dist = out.join("dist");
        let include = root.join("reference-rt/include");
        let step = build::Step::start("example", "examples/c-runtime/build.sh");
        {
            let _include = sh.push_env("RUSTRT_INCLUDE", &include);
            let _out = sh.push_env("OUT", &dist);
            cmd!(sh, "sh examples/c-runtime/build.sh").quiet().ignore_stdout().run()?;
        }
        step.done();
        let platforms = build::platforms(sh, &self.target)?;
        let builds = platforms
            .iter()
            .map(|p| build::build_platform(sh, p, build::Backend::Local, false))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let runner = build::runner(sh, false)?;

        // A preload library that would write to every child's stderr, and a
        // library path that would hide the runtime beside the crates.
        let hostile = out.join("hostile.so");
        let hostile_source = out.join("hostile.c");
        std::fs::write(
            &hostile_source,
            "#include <unistd.h>\n__attribute__((constructor)) static void hostile(void) { write(2, \"hostile\\n\", 8); }\n",
        )?;
        cmd!(sh, "gcc -shared -fPIC {hostile_source} -o {hostile}").quiet().run()?;
        // A librustrt.so that crashes in rt_start, where LD_LIBRARY_PATH points.
        let hostile_lib = out.join("hostile-lib");
        std::fs::create_dir_all(&hostile_lib)?;
        let crashing_source = out.join("crashing.c");
        std::fs::write(&crashing_source, "void rt_start(void *entry) { (void)entry; *(volatile int *)0 = 1; }\n")?;
        let crashing = hostile_lib.join("librustrt.so");
        cmd!(sh, "gcc -shared -fPIC {crashing_source} -o {crashing}").quiet().run()?;
        let results = out.join("results");
        if results.exists() {
            std::fs::remove_dir_all(&results)?;
        }
        let layout = layout(&root);
        let args = RunArgs {
            runtime: Some(dist.clone()),
            results_dir: Some(results.clone()),
            target: self.target.clone(),
            platforms: Some(layout.platforms.clone()),
            cases: Some(layout.cases.clone()),
            build: Some(layout.build.clone()),
            work_dir: Some(layout.work.clone()),
            ..RunArgs::default()
        };
        let log = out.join("suite.log");
        let hostile_env = [
            ("LD_PRELOAD", hostile.clone().into_os_string()),
            ("LD_LIBRARY_PATH", hostile_lib.clone().into_os_string()),
        ];
        let passed = run_runner(&runner, &args, Some(&log), &hostile_env)?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        ensure!(passed, "the suite failed on the example runtime (see {}):\n{text}", log.display());
        // Once: the runner itself was started with it. A case reached by it
        // would also have failed its golden (one more line on stderr).
        let n_hostile = text.lines().filter(|l| *l == "hostile").count();
        ensure!(
            n_hostile == 1,
            "the hostile LD_PRELOAD reached {} processes, not only the runner (see {})",
            n_hostile,
            log.display()
        );

        let cases = conformance::case::Case::load_all(&layout.cases)?;
        let free: Vec<&str> = cases
            .iter()
            .filter(|c| c.scope() == Scope::Runtime && c.needs.is_empty())
            .map(|c| c.name.as_str())
            .collect();
        for built in &builds {
            let dir = results.join("example-c-runtime").join(&built.platform.name);
            let report = Report::read(&dir.join("report.json"))
                .with_context(|| format!("no report under the runtime's own name (see {})", log.display()))?;
            let summary = Summary::of(&report.cases);
            // Trials, not cases: a `scenarios` case is one per generated scenario.
            let n_runtime = report.cases.iter().filter(|c| c.scope == Scope::Runtime).count();
            ensure!(
                summary.runtime.passed == free.len() && summary.runtime.applicable == free.len(),
                "{}: expected {} / {} applicable, got {}",
                built.platform.name,
                free.len(),
                free.len(),
                summary.line()
            );
            ensure!(
                summary.runtime.unsupported == n_runtime - free.len(),
                "{}: expected {} unsupported, got {}",
                built.platform.name,
                n_runtime - free.len(),
                summary.line()
            );
            ensure!(
                summary.suite.failed == 0 && summary.suite.checks > 0,
                "{}: {}",
                built.platform.name,
                summary.line()
            );
            for case in report.cases.iter().filter(|c| c.scope == Scope::Runtime) {
                let name = case.name.rsplit('/').next().unwrap_or("");
                let expected = if free.contains(&name) { Outcome::Pass } else { Outcome::Unsupported };
                if case.outcome != expected {
                    bail!("{}: {:?}, expected {:?}: {}", case.name, case.outcome, expected, case.message);
                }
            }
            let junit = std::fs::read_to_string(dir.join("junit.xml"))?;
            ensure!(junit.contains("example-c-runtime/"), "junit.xml does not name the runtime");
            ensure!(junit.contains("type=\"unsupported\""), "junit.xml does not mark unsupported cases");
            eprintln!("xtask: example on {}: {}", built.platform.name, summary.line());
        }
        println!("example: the suite reports the C runtime's handshake cases passed and the rest unsupported");
        Ok(())
    }
}
