//! Running one child process with a time limit, its output captured to files.
//!
//! Output goes to files, not pipes: Wine's helper processes can inherit a
//! pipe and keep it open long after the program ended. The child gets its
//! own process group, killed when the time limit passes and when the child
//! ends, so nothing it started outlives its case.

use std::fs::File;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// How a child process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// It was killed by this signal.
    Signalled(i32),
    /// It ran past the time limit and was killed.
    TimedOut,
}

/// What a child process did.
#[derive(Clone, Debug)]
pub struct Captured {
    pub ended: Ended,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub duration: Duration,
}

/// Runs `command` with `limit`, capturing stdout and stderr through files in `scratch`.
pub fn run_with_limit(mut command: Command, limit: Duration, scratch: &Path) -> anyhow::Result<Captured> {
    std::fs::create_dir_all(scratch)?;
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let stdout = File::create(&out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
    let stderr = File::create(&err_path).with_context(|| format!("cannot create {}", err_path.display()))?;
    command.stdin(Stdio::null()).stdout(stdout).stderr(stderr).process_group(0);
    // The dynamic loader's variables would choose another library than the
    // runtime beside the crate (`cargo run` sets LD_LIBRARY_PATH to
    // target/debug/deps, which can hold a stale librustrt.so).
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LD_") {
            command.env_remove(&name);
        }
    }
    let started = Instant::now();
    let mut child = command.spawn().with_context(|| format!("cannot start {command:?}"))?;
    let ended = loop {
        if let Some(status) = child.try_wait()? {
            break match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code),
                (None, Some(signal)) => Ended::Signalled(signal),
                (None, None) => unreachable!("a process ends by exit or by signal"),
            };
        }
        if started.elapsed() >= limit {
            // SAFETY: kill(2) on the child's own process group; no memory involved.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            child.wait()?;
            break Ended::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let duration = started.elapsed();
    // Whatever the program left running in its group goes with it.
    // SAFETY: kill(2) on the child's own (now leaderless) process group.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    Ok(Captured { ended, stdout: std::fs::read(&out_path)?, stderr: std::fs::read(&err_path)?, duration })
}
