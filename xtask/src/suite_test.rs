//! The conformance suite as a `cargo test`, for tools that can only run
//! `cargo test` (cargo-mutants): slow, so gated at run time by
//! `CONFORMANCE_SUITE_TARGET` (a platform name, or `all`).

use std::process::Command;

#[test]
fn conformance_suite_when_asked() {
    let Ok(target) = std::env::var("CONFORMANCE_SUITE_TARGET") else {
        eprintln!("conformance suite not run: set CONFORMANCE_SUITE_TARGET=<platform|all> to run it here");
        return;
    };
    let status = Command::new(env!("CARGO"))
        .args(["xtask", "test", "--target", &target])
        .current_dir(crate::project_root())
        .status()
        .expect("cannot start cargo xtask test");
    assert!(status.success(), "the conformance suite failed on {target}");
}
