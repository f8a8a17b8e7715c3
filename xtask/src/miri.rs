//! `cargo xtask miri`: the runtime's logic under Miri. `reference-rt`'s
//! tests run on its `cfg(miri)` backend (threads and batons for the context
//! switches, `src/arch/miri.rs`), under Stacked Borrows and then Tree
//! Borrows. Leaks are allowed (a test may end with procs alive, as a
//! process would); provenance is permissive, as pointers cross the
//! assembly as integers (a proc's record to its start trampoline, the
//! upcall's closure, frame records placed at addresses counted from a
//! segment's top).

use clap::Args;
use xshell::{Shell, cmd};

#[derive(Args, Debug)]
pub struct Miri {}

impl Miri {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        crate::deps::ensure_miri(sh)?;
        for (model, flag) in [("Stacked Borrows", ""), ("Tree Borrows", "-Zmiri-tree-borrows")] {
            eprintln!("xtask: miri: reference-rt's tests under {model}");
            let flags = format!("-Zmiri-ignore-leaks -Zmiri-permissive-provenance {flag}");
            let _flags = sh.push_env("MIRIFLAGS", flags.trim());
            cmd!(sh, "cargo +nightly miri test --quiet -p reference-rt").run()?;
        }
        Ok(())
    }
}
