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

/// Stops the server and every Wine process of the prefix. `wineserver -k`
/// reaches the processes connected to the server; a Wine process caught
/// half-started (its parent killed before it connected, seen as
/// `services.exe` blocked on a pipe forever) is not connected to anything:
/// every process whose environment names this prefix goes too. The prefix
/// is the suite's own, so these are the suite's processes.
///
/// The Wine processes go first: a server told to stop (`-k`, SIGINT) while
/// such a process is left waits about 10 s before `-k` kills it, and it
/// saves the prefix's registry only when it stops cleanly.
fn kill(wineserver: &str, prefix: &Path) {
    let entry = format!("WINEPREFIX={}", prefix.display());
    let server_name = Path::new(wineserver).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    kill_all(&entry, Some(&server_name));
    let _ = detached(Command::new(wineserver).arg("-k"), prefix).status();
    // `-k` returns once the server was told; wait until it is gone.
    let _ = detached(Command::new(wineserver).arg("-w"), prefix).status();
    kill_all(&entry, None);
}

/// Kills every process whose environment holds `entry`, but the one whose
/// name (`comm`) is `spare`, until none is left.
fn kill_all(entry: &str, spare: Option<&str>) {
    for _ in 0..10 {
        let stragglers: Vec<u32> = processes_with_env(entry)
            .into_iter()
            .filter(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                spare.is_none_or(|spare| comm.trim() != spare)
            })
            .collect();
        if stragglers.is_empty() {
            return;
        }
        for &pid in &stragglers {
            // SAFETY: kill(2) on one process id; no memory is involved.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        // Wine's daemons whose parent died were reparented to the runner (a
        // subreaper): reaped here, or the server would wait for the zombies.
        for &pid in &stragglers {
            // SAFETY: waitpid(2) with a null status pointer; fails harmlessly
            // (ECHILD) when the process is not this one's child.
            unsafe { libc::waitpid(pid as i32, std::ptr::null_mut(), libc::WNOHANG) };
        }
    }
}

/// Live processes (not this one) whose environment holds `entry` exactly.
fn processes_with_env(entry: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|&pid| pid != std::process::id())
        .filter(|pid| {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            environ.split(|&b| b == 0).any(|var| var == entry.as_bytes())
        })
        .collect()
}

/// A Wine command with the cases' controlled environment (Wine's daemons
/// serve every case), its standard streams on /dev/null.
fn detached<'a>(command: &'a mut Command, prefix: &Path) -> &'a mut Command {
    let extra = [("WINEPREFIX".to_owned(), prefix.display().to_string()), ("WINEDEBUG".to_owned(), "-all".to_owned())];
    crate::run::without_address_randomization(command)
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
