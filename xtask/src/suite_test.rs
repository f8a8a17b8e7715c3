//! The conformance suite as a `cargo test`, for tools that can only run
//! `cargo test` (cargo-mutants): slow, so gated at run time by
//! `CONFORMANCE_SUITE_TARGET` (a platform name, or `all`).
//!
//! When the runtime itself does not build (a mutant that does not compile),
//! the test fails with `UNVIABLE_MARKER` in its output, so that
//! `cargo xtask mutants` counts the mutant as unviable, not as caught.

use std::process::Command;

use crate::suite_test_marker::UNVIABLE_MARKER;

#[test]
fn conformance_suite_when_asked() {
    let Ok(target) = std::env::var("CONFORMANCE_SUITE_TARGET") else {
        eprintln!("conformance suite not run: set CONFORMANCE_SUITE_TARGET=<platform|all> to run it here");
        return;
    };
    let root = crate::project_root();
    let platforms = conformance::platform::Platform::select(
        conformance::platform::Platform::load_all(&root.join("platforms")).unwrap(),
        &target,
    )
    .unwrap();
    for platform in &platforms {
        let linker = format!("CARGO_TARGET_{}_LINKER", platform.triple.to_uppercase().replace('-', "_"));
        let built = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--release", "-p", "reference-rt", "--target", &platform.triple])
            .env(linker, &platform.cc)
            .current_dir(&root)
            .status()
            .expect("cannot start cargo build");
        assert!(built.success(), "{UNVIABLE_MARKER} for {}", platform.name);
    }
    let status = Command::new(env!("CARGO"))
        .args(["xtask", "test", "--target", &target])
        .current_dir(&root)
        .status()
        .expect("cannot start cargo xtask test");
    assert!(status.success(), "the conformance suite failed on {target}");
}
