//! `cargo xtask deps`: the Debian packages and rustup targets the selected
//! platforms need, installed when we are root, else the exact command to run.

use anyhow::bail;
use clap::Args;
use conformance::platform::Platform;
use xshell::{Shell, cmd};

#[derive(Args, Debug)]
pub struct Deps {
    /// `all`, a platform name or a Rust target triple
    #[arg(long, value_name = "PLATFORM", default_value = "all")]
    pub target: String,
}

impl Deps {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let platforms = crate::build::platforms(sh, &self.target)?;
        ensure(sh, &platforms)
    }
}

/// Makes sure everything `platforms` need is installed.
pub fn ensure(sh: &Shell, platforms: &[Platform]) -> anyhow::Result<()> {
    ensure_packages(sh, platforms)?;
    ensure_rust_targets(sh, platforms)
}

fn ensure_packages(sh: &Shell, platforms: &[Platform]) -> anyhow::Result<()> {
    let packages: Vec<&str> = platforms.iter().flat_map(|p| &p.debian_packages).map(String::as_str).collect();
    ensure_debian_packages(sh, &packages)
}

/// Installs the Debian `packages` that are missing when we are root, else
/// stops with the exact command to run.
pub fn ensure_debian_packages(sh: &Shell, packages: &[&str]) -> anyhow::Result<()> {
    let mut missing: Vec<&str> = Vec::new();
    for &package in packages {
        let format = "-f=${Status}";
        let status = cmd!(sh, "dpkg-query -W {format} {package}").quiet().ignore_status().read().unwrap_or_default();
        if !status.contains("install ok installed") && !missing.contains(&package) {
            missing.push(package);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let root = cmd!(sh, "id -u").quiet().read()? == "0";
    if !root {
        bail!(
            "these Debian packages are missing: {0}\ninstall them with:\n    sudo apt-get update && sudo apt-get install -y {0}",
            missing.join(" ")
        );
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    let _env = sh.push_env("DEBIAN_FRONTEND", "noninteractive");
    cmd!(sh, "apt-get update -qq").run()?;
    cmd!(sh, "apt-get install -y -qq {missing...}").run()?;
    Ok(())
}

fn ensure_rust_targets(sh: &Shell, platforms: &[Platform]) -> anyhow::Result<()> {
    let installed = cmd!(sh, "rustup target list --installed").quiet().read()?;
    let missing: Vec<&str> = platforms
        .iter()
        .map(|p| p.triple.as_str())
        .filter(|triple| !installed.lines().any(|line| line.trim() == *triple))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: adding rust targets: {}", missing.join(" "));
    let list = missing.join(" ");
    if cmd!(sh, "rustup target add {missing...}").run().is_err() {
        bail!("cannot add the rust targets; run:\n    rustup target add {list}");
    }
    Ok(())
}

/// The nightly toolchain with Miri, which checks the runtime's scheduler
/// logic (`reference-rt`'s tests on its `cfg(miri)` backend).
pub fn ensure_miri(sh: &Shell) -> anyhow::Result<()> {
    if cmd!(sh, "cargo +nightly miri --version").quiet().ignore_stderr().run().is_ok() {
        return Ok(());
    }
    eprintln!("xtask: installing the nightly toolchain with miri (once)");
    if cmd!(sh, "rustup toolchain install nightly --profile minimal --component miri").run().is_err() {
        bail!("cannot install Miri; run:\n    rustup toolchain install nightly --profile minimal --component miri");
    }
    Ok(())
}
