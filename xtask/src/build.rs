//! Building for a platform: the reference runtime, the test crates (each a
//! staticlib linked by the platform's C compiler into one executable
//! library), the embedding host, and runtimes written in C (the fixtures).
//!
//! Everything lands in `target/conformance/<platform>/`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use conformance::platform::Platform;
use xshell::{Shell, cmd};

/// Crates under `crates-under-test/` that are libraries for the others,
/// not crates under test.
const SUPPORT_CRATES: [&str; 2] = ["scenario-format", "support"];

/// What a platform build produced.
pub struct Built {
    pub platform: Platform,
    /// `target/conformance/build/<platform>`: `crates/`, `host`, `probe`.
    pub dir: PathBuf,
    pub reference_runtime: PathBuf,
}

/// The platforms `target` selects.
pub fn platforms(sh: &Shell, target: &str) -> anyhow::Result<Vec<Platform>> {
    Platform::select(Platform::load_all(&sh.current_dir().join("platforms"))?, target)
}

/// The crates under test, by package name (their directory names).
pub fn test_crates(sh: &Shell) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(sh.current_dir().join("crates-under-test"))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().join("Cargo.toml").is_file() && !SUPPORT_CRATES.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// What builds the Rust artifacts: cargo with the local toolchains, or
/// `cross` (docker or podman images, configured by `Cross.toml`). Linking
/// the crates and building C stays with the local C compilers either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Local,
    Cross,
}

impl Backend {
    /// `cross` when asked for and usable here; otherwise says why in one
    /// line and falls back to the local toolchains.
    pub fn choose(sh: &Shell, wanted: &str) -> anyhow::Result<Backend> {
        match wanted {
            "local" => Ok(Backend::Local),
            "cross" => {
                let engine = ["docker", "podman"]
                    .into_iter()
                    .any(|engine| cmd!(sh, "{engine} info").quiet().ignore_stdout().ignore_stderr().run().is_ok());
                let cross = cmd!(sh, "cross --version").quiet().ignore_stdout().ignore_stderr().run().is_ok();
                if engine && cross {
                    return Ok(Backend::Cross);
                }
                eprintln!(
                    "xtask: --backend cross needs a running docker or podman engine and `cargo install cross` \
                     ({}); building with the local toolchains",
                    if engine { "cross is not installed" } else { "no container engine runs here" }
                );
                Ok(Backend::Local)
            }
            other => anyhow::bail!("unknown backend `{other}`: use `local` or `cross`"),
        }
    }
}

/// Builds the reference runtime, every crate under test, the host and the
/// probe for `platform`, one progress line per step; the commands
/// themselves are shown only when `verbose`.
pub fn build_platform(sh: &Shell, platform: &Platform, backend: Backend, verbose: bool) -> anyhow::Result<Built> {
    let root = sh.current_dir();
    let triple = &platform.triple;
    let crates = test_crates(sh)?;
    let name = &platform.name;

    // Cargo links the runtime (a cdylib) with the platform's C compiler.
    let linker_var = format!("CARGO_TARGET_{}_LINKER", triple.to_uppercase().replace('-', "_"));
    let _linker = sh.push_env(&linker_var, &platform.cc);
    let rustflags_var = format!("CARGO_TARGET_{}_RUSTFLAGS", triple.to_uppercase().replace('-', "_"));
    let _rustflags = sh.push_env(&rustflags_var, platform.rustflags.join(" "));
    let packages: Vec<String> = std::iter::once("reference-rt".to_owned())
        .chain(crates.iter().cloned())
        .flat_map(|c| ["-p".to_owned(), c])
        .collect();
    let cargo = if backend == Backend::Cross { "cross" } else { "cargo" };
    let step = Step::start(
        name,
        &format!("{cargo}: the reference runtime and {} crates for {triple} (minutes the first time)", crates.len()),
    );
    let quiet = if verbose { None } else { Some("--quiet") };
    cmd!(sh, "{cargo} build {quiet...} --release --target {triple} {packages...}").quiet_unless(verbose).run()?;
    step.done();

    let cargo_out = root.join("target").join(triple).join("release");
    let dir = root.join("target/conformance/build").join(name);
    let crates_dir = dir.join("crates");
    if crates_dir.exists() {
        std::fs::remove_dir_all(&crates_dir)?;
    }
    std::fs::create_dir_all(&crates_dir)?;

    let link_dir = root.join("crates-under-test/support/link").display().to_string();
    let link_args: Vec<String> = platform.crate_link_args.iter().map(|a| a.replace("{link_dir}", &link_dir)).collect();
    let cc = &platform.cc;
    let step = Step::start(name, &format!("{cc}: linking {} crates", crates.len()));
    for crate_name in &crates {
        let archive = cargo_out.join(format!("lib{}.a", crate_name.replace('-', "_")));
        let out = crates_dir.join(format!("{crate_name}{}", platform.exe_suffix));
        let link_args = &link_args;
        cmd!(sh, "{cc} {link_args...} {archive} -L {cargo_out} -lrustrt -lgcc -o {out}")
            .quiet_unless(verbose)
            .run()
            .with_context(|| format!("linking crate `{crate_name}` for {name}"))?;
    }
    step.done();

    let step = Step::start(name, &format!("{cc}: the embedding host and the probe"));
    let include = root.join("reference-rt/include");
    let host_args = &platform.host_link_args;
    for (program, source) in [("host", "conformance/host/host.c"), ("probe", "conformance/probe/probe.c")] {
        let out = dir.join(format!("{program}{}", platform.exe_suffix));
        let source = root.join(source);
        cmd!(sh, "{cc} -std=c11 -O2 -Wall -Wextra -Werror -I {include} {source} -o {out} {host_args...}")
            .quiet_unless(verbose)
            .run()
            .with_context(|| format!("building the {program} for {name}"))?;
    }
    step.done();

    Ok(Built { platform: platform.clone(), reference_runtime: cargo_out.join(&platform.runtime_file), dir })
}

/// Builds the runner, `target/release/conformance`, for this machine.
pub fn runner(sh: &Shell, verbose: bool) -> anyhow::Result<PathBuf> {
    let step = Step::start("runner", "cargo: the conformance runner");
    let quiet = if verbose { None } else { Some("--quiet") };
    cmd!(sh, "cargo build {quiet...} --release -p conformance").quiet().run()?;
    step.done();
    Ok(sh.current_dir().join("target/release/conformance"))
}

/// A progress line: `xtask: <platform>: <what> …`, then its time.
pub struct Step {
    started: std::time::Instant,
}

impl Step {
    pub fn start(scope: &str, what: &str) -> Step {
        eprintln!("xtask: {scope}: {what} …");
        Step { started: std::time::Instant::now() }
    }

    pub fn done(self) {
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds >= 1.0 {
            eprintln!("xtask:   done in {seconds:.1} s");
        }
    }
}

/// Quiet (no echoed command) unless asked for.
trait QuietUnless {
    fn quiet_unless(self, verbose: bool) -> Self;
}

impl QuietUnless for xshell::Cmd<'_> {
    fn quiet_unless(mut self, verbose: bool) -> Self {
        self.set_quiet(!verbose);
        self
    }
}

/// Builds a runtime written in C (one source file against `rustrt.h`) for
/// `platform` into `out_dir`, under the platform's runtime file name.
pub fn build_c_runtime(sh: &Shell, platform: &Platform, source: &Path, out_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out_dir)?;
    let out = out_dir.join(&platform.runtime_file);
    let include = sh.current_dir().join("reference-rt/include");
    let cc = &platform.cc;
    let args = &platform.c_runtime_args;
    cmd!(sh, "{cc} -std=c11 -O1 -Wall -Wextra -I {include} {source} {args...} -o {out}")
        .quiet()
        .run()
        .with_context(|| format!("building the C runtime {} for {}", source.display(), platform.name))?;
    Ok(out)
}

/// Copies what the reference runtime needs into
/// `target/conformance/fixture-src/<name>/` as a workspace of its own and
/// applies `patch` (a unified diff against the repository root) to it: a
/// deliberately broken reference runtime, the source tree left untouched.
pub fn patched_runtime_source(sh: &Shell, name: &str, patch: &Path) -> anyhow::Result<PathBuf> {
    let root = sh.current_dir();
    let src = root.join("target/conformance/fixture-src").join(name);
    if src.exists() {
        std::fs::remove_dir_all(&src)?;
    }
    for dir in ["reference-rt/src", "reference-rt/include", "reference-rt/abi/src"] {
        copy_dir(&root.join(dir), &src.join(dir))?;
    }
    for file in ["reference-rt/Cargo.toml", "reference-rt/abi/Cargo.toml", "Cargo.lock", "rustfmt.toml"] {
        std::fs::copy(root.join(file), src.join(file)).with_context(|| format!("copying {file}"))?;
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let start = manifest.find("members = [").context("no workspace members in Cargo.toml")?;
    let end = start + manifest[start..].find(']').context("unterminated members")? + 1;
    let manifest =
        format!("{}members = [\"reference-rt\", \"reference-rt/abi\"]{}", &manifest[..start], &manifest[end..]);
    let manifest: String =
        manifest.lines().filter(|l| !l.starts_with("default-members")).map(|l| format!("{l}\n")).collect();
    std::fs::write(src.join("Cargo.toml"), manifest)?;
    cmd!(sh, "patch --quiet --batch -p1 -d {src} -i {patch}").quiet().run().with_context(|| {
        format!(
            "{} no longer applies to reference-rt: regenerate it with `diff -u` against the current source",
            patch.display()
        )
    })?;
    Ok(src)
}

/// Builds the runtime in `src` (from `patched_runtime_source`) for `platform`
/// into `out_dir`, under the platform's runtime file name.
pub fn build_runtime_from(sh: &Shell, src: &Path, platform: &Platform, out_dir: &Path) -> anyhow::Result<PathBuf> {
    let triple = &platform.triple;
    let upper = triple.to_uppercase().replace('-', "_");
    let _linker = sh.push_env(format!("CARGO_TARGET_{upper}_LINKER"), &platform.cc);
    let _rustflags = sh.push_env(format!("CARGO_TARGET_{upper}_RUSTFLAGS"), platform.rustflags.join(" "));
    let target_dir = sh.current_dir().join("target/conformance/fixture-target");
    let manifest = src.join("Cargo.toml");
    cmd!(sh, "cargo build --quiet --release --manifest-path {manifest} --target-dir {target_dir} -p reference-rt --target {triple}")
        .quiet()
        .run()?;
    std::fs::create_dir_all(out_dir)?;
    let out = out_dir.join(&platform.runtime_file);
    std::fs::copy(target_dir.join(triple).join("release").join(&platform.runtime_file), &out)?;
    Ok(out)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
