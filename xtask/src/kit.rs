//! `cargo xtask kit`: one archive, `target/conformance-kit.tar.gz`, that
//! runs the suite on a machine with no Rust toolchain:
//!
//! ```text
//! conformance-kit/
//!   conformance                  the runner, statically linked (x86_64-unknown-linux-musl)
//!   README.md                    how to run it
//!   platforms/*.toml             the platforms (runner commands, file names)
//!   cases/<case>/                case.toml and the golden
//!   build/<platform>/            crates/, host, probe: built for each platform
//!   include/rustrt.h             the C form of the ABI, for a runtime's authors
//!   reference/<platform>/        the reference runtime, and its expectations.toml
//! ```
//!
//! The runner finds `platforms/`, `cases/` and `build/` beside itself and
//! keeps its scratch space (and the Wine prefix) in `work/` beside itself.
//! `cargo xtask kit --check` unpacks the archive into a temporary directory
//! and runs it there once, against its reference runtime, with a PATH that
//! holds neither cargo nor rustc.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use clap::Args;
use xshell::{Shell, cmd};

use crate::build;

/// The target the kit's runner is built for: static, runs on any x86_64 Linux.
const STATIC_TRIPLE: &str = "x86_64-unknown-linux-musl";

#[derive(Args, Debug)]
pub struct Kit {
    /// Where the archive goes
    #[arg(long, value_name = "FILE", default_value = "target/conformance-kit.tar.gz")]
    pub out: PathBuf,
    /// Then unpack it into a temporary directory and run it there once, without a Rust toolchain
    #[arg(long)]
    pub check: bool,
}

impl Kit {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let root = sh.current_dir();
        let platforms = build::platforms(sh, "all")?;
        crate::deps::ensure(sh, &platforms)?;
        let builds = platforms
            .iter()
            .map(|p| build::build_platform(sh, p, build::Backend::Local, false))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let step = build::Step::start("kit", &format!("cargo: the runner for {STATIC_TRIPLE} (static)"));
        if !cmd!(sh, "rustup target list --installed").quiet().read()?.lines().any(|l| l.trim() == STATIC_TRIPLE) {
            cmd!(sh, "rustup target add {STATIC_TRIPLE}").quiet().run()?;
        }
        cmd!(sh, "cargo build --quiet --release -p conformance --target {STATIC_TRIPLE}").quiet().run()?;
        step.done();
        let runner = root.join("target").join(STATIC_TRIPLE).join("release/conformance");
        ensure!(is_static(&runner)?, "{} is not statically linked", runner.display());

        let stage_root = root.join("target/conformance/kit");
        let stage = stage_root.join("conformance-kit");
        if stage_root.exists() {
            std::fs::remove_dir_all(&stage_root)?;
        }
        std::fs::create_dir_all(&stage)?;
        copy(&runner, &stage.join("conformance"))?;
        // Its debug information is most of its size, and no use without sources.
        let staged = stage.join("conformance");
        cmd!(sh, "strip --strip-debug {staged}").quiet().run()?;
        copy_tree(&root.join("platforms"), &stage.join("platforms"))?;
        copy_tree(&root.join("conformance/cases"), &stage.join("cases"))?;
        copy(&root.join("reference-rt/include/rustrt.h"), &stage.join("include/rustrt.h"))?;
        copy(&root.join("reference-rt/expectations.toml"), &stage.join("reference/expectations.toml"))?;
        for built in &builds {
            copy_tree(&built.dir, &stage.join("build").join(&built.platform.name))?;
            let file = &built.platform.runtime_file;
            copy(&built.reference_runtime, &stage.join("reference").join(&built.platform.name).join(file))?;
        }
        std::fs::write(stage.join("README.md"), README)?;
        let out = std::path::absolute(&self.out)?;
        std::fs::create_dir_all(out.parent().context("--out has no directory")?)?;
        cmd!(sh, "tar -czf {out} -C {stage_root} conformance-kit").quiet().run()?;
        let size = std::fs::metadata(&out)?.len();
        eprintln!("xtask: wrote {} ({:.1} MiB)", out.display(), size as f64 / (1 << 20) as f64);
        if self.check {
            check(sh, &out)?;
        }
        Ok(())
    }
}

/// Unpacks the kit into a temporary directory and runs it against its
/// reference runtime, with a PATH of system directories only.
pub fn check(sh: &Shell, archive: &Path) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!("conformance-kit-check-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    cmd!(sh, "tar -xzf {archive} -C {scratch}").quiet().run()?;
    let kit = scratch.join("conformance-kit");
    let step = build::Step::start("kit", &format!("running {}/conformance (PATH=/usr/bin:/bin)", kit.display()));
    let output = std::process::Command::new(kit.join("conformance"))
        .args(["--runtime", "reference", "--results-dir", "results", "--name", "reference-from-kit"])
        .current_dir(&kit)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &scratch)
        .output()
        .context("cannot run the kit's runner")?;
    step.done();
    let text = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
    let which_cargo = std::process::Command::new("sh")
        .args(["-c", "command -v cargo rustc"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()?;
    ensure!(which_cargo.stdout.is_empty(), "cargo or rustc is on /usr/bin:/bin: the check would not prove anything");
    ensure!(output.status.success(), "the kit's run failed:\n{text}");
    let mut n_reports = 0;
    for platform in ["linux-x86_64", "windows-x86_64", "linux-aarch64"] {
        let report = kit.join("results/reference-from-kit").join(platform).join("report.json");
        let report = conformance::report::Report::read(&report)?;
        ensure!(report.cases.iter().all(|c| c.outcome.is_success()), "{platform}: a case failed from the kit");
        n_reports += 1;
    }
    std::fs::remove_dir_all(&scratch).ok();
    eprintln!(
        "xtask: the kit ran from an unpacked archive without a Rust toolchain: {n_reports} platforms, all passed"
    );
    Ok(())
}

fn is_static(path: &Path) -> anyhow::Result<bool> {
    use object::Object as _;
    let data = std::fs::read(path)?;
    let file = object::File::parse(&*data)?;
    Ok(file.imports()?.is_empty() && !file.sections().any(|s| object::ObjectSection::name(&s) == Ok(".interp")))
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to.parent().context("no directory")?)?;
    std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        } else {
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

const README: &str = "# rustrt conformance kit

Runs the conformance suite against a runtime library with no Rust toolchain:
only Wine (windows-x86_64) and QEMU user mode (linux-aarch64) are needed, and
your own compiler for your runtime.

    ./conformance --runtime path/to/dist/            # dist/<platform>/librustrt.so, dist/windows-x86_64/rustrt.dll
    ./conformance --runtime librustrt.so --target linux-x86_64
    ./conformance --runtime dist/ handshake embed    # only trials whose names contain a filter
    ./conformance --help

Debian packages: `wine64 wine` (windows-x86_64), `qemu-user` (linux-aarch64).
A platform whose runner is missing is reported as broken, in one line.

Keep an `expectations.toml` beside your library (or in `dist/`): the ABI
version you implement, the capabilities you provide, your known failures.
`reference/` holds the reference runtime and its expectations, to compare
with: `./conformance --runtime reference`. `include/rustrt.h` is the ABI in C.

Reports: `results/<name>/<platform>/report.json` and `junit.xml`; failed
cases leave `repro/<case>.sh`, which reruns exactly that case without the
suite. `results/matrix.md` sums up every full run.

    ./conformance diff old-results/ results/         # regressions (exit 1) and fixes, as Markdown
";
