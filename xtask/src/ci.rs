//! `cargo xtask ci`: what CI runs, in order: formatting, lints, unit tests,
//! the conformance suite on every platform, and the broken-runtime fixtures.

use xshell::{Shell, cmd};

use crate::Options;

pub struct Ci;

impl Ci {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let all = Options { target: "all".to_owned(), runtime: None, runtime_name: None, libtest_args: Vec::new() };
        crate::deps::ensure(sh, &crate::build::platforms(sh, "all")?)?;
        step("cargo fmt --check");
        cmd!(sh, "cargo fmt --all -- --check").run()?;
        step("cargo clippy");
        cmd!(sh, "cargo clippy --quiet --workspace --lib --bins --tests -- -D warnings").run()?;
        step("unit tests");
        cmd!(sh, "cargo test --quiet --workspace").run()?;
        step("conformance suite, reference runtime, all platforms");
        crate::test::Test { options: all.clone(), bless: false }.run(sh)?;
        step("broken-runtime fixtures, all platforms");
        crate::fixtures::Fixtures { options: all }.run(sh)?;
        step("all green");
        Ok(())
    }
}

fn step(what: &str) {
    eprintln!("\n==== xtask ci: {what}");
}
