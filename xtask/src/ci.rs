//! `cargo xtask ci`: what CI runs, in order: formatting, lints, unit tests,
//! Miri on the runtime's logic, the stack budgets, gdb and valgrind, the
//! conformance suite on every platform (with its generated scenarios), the
//! representative broken-runtime fixtures, the example C runtime (a new
//! author's path), and the kit run from its unpacked archive. Each step says
//! how long it took.

use clap::Args;
use conformance::cli::RunArgs;
use xshell::{Shell, cmd};

#[derive(Args, Debug)]
pub struct Ci {}

impl Ci {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        crate::deps::ensure(sh, &crate::build::platforms(sh, "all")?)?;
        let mut step = Step::new("cargo fmt --check");
        cmd!(sh, "cargo fmt --all -- --check").run()?;
        step.next("cargo clippy");
        cmd!(sh, "cargo clippy --quiet --workspace --lib --bins --tests -- -D warnings").run()?;
        // The per-architecture and per-OS code of the runtime and the crates,
        // linted for every platform, not only the one we run on.
        let packages: Vec<String> = ["reference-rt".to_owned(), "crate-support".to_owned()]
            .into_iter()
            .chain(crate::build::test_crates(sh)?)
            .flat_map(|p| ["-p".to_owned(), p])
            .collect();
        for platform in crate::build::platforms(sh, "all")? {
            let (triple, packages) = (&platform.triple, &packages);
            cmd!(sh, "cargo clippy --quiet --target {triple} {packages...} -- -D warnings").run()?;
        }
        step.next("unit tests");
        cmd!(sh, "cargo test --quiet --workspace").run()?;
        step.next("Miri: the runtime's logic under Stacked and Tree Borrows");
        crate::miri::Miri {}.run(sh)?;
        step.next("stack budgets from the disassembly, all platforms");
        crate::stack_budget::StackBudget {}.run(sh)?;
        step.next("gdb through segments and valgrind's memcheck (linux-x86_64)");
        crate::deps::ensure_debian_packages(sh, &["gdb", "valgrind"])?;
        crate::debuggers::Debuggers {}.run(sh)?;
        step.next("conformance suite, reference runtime, all platforms");
        let (runner, args) = crate::test::prepare(sh, RunArgs { target: "all".into(), ..suite_defaults() }, "local")?;
        if !crate::test::run_runner(&runner, &args, None, &[])? {
            anyhow::bail!("the conformance suite failed against the reference runtime");
        }
        step.next("broken-runtime fixtures (representative), all platforms");
        crate::fixtures::Fixtures {
            target: "all".into(),
            all: false,
            bless: false,
            backend: "local".into(),
            verbose: false,
            names: Vec::new(),
        }
        .run(sh)?;
        step.next("the example C runtime, as its author would run the suite");
        crate::example::Example { target: "all".into() }.run(sh)?;
        step.next("the kit, from its unpacked archive");
        crate::kit::Kit { out: "target/conformance-kit.tar.gz".into(), check: true }.run(sh)?;
        step.next("all green");
        // One closing line that counts what the suite checked on the reference runtime.
        let mut n_passed = 0;
        for platform in crate::build::platforms(sh, "all")? {
            let path = sh
                .current_dir()
                .join("results")
                .join(conformance::REFERENCE_RUNTIME)
                .join(&platform.name)
                .join("report.json");
            n_passed += conformance::report::Report::read(&path)?.cases.len();
        }
        eprintln!("xtask ci: {:.0} s in all", started.elapsed().as_secs_f64());
        println!("conformance: {n_passed} passed, 0 failed");
        Ok(())
    }
}

/// The runner options `ci` uses: everything else as by default.
fn suite_defaults() -> RunArgs {
    RunArgs::default()
}

/// A titled step of CI, timed.
struct Step {
    started: std::time::Instant,
}

impl Step {
    fn new(what: &str) -> Step {
        eprintln!("\n==== xtask ci: {what}");
        Step { started: std::time::Instant::now() }
    }

    fn next(&mut self, what: &str) {
        eprintln!("==== ({:.1} s)", self.started.elapsed().as_secs_f64());
        *self = Step::new(what);
    }
}
