//! `cargo xtask ci`: what CI runs, in order: formatting, lints, unit tests,
//! the conformance suite on every platform, and the broken-runtime fixtures.

use xshell::{Shell, cmd};

use crate::Options;

pub struct Ci;

impl Ci {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let all = Options {
            target: "all".to_owned(),
            runtime: None,
            runtime_name: None,
            expectations: None,
            backend: "local".to_owned(),
            libtest_args: Vec::new(),
        };
        crate::deps::ensure(sh, &crate::build::platforms(sh, "all")?)?;
        step("cargo fmt --check");
        cmd!(sh, "cargo fmt --all -- --check").run()?;
        step("cargo clippy");
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
        step("unit tests");
        cmd!(sh, "cargo test --quiet --workspace").run()?;
        step("conformance suite, reference runtime, all platforms");
        crate::test::Test { options: all.clone(), bless: false }.run(sh)?;
        step("broken-runtime fixtures, all platforms");
        crate::fixtures::Fixtures { options: all }.run(sh)?;
        step("all green");
        // One closing line that counts what the suite checked on the reference runtime.
        let mut n_passed = 0;
        for platform in crate::build::platforms(sh, "all")? {
            let path = sh
                .current_dir()
                .join("results")
                .join(conformance::plan::REFERENCE_RUNTIME)
                .join(&platform.name)
                .join("report.json");
            n_passed += conformance::report::Report::read(&path)?.cases.len();
        }
        println!("conformance: {n_passed} passed, 0 failed");
        Ok(())
    }
}

fn step(what: &str) {
    eprintln!("\n==== xtask ci: {what}");
}
