//! Wine for the Windows platform: a prefix of the project's own and a
//! wineserver that stays up while the suite runs.
//!
//! A fresh prefix takes seconds to create; a run with the server already up
//! takes tens of milliseconds. The server is started with its standard
//! streams on /dev/null: started with a pipe we read, it would keep that pipe
//! open and the reader would wait forever.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver64";

/// The prefix: `target/wine-prefix`.
pub fn prefix(root: &Path) -> PathBuf {
    root.join("target/wine-prefix")
}

/// Guard that stops the wineserver when dropped.
pub struct Server {
    prefix: PathBuf,
}

/// Starts a persistent wineserver for the prefix, creating the prefix first
/// when it does not exist.
pub fn start(root: &Path) -> anyhow::Result<Server> {
    let prefix = prefix(root);
    std::fs::create_dir_all(&prefix)?;
    detached(Command::new(WINESERVER).arg("-p"), &prefix).spawn().context("cannot start wineserver")?;
    if !prefix.join("system.reg").exists() {
        eprintln!("xtask: creating the Wine prefix {} (once)", prefix.display());
    }
    // Brings the prefix up to date and starts Wine's services once, so that
    // the suite's runs find them running.
    let status =
        detached(Command::new(WINE).args(["wineboot", "--init"]), &prefix).status().context("cannot run wineboot")?;
    anyhow::ensure!(status.success(), "wineboot failed in {}", prefix.display());
    Ok(Server { prefix })
}

fn detached<'a>(command: &'a mut Command, prefix: &Path) -> &'a mut Command {
    command
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = detached(Command::new(WINESERVER).arg("-k"), &self.prefix).status();
    }
}
