//! Wine for the platforms whose runner is Wine: a prefix of the suite's own
//! and a wineserver that stays up while the suite runs.
//!
//! A fresh prefix takes seconds to create; a run with the server already up
//! takes tens of milliseconds. The server and `wineboot` are started with
//! their standard streams on /dev/null: started with a pipe someone reads,
//! the server would keep it open and the reader would wait forever. They are
//! started before the runner becomes a subreaper, so Wine's daemons are
//! never taken for a case's leftovers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::platform::Platform;

/// A running wineserver for one prefix; `stop` (or drop) ends it and every
/// Wine process of the prefix (`wineserver -k`).
pub struct Server {
    wineserver: String,
    prefix: PathBuf,
}

/// Starts a persistent wineserver for `prefix`, creating the prefix first
/// when it does not exist, and brings Wine's services up once.
pub fn start(platform: &Platform, prefix: &Path) -> anyhow::Result<Server> {
    let wine = platform.runner.first().context("a Wine platform needs a runner command")?;
    let wineserver = platform.wineserver.clone().with_context(|| {
        format!("platform {}: `wine = true` needs `wineserver` (the wineserver's path)", platform.name)
    })?;
    std::fs::create_dir_all(prefix).with_context(|| format!("cannot create the Wine prefix {}", prefix.display()))?;
    detached(Command::new(&wineserver).arg("-p"), prefix)
        .status()
        .with_context(|| format!("cannot start {wineserver} (install wine64)"))?;
    if !prefix.join("system.reg").exists() {
        eprintln!(
            "conformance: {}: creating the Wine prefix {} (once, a few seconds)",
            platform.name,
            prefix.display()
        );
    }
    let status = detached(Command::new(wine).args(["wineboot", "--init"]), prefix)
        .status()
        .with_context(|| format!("cannot run {wine} wineboot"))?;
    anyhow::ensure!(status.success(), "wineboot failed in {}", prefix.display());
    Ok(Server { wineserver, prefix: prefix.to_owned() })
}

impl Server {
    /// The clean-up a stop handler runs: the same as dropping the server,
    /// callable from another thread.
    pub fn stopper(&self) -> impl FnOnce() -> String + Send + 'static {
        let (wineserver, prefix) = (self.wineserver.clone(), self.prefix.clone());
        move || {
            kill(&wineserver, &prefix);
            ", stopped the wineserver".to_owned()
        }
    }
}

fn kill(wineserver: &str, prefix: &Path) {
    let _ = detached(Command::new(wineserver).arg("-k"), prefix).status();
    // `-k` returns once the server was told; wait until it is gone.
    let _ = detached(Command::new(wineserver).arg("-w"), prefix).status();
}

/// A Wine command with the cases' controlled environment (Wine's daemons
/// serve every case), its standard streams on /dev/null.
fn detached<'a>(command: &'a mut Command, prefix: &Path) -> &'a mut Command {
    let extra = [("WINEPREFIX".to_owned(), prefix.display().to_string()), ("WINEDEBUG".to_owned(), "-all".to_owned())];
    command
        .env_clear()
        .envs(crate::run::child_env(std::env::vars_os(), &extra))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}

impl Drop for Server {
    fn drop(&mut self) {
        kill(&self.wineserver, &self.prefix);
    }
}
